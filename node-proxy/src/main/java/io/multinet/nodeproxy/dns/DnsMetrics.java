package io.multinet.nodeproxy.dns;

import static java.util.Objects.requireNonNull;

import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.DoubleAdder;
import java.util.concurrent.atomic.LongAdder;

/**
 * The DNS server's metrics, per network, in Prometheus text format: {@link #render} appends them to
 * the node proxy's /metrics (ProxyMetrics calls it).
 */
public final class DnsMetrics {

  /** 100 µs doubling, 15 of them (up to 1.6 s): local answers take microseconds. */
  private static final double[] BUCKETS = new double[15];

  static {
    for (int i = 0; i < BUCKETS.length; i++) {
      BUCKETS[i] = 0.0001 * Math.pow(2, i);
    }
  }

  private static final String[] RCODES = new String[17];

  static {
    for (int i = 0; i < RCODES.length; i++) {
      RCODES[i] = Wire.rcodeName(i);
    }
  }

  /** One network's counters; everything in it is safe to update from any thread. */
  static final class Network {
    final LongAdder queries = new LongAdder();
    final LongAdder[] responses = new LongAdder[RCODES.length];
    final LongAdder dropped = new LongAdder();
    final LongAdder rateLimited = new LongAdder();
    final LongAdder forwarded = new LongAdder();
    final LongAdder cacheHits = new LongAdder();
    final LongAdder truncated = new LongAdder();
    final LongAdder[] latency = new LongAdder[BUCKETS.length];
    final DoubleAdder latencySum = new DoubleAdder();
    final LongAdder latencyCount = new LongAdder();

    Network() {
      for (int i = 0; i < responses.length; i++) {
        responses[i] = new LongAdder();
      }
      for (int i = 0; i < latency.length; i++) {
        latency[i] = new LongAdder();
      }
    }

    /** One response sent, {@code nanos} after its query arrived. */
    void answered(int rcode, long nanos) {
      responses[rcode >= 0 && rcode < responses.length ? rcode : Wire.SERVFAIL].increment();
      double seconds = nanos / 1e9;
      for (int i = 0; i < BUCKETS.length; i++) {
        if (seconds <= BUCKETS[i]) {
          latency[i].increment();
          break; // cumulated when rendered
        }
      }
      latencySum.add(seconds);
      latencyCount.increment();
    }

    long responses(int rcode) {
      return responses[rcode].sum();
    }
  }

  private final Map<String, Network> networks = new ConcurrentHashMap<>();

  /** The counters of network {@code name}, made at first use. */
  Network network(String name) {
    return networks.computeIfAbsent(requireNonNull(name, "name"), k -> new Network());
  }

  /** Forgets a network that no longer has DNS. */
  void remove(String name) {
    networks.remove(name);
  }

  /** The exposition text of every DNS metric. */
  public String render() {
    var sb = new StringBuilder(2048);
    render(sb);
    return sb.toString();
  }

  /** Appends every DNS metric to {@code sb}, in the format of ProxyMetrics. */
  public void render(StringBuilder sb) {
    var sorted = new TreeMap<>(networks);
    counter(
        sb,
        sorted,
        "multinet_dns_queries_total",
        "DNS queries received, by network",
        n -> n.queries.sum());
    sb.append("# HELP multinet_dns_responses_total DNS responses sent, by network and rcode\n");
    sb.append("# TYPE multinet_dns_responses_total counter\n");
    sorted.forEach(
        (name, n) -> {
          for (int i = 0; i < RCODES.length; i++) {
            long v = n.responses[i].sum();
            if (v > 0 || i == Wire.NOERROR || i == Wire.NXDOMAIN) {
              sb.append("multinet_dns_responses_total{network=\"")
                  .append(name)
                  .append("\",rcode=\"")
                  .append(RCODES[i])
                  .append("\"} ")
                  .append(v)
                  .append('\n');
            }
          }
        });
    counter(
        sb,
        sorted,
        "multinet_dns_forwarded_total",
        "Queries forwarded to an upstream, by network",
        n -> n.forwarded.sum());
    counter(
        sb,
        sorted,
        "multinet_dns_cache_hits_total",
        "Forwarded names answered from the cache, by network",
        n -> n.cacheHits.sum());
    counter(
        sb,
        sorted,
        "multinet_dns_rate_limited_total",
        "Queries dropped (UDP) or refused (TCP) over a source's rate, by network",
        n -> n.rateLimited.sum());
    counter(
        sb,
        sorted,
        "multinet_dns_dropped_total",
        "Packets not answered (shorter than a header, or a response), by network",
        n -> n.dropped.sum());
    counter(
        sb,
        sorted,
        "multinet_dns_truncated_total",
        "UDP responses sent truncated (TC) for being too large, by network",
        n -> n.truncated.sum());
    String h = "multinet_dns_request_duration_seconds";
    sb.append("# HELP ").append(h).append(" From a query's arrival to its response, by network\n");
    sb.append("# TYPE ").append(h).append(" histogram\n");
    sorted.forEach(
        (name, n) -> {
          long cumulative = 0;
          for (int i = 0; i < BUCKETS.length; i++) {
            cumulative += n.latency[i].sum();
            sb.append(h)
                .append("_bucket{network=\"")
                .append(name)
                .append("\",le=\"")
                .append(BUCKETS[i])
                .append("\"} ")
                .append(cumulative)
                .append('\n');
          }
          long count = n.latencyCount.sum();
          sb.append(h).append("_bucket{network=\"").append(name).append("\",le=\"+Inf\"} ");
          sb.append(count).append('\n');
          sb.append(h).append("_sum{network=\"").append(name).append("\"} ");
          sb.append(n.latencySum.sum()).append('\n');
          sb.append(h).append("_count{network=\"").append(name).append("\"} ");
          sb.append(count).append('\n');
        });
  }

  private static void counter(
      StringBuilder sb,
      Map<String, Network> networks,
      String metric,
      String help,
      java.util.function.ToLongFunction<Network> value) {
    sb.append("# HELP ").append(metric).append(' ').append(help).append('\n');
    sb.append("# TYPE ").append(metric).append(" counter\n");
    networks.forEach(
        (name, n) ->
            sb.append(metric)
                .append("{network=\"")
                .append(name)
                .append("\"} ")
                .append(value.applyAsLong(n))
                .append('\n'));
  }
}
