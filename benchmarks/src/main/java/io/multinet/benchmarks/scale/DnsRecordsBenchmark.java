package io.multinet.benchmarks.scale;

import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointBuilder;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSliceBuilder;
import io.multinet.kube.WellKnown;
import io.multinet.kube.crd.NetworkResource;
import io.multinet.nodeproxy.dns.DnsOptions;
import io.multinet.nodeproxy.dns.DnsRecords;
import io.multinet.nodeproxy.dns.DnsSnapshot;
import io.multinet.nodeproxy.view.SliceRecord;
import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The node proxy's DNS names ({@link DnsRecords}) over the {@code 10k-3net} workload's objects
 * ({@link ThreeNetworks}: Services over three networks with DNS, one controller slice of 10 ready
 * endpoints each): {@code full} builds every network's names from scratch (a start, or a Network
 * change); {@code sync} is one update after {@code changed} Services changed their cluster IP (each
 * invocation flips the next ones between two versions), what each node proxy sync does. The sync
 * must cost O(changed), not O(services): compare it across {@code services}.
 *
 * <p>Run: {@code java -jar benchmarks/target/benchmarks.jar DnsRecordsBenchmark -prof gc}. The
 * records' retained heap: {@code java -cp benchmarks/target/benchmarks.jar
 * io.multinet.benchmarks.scale.DnsRecordsBenchmark 10000}.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(
    value = 1,
    jvmArgs = {"-Xmx4g"})
public class DnsRecordsBenchmark {

  private static final int ENDPOINTS = 10;

  @Param({"1000", "10000"})
  int services;

  @Param({"1", "100"})
  int changed;

  @SuppressWarnings("NullAway.Init") // set in setUp, before any benchmark method
  private Workload objects;

  @SuppressWarnings("NullAway.Init") // set in setUp, before any benchmark method
  private DnsRecords records;

  private int next;
  private final Set<String> keys = new HashSet<>();

  /** The API objects of the workload, in maps a benchmark can change. */
  static final class Workload implements BenchCaches {
    final Map<String, Service> services = new HashMap<>();
    final Map<String, Service> flipped = new HashMap<>();
    final Map<String, List<SliceRecord>> slices = new HashMap<>();
    final Map<String, Namespace> namespaces = new HashMap<>();
    final List<NetworkResource> networks = new ArrayList<>();
    final List<String> keys = new ArrayList<>();

    Workload(int count) {
      for (int n = 0; n < 3; n++) {
        var network = new NetworkResource();
        network.getMetadata().setName(ThreeNetworks.NAMES[n]);
        var spec = new NetworkResource.Spec();
        spec.id = ThreeNetworks.FIRST_ID + n;
        spec.serviceCIDRs = List.of("10.96.0.0/16");
        spec.podCIDRs = List.of("10.128.0.0/9");
        spec.dns = new NetworkResource.Dns();
        spec.dns.clusterIPs = List.of(ThreeNetworks.DNS_IP);
        network.setSpec(spec);
        networks.add(network);
      }
      for (int i = 0; i < count; i++) {
        Service s = ThreeNetworks.service(i);
        String ns = s.getMetadata().getNamespace();
        String key = ns + "/" + s.getMetadata().getName();
        keys.add(key);
        services.put(key, s);
        Service other = ThreeNetworks.service(i);
        // A cluster IP no loaded Service has: its A and PTR names change.
        other
            .getMetadata()
            .getAnnotations()
            .put(WellKnown.CLUSTER_IPS_ANNOTATION, ScaleHarness.vip(40_000 + i / 3));
        flipped.put(key, other);
        slices.put(key, List.of(SliceRecord.of(slice(i))));
        namespaces.computeIfAbsent(
            ns, k -> new NamespaceBuilder().withNewMetadata().withName(k).endMetadata().build());
      }
    }

    private static EndpointSlice slice(int i) {
      String network = ThreeNetworks.NAMES[i % 3];
      var b =
          new EndpointSliceBuilder()
              .withNewMetadata()
              .withName(ThreeNetworks.name(i) + "-" + network)
              .withNamespace(ThreeNetworks.namespace(i))
              .addToLabels(WellKnown.SERVICE_NAME_LABEL, ThreeNetworks.name(i))
              .addToLabels(WellKnown.MANAGED_BY_LABEL, WellKnown.MANAGED_BY)
              .addToLabels(WellKnown.NETWORK_LABEL, network)
              .endMetadata()
              .withAddressType("IPv4")
              .addNewPort()
              .withName("http")
              .withProtocol("TCP")
              .withPort(8080)
              .endPort();
      for (int j = 0; j < ENDPOINTS; j++) {
        b.addToEndpoints(
            new EndpointBuilder()
                .withAddresses(ScaleHarness.endpoint(i, j, 0))
                .withNewConditions()
                .withReady(true)
                .endConditions()
                .build());
      }
      return b.build();
    }

    /** Swaps Service {@code key} between its two versions. */
    void flip(String key) {
      Service now = services.get(key);
      services.put(key, flipped.put(key, now));
    }

    @Override
    public Collection<Service> services() {
      return services.values();
    }

    @Override
    public @Nullable Service service(String key) {
      return services.get(key);
    }

    @Override
    public Collection<SliceRecord> slices(String key) {
      return slices.getOrDefault(key, List.of());
    }

    @Override
    public @Nullable Namespace namespace(String name) {
      return namespaces.get(name);
    }

    @Override
    public Collection<NetworkResource> networks() {
      return networks;
    }
  }

  private static DnsOptions options() {
    return DnsOptions.defaults().withNodeUpstreams(List.of());
  }

  @Setup
  public void setUp() {
    objects = new Workload(services);
    records = new DnsRecords(options());
    records.update(objects, null);
    if (records.snapshot().names(ThreeNetworks.FIRST_ID) == 0) {
      throw new IllegalStateException("no names built");
    }
  }

  @Benchmark
  public DnsSnapshot full() {
    return new DnsRecords(options()).update(objects, null);
  }

  @Benchmark
  public DnsSnapshot sync() {
    keys.clear();
    for (int k = 0; k < changed; k++) {
      String key = objects.keys.get(next);
      next = (next + 1) % objects.keys.size();
      objects.flip(key);
      keys.add(key);
    }
    return records.update(objects, keys);
  }

  /**
   * The records' retained heap at {@code args[0]} Services (default 10,000): live heap after full
   * GCs with the API objects only, then with the records built from them as well.
   */
  public static void main(String[] args) throws Exception {
    int count = args.length > 0 ? Integer.parseInt(args[0]) : 10_000;
    var objects = new Workload(count);
    long before = liveHeap();
    HeapHistogram histogram = HeapHistogram.now();
    var records = new DnsRecords(options());
    long t = System.nanoTime();
    DnsSnapshot snapshot = records.update(objects, null);
    long built = System.nanoTime() - t;
    long after = liveHeap();
    List<String> growth = HeapHistogram.now().growthSince(histogram, 12);
    System.out.printf(
        Locale.ROOT,
        "services %d over 3 networks, %d endpoints each: names %d / %d / %d; first build %.1f ms;"
            + " retained %.1f MiB (%.0f bytes per Service)%n",
        count,
        ENDPOINTS,
        snapshot.names(56),
        snapshot.names(57),
        snapshot.names(58),
        built / 1e6,
        (after - before) / 1048576.0,
        (after - before) / (double) count);
    growth.forEach(System.out::println);
    // Kept reachable until measured.
    if (records.snapshot().revision() != snapshot.revision() || objects.services.isEmpty()) {
      throw new IllegalStateException();
    }
  }

  private static long liveHeap() {
    for (int i = 0; i < 3; i++) {
      System.gc();
    }
    return ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
  }
}
