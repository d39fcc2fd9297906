package io.multinet.benchmarks.scale;

import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.multinet.dataplane.DesiredStates;
import io.multinet.dataplane.StateModel;
import io.multinet.dataplane.v1.Delta;
import io.multinet.dataplane.v1.DesiredState;
import io.multinet.dataplane.v1.NodeFacts;
import io.multinet.kube.network.NetworkCatalog;
import io.multinet.nodeproxy.view.NodeView;
import io.multinet.nodeproxy.view.ServicePortMapper;
import io.multinet.service.NodeInfo;
import io.multinet.table.ServiceTable;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
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
 * One node proxy sync after one EndpointSlice changed, from the cached API objects to the delta the
 * programmer sends (the gRPC call and the kernel left out: KernelProgrammingBenchmark measures
 * those). {@code whole} is what every sync did before partial syncs: map every Service, build the
 * table, convert every port, diff every port. {@code partial} is the node proxy's partial sync:
 * remap the one Service, assemble the table reusing every other port's entries, convert with the
 * proto cache, which yields the delta (the programmer sends it as it is). Both carry their state
 * from one invocation to the next, as the proxy does, and each invocation moves endpoint 0 of the
 * next Service.
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
@SuppressWarnings("ReferenceEquality") // the conversion's base must be the very last state
public class NodeSyncBenchmark {

  @Param({"1000", "10000"})
  int services;

  private static final NodeInfo NODE = new NodeInfo(ScaleHarness.NODE, null);
  private static final NodeFacts FACTS = NodeFacts.newBuilder().setName(ScaleHarness.NODE).build();
  private final NetworkCatalog catalog = NetworkCatalog.build(List.of(), List.of(), List.of());
  private final List<Service> serviceObjects = new ArrayList<>();
  private final List<EndpointSlice> sliceObjects = new ArrayList<>();
  private final Map<String, ServicePortMapper.Result> mapped = new TreeMap<>();
  private final DesiredStates.Converter converter = new DesiredStates.Converter();
  private ServiceTable table = ServiceTable.empty(NODE);
  private StateModel model = StateModel.of(DesiredState.getDefaultInstance());
  private DesiredState last = DesiredState.getDefaultInstance();
  private int next;
  private int version = 1;

  @Setup
  public void setUp() {
    for (int i = 0; i < services; i++) {
      serviceObjects.add(ScaleHarness.service(i));
      sliceObjects.add(ScaleHarness.slice(i, 0));
    }
    for (int i = 0; i < services; i++) {
      mapped.put(key(i), remap(i));
    }
    table = NodeView.assemble(NODE, catalog, mapped.values(), null).table();
    last = converter.convert(table, Map.of(), FACTS).state();
    model = StateModel.of(last);
  }

  private static String key(int i) {
    return "scale/" + String.format(java.util.Locale.ROOT, "svc-%05d", i);
  }

  private ServicePortMapper.Result remap(int i) {
    return Objects.requireNonNull(
        NodeView.service(serviceObjects.get(i), null, catalog, List.of(sliceObjects.get(i)), null));
  }

  /** The informer's view after one more slice update. */
  private int change() {
    int i = next;
    next = (next + 1) % services;
    if (i == 0) {
      version++;
    }
    sliceObjects.set(i, ScaleHarness.slice(i, version));
    return i;
  }

  @Benchmark
  public Delta whole() {
    change();
    var view = NodeView.build(NODE, catalog, serviceObjects, sliceObjects, ns -> null, null, table);
    table = view.table();
    StateModel nextModel = StateModel.of(DesiredStates.from(table, Map.of(), FACTS));
    Delta d = StateModel.diff(model, nextModel);
    model = nextModel;
    return d;
  }

  @Benchmark
  public Delta partial() {
    int i = change();
    mapped.put(key(i), remap(i));
    table = NodeView.assemble(NODE, catalog, mapped.values(), table).table();
    DesiredStates.Conversion c = converter.convert(table, Map.of(), FACTS);
    if (c.base() != last) {
      throw new IllegalStateException("the conversion does not start from the last state");
    }
    last = c.state();
    return c.delta();
  }
}
