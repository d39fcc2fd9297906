package io.multinet.benchmarks.scale;

import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.multinet.dataplane.v1.Delta;
import io.multinet.kube.network.NetworkCatalog;
import io.multinet.nodeproxy.NodePipeline;
import io.multinet.nodeproxy.NodeProxy;
import io.multinet.nodeproxy.view.NodeView;
import io.multinet.nodeproxy.view.ServicePortMapper;
import io.multinet.nodeproxy.view.SliceRecord;
import io.multinet.service.NodeInfo;
import io.multinet.table.ServiceTable;
import io.multinet.table.TableDiff;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
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
 * One node proxy sync after {@code changed} EndpointSlices changed, through the node proxy's own
 * {@link NodePipeline}: from the cached API objects to the delta the programmer sends (the gRPC
 * call and the kernel left out: KernelProgrammingBenchmark measures those). {@code partial} is the
 * partial sync the node proxy runs after slice updates (the changed Services named); {@code full}
 * is the periodic full sync over the same caches (every Service remapped); {@code table} is the
 * node side of {@code partial} without the proto conversion. The pipeline carries its state from
 * one invocation to the next, as the proxy does, and each invocation moves endpoint 0 of the next
 * {@code changed} Services.
 *
 * <p>Run: {@code java -jar benchmarks/target/benchmarks.jar NodeSyncBenchmark -prof gc}
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(
    value = 1,
    jvmArgs = {"-Xmx4g"})
public class NodeSyncBenchmark {

  @Param({"1000", "10000", "100000"})
  int services;

  @Param({"1", "100"})
  int changed;

  private static final NodeInfo NODE = new NodeInfo(ScaleHarness.NODE, null);
  private final NetworkCatalog catalog = NetworkCatalog.build(List.of(), List.of(), List.of());
  private final Fixed caches = new Fixed();
  private final NodePipeline pipeline =
      new NodePipeline(ScaleHarness.NODE, NodeProxy.Options.DEFAULTS);
  private final NodeView.Assembly assembly = new NodeView.Assembly();
  private ServiceTable table = ServiceTable.empty(NODE);
  private int next;
  private int version = 1;

  @Setup
  public void setUp() {
    prepareChanges();
    for (int i = 0; i < services; i++) {
      caches.put(ScaleHarness.service(i), ScaleHarness.slice(i, 0));
    }
    NodePipeline.Result first = pipeline.run(caches, null);
    if (first.table().size() != services) {
      throw new IllegalStateException(
          "table: " + first.table().size() + " ports (expected: " + services + ")");
    }
    caches.services.forEach((k, s) -> assembly.put(k, remap(k, s)));
    table = assembly.assemble(NODE, catalog).table();
  }

  private ServicePortMapper.Result remap(String key, Service s) {
    return Objects.requireNonNull(
        NodeView.service(s, null, catalog, caches.slices(key), null), "mapped");
  }

  /** How many Services the changes cycle over; their changed slices are built in the setup. */
  private static final int CHANGING = 1024;

  private String[] changingKeys = new String[0];
  private List<SliceRecord>[] versionA = newArray(0);
  private List<SliceRecord>[] versionB = newArray(0);

  @SuppressWarnings("unchecked")
  private static List<SliceRecord>[] newArray(int n) {
    return (List<SliceRecord>[]) new List<?>[n];
  }

  /**
   * The changed slices, built before measuring: the informer thread builds a slice's record when
   * the update arrives, before the sync that this benchmark measures runs.
   */
  private void prepareChanges() {
    int n = Math.min(services, CHANGING);
    changingKeys = new String[n];
    versionA = newArray(n);
    versionB = newArray(n);
    for (int i = 0; i < n; i++) {
      changingKeys[i] = key(i);
      versionA[i] = List.of(SliceRecord.of(ScaleHarness.slice(i, 1)));
      versionB[i] = List.of(SliceRecord.of(ScaleHarness.slice(i, 2)));
    }
  }

  /**
   * The informers' view after {@code changed} more slice updates, cycling over the first {@link
   * #CHANGING} Services and alternating two prepared versions of their slices, so that each update
   * differs from what the cache holds; returns the Services named.
   */
  private Set<String> change() {
    Set<String> keys = new HashSet<>();
    for (int c = 0; c < changed; c++) {
      int i = next;
      next = (next + 1) % changingKeys.length;
      if (i == 0) {
        version++;
      }
      caches.slices.put(changingKeys[i], version % 2 == 0 ? versionA[i] : versionB[i]);
      keys.add(changingKeys[i]);
    }
    return keys;
  }

  private static String key(int i) {
    return ScaleHarness.NS + "/" + String.format(Locale.ROOT, "svc-%05d", i);
  }

  @Benchmark
  public Delta partial() {
    NodePipeline.Result r = pipeline.run(caches, change());
    if (r.baseRevision() == 0 || r.delta().getUpsertServicePortsCount() != changed) {
      throw new IllegalStateException("not a delta of " + changed + " ports: " + r.delta());
    }
    return r.delta();
  }

  /**
   * The node side of {@code partial} without the proto conversion: remap the changed Services,
   * patch the table ({@link NodeView.Assembly}), diff it against the previous one.
   */
  @Benchmark
  public TableDiff table() {
    for (String k : change()) {
      assembly.put(k, remap(k, Objects.requireNonNull(caches.service(k), k)));
    }
    ServiceTable next = assembly.assemble(NODE, catalog).table();
    TableDiff d = ServiceTable.diff(table, next);
    table = next;
    if (d.changed().size() != changed) {
      throw new IllegalStateException("not " + changed + " changed ports: " + d);
    }
    return d;
  }

  @Benchmark
  public Delta full() {
    change();
    return pipeline.run(caches, null).delta();
  }

  /** The informer caches as the node proxy keeps them: by {@code namespace/name}. */
  private static final class Fixed implements BenchCaches {
    private final Map<String, Service> services = new HashMap<>();
    private final Map<String, List<SliceRecord>> slices = new HashMap<>();
    private final List<Service> all = new ArrayList<>();

    void put(Service service, EndpointSlice slice) {
      String key = service.getMetadata().getNamespace() + "/" + service.getMetadata().getName();
      services.put(key, service);
      slices.put(key, List.of(SliceRecord.of(slice)));
      all.add(service);
    }

    @Override
    public Collection<Service> services() {
      return all;
    }

    @Override
    public @Nullable Service service(String key) {
      return services.get(key);
    }

    @Override
    public Collection<SliceRecord> slices(String key) {
      return slices.getOrDefault(key, List.of());
    }
  }
}
