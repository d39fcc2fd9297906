package io.multinet.nodeproxy;

import static java.util.Objects.requireNonNull;

import io.multinet.service.ServicePort;
import io.multinet.service.ServicePortKey;
import io.multinet.table.ServiceTable;
import io.multinet.table.TableDiff;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.DoubleAdder;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Consumer;
import org.jspecify.annotations.Nullable;

/**
 * The node proxy's metrics in Prometheus text format, with kube-proxy's names so dashboards and
 * clusterloader2 work unchanged, plus per-network gauges of our own.
 */
public final class ProxyMetrics {

  /** kube-proxy's buckets: 1 ms doubling, 15 of them. */
  private static final double[] BUCKETS = new double[15];

  static {
    for (int i = 0; i < BUCKETS.length; i++) {
      BUCKETS[i] = 0.001 * Math.pow(2, i);
    }
  }

  private final Clock clock;
  private final Histogram syncDuration = new Histogram();
  private final Histogram programmingDuration = new Histogram();
  private final AtomicLong lastSyncMillis = new AtomicLong();
  private final AtomicLong lastQueuedMillis = new AtomicLong();
  private final LongAdder serviceChanges = new LongAdder();
  private final LongAdder fullSyncs = new LongAdder();
  private final LongAdder syncFailures = new LongAdder();
  private final List<Consumer<StringBuilder>> extra = new CopyOnWriteArrayList<>();
  private volatile Map<String, Long> portsByNetwork = Map.of();
  private volatile Map<String, Long> backendsByNetwork = Map.of();
  // Ports and backends by network id in the table last counted; only the sync thread writes them.
  private final Map<Integer, long[]> counts = new HashMap<>();
  private @Nullable ServiceTable counted;

  ProxyMetrics(Clock clock) {
    this.clock = clock;
  }

  /**
   * One sync published {@code table} in place of {@code previous}, which differ by {@code diff}.
   * The per-network counts follow the diff when the previous sync counted {@code previous} (a sync
   * of k changes costs O(k)), else they are counted over the table.
   */
  void synced(
      Duration took,
      @Nullable Instant queued,
      ServiceTable previous,
      ServiceTable table,
      TableDiff diff,
      boolean full) {
    syncDuration.observe(took.toNanos() / 1e9);
    lastSyncMillis.set(clock.millis());
    if (queued != null) {
      lastQueuedMillis.set(queued.toEpochMilli());
    }
    serviceChanges.add(diff.size());
    if (full) {
      fullSyncs.increment();
    }
    if (counted == previous) {
      for (ServicePortKey k : diff.removed()) {
        count(previous.servicePort(k), -1);
      }
      for (ServicePortKey k : diff.changed()) {
        count(previous.servicePort(k), -1);
        count(table.servicePort(k), 1);
      }
      for (ServicePortKey k : diff.added()) {
        count(table.servicePort(k), 1);
      }
    } else {
      counts.clear();
      table.forEachPort((sp, internal, external) -> count(sp, 1));
    }
    counted = table;
    var ports = new TreeMap<String, Long>();
    var backends = new TreeMap<String, Long>();
    counts.forEach(
        (id, c) -> {
          var n = table.networks().get(id);
          String name = n == null ? Integer.toString(id) : n.name();
          ports.merge(name, c[0], Long::sum);
          backends.merge(name, c[1], Long::sum);
        });
    portsByNetwork = ports;
    backendsByNetwork = backends;
  }

  // Counted by network id: one small map lookup a port, names only at the end.
  private void count(@Nullable ServicePort sp, int by) {
    if (sp == null || sp.name().isNodeLocal()) {
      return; // the node's own DNS ports: multinet_dns_* counts them
    }
    long[] c = counts.computeIfAbsent(sp.key().networkId(), id -> new long[2]);
    c[0] += by;
    c[1] += (long) by * sp.endpoints().size();
    if (c[0] == 0) {
      counts.remove(sp.key().networkId());
    }
  }

  /** One EndpointSlice change reached the dataplane {@code latency} after its trigger time. */
  void programmed(Duration latency) {
    programmingDuration.observe(Math.max(0, latency.toNanos() / 1e9));
  }

  void syncFailed() {
    syncFailures.increment();
  }

  public long syncFailures() {
    return syncFailures.sum();
  }

  /** Appends {@code more} (another component's families, such as the DNS server's) to /metrics. */
  void include(Consumer<StringBuilder> more) {
    extra.add(requireNonNull(more, "more"));
  }

  /** The exposition text for /metrics. */
  public String render() {
    var sb = new StringBuilder(4096);
    syncDuration.render(
        sb, "kubeproxy_sync_proxy_rules_duration_seconds", "SyncProxyRules latency in seconds");
    programmingDuration.render(
        sb,
        "kubeproxy_network_programming_duration_seconds",
        "In-cluster network programming latency in seconds");
    gauge(
        sb,
        "kubeproxy_sync_proxy_rules_last_timestamp_seconds",
        "The last time proxy rules were successfully synced",
        lastSyncMillis.get() / 1000.0);
    gauge(
        sb,
        "kubeproxy_sync_proxy_rules_last_queued_timestamp_seconds",
        "The last time a sync of proxy rules was queued",
        lastQueuedMillis.get() / 1000.0);
    counter(
        sb,
        "kubeproxy_sync_proxy_rules_service_changes_total",
        "Cumulative proxy rules Service changes",
        serviceChanges.sum());
    counter(
        sb,
        "kubeproxy_sync_full_proxy_rules_total",
        "Full resyncs of the dataplane",
        fullSyncs.sum());
    counter(
        sb,
        "multinet_sync_failures_total",
        "Syncs that failed and were retried in full",
        syncFailures.sum());
    labelled(
        sb,
        "multinet_network_service_ports",
        "Service ports of the cluster's Services this node serves, by network",
        portsByNetwork);
    labelled(
        sb,
        "multinet_network_backends",
        "Backends of the cluster's Service ports this node serves, by network",
        backendsByNetwork);
    extra.forEach(e -> e.accept(sb));
    return sb.toString();
  }

  private static void gauge(StringBuilder sb, String name, String help, double value) {
    sample(sb, name, "gauge", help, String.valueOf(value));
  }

  private static void counter(StringBuilder sb, String name, String help, long value) {
    sample(sb, name, "counter", help, String.valueOf(value));
  }

  private static void sample(StringBuilder sb, String name, String type, String help, String v) {
    sb.append("# HELP ").append(name).append(' ').append(help).append('\n');
    sb.append("# TYPE ").append(name).append(' ').append(type).append('\n');
    sb.append(name).append(' ').append(v).append('\n');
  }

  private static void labelled(
      StringBuilder sb, String name, String help, Map<String, Long> values) {
    sb.append("# HELP ").append(name).append(' ').append(help).append('\n');
    sb.append("# TYPE ").append(name).append(" gauge\n");
    values.forEach(
        (k, v) ->
            sb.append(name).append("{network=\"").append(k).append("\"} ").append(v).append('\n'));
  }

  /** A fixed-bucket histogram. */
  private static final class Histogram {
    private final LongAdder[] counts = new LongAdder[BUCKETS.length];
    private final DoubleAdder sum = new DoubleAdder();
    private final LongAdder count = new LongAdder();

    Histogram() {
      for (int i = 0; i < counts.length; i++) {
        counts[i] = new LongAdder();
      }
    }

    void observe(double seconds) {
      for (int i = 0; i < BUCKETS.length; i++) {
        if (seconds <= BUCKETS[i]) {
          counts[i].increment();
        }
      }
      sum.add(seconds);
      count.increment();
    }

    void render(StringBuilder sb, String name, String help) {
      sb.append("# HELP ").append(name).append(' ').append(help).append('\n');
      sb.append("# TYPE ").append(name).append(" histogram\n");
      for (int i = 0; i < BUCKETS.length; i++) {
        sb.append(name)
            .append("_bucket{le=\"")
            .append(BUCKETS[i])
            .append("\"} ")
            .append(counts[i].sum())
            .append('\n');
      }
      sb.append(name).append("_bucket{le=\"+Inf\"} ").append(count.sum()).append('\n');
      sb.append(name).append("_sum ").append(sum.sum()).append('\n');
      sb.append(name).append("_count ").append(count.sum()).append('\n');
    }
  }
}
