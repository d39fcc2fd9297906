package io.multinet.benchmarks;

import io.multinet.service.LoadBalancing;
import io.multinet.service.ServicePort;
import io.multinet.table.ServiceTable;
import io.multinet.table.TableDiff;
import java.util.ArrayList;
import java.util.List;
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
 * Diffing two tables of 10k services x 10 endpoints that differ in one service. With {@code
 * reuse=true} the second table was built with {@code previous(first)}, as the node proxy builds it,
 * so unchanged entries are the same objects; with {@code reuse=false} it was built from scratch
 * from equal (not identical) inputs, so every entry is compared deeply. Also measures building the
 * second table ({@code rebuild}).
 *
 * <p>Run: {@code java -jar benchmarks/target/benchmarks.jar TableDiffBenchmark -prof gc}
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class TableDiffBenchmark {

  @Param({"10000"})
  int serviceCount;

  @Param({"true", "false"})
  boolean reuse;

  private ServiceTable first = ServiceTable.empty(Workloads.NODE);
  private ServiceTable second = ServiceTable.empty(Workloads.NODE);
  private List<ServicePort> secondPorts = List.of();

  @Setup
  public void setUp() {
    List<ServicePort> ports = Workloads.servicePorts(serviceCount, 10, LoadBalancing.RANDOM);
    first = Workloads.table(ports);
    List<ServicePort> changed =
        reuse
            ? new ArrayList<>(ports)
            : Workloads.servicePorts(serviceCount, 10, LoadBalancing.RANDOM);
    int victim = serviceCount / 2;
    ServicePort v = changed.get(victim);
    changed.set(victim, v.withEndpoints(v.endpoints().subList(0, 9)));
    secondPorts = changed;
    second = build();
    TableDiff d = ServiceTable.diff(first, second);
    if (d.changed().size() != 1 || d.size() != 1) {
      throw new IllegalStateException("expected one changed service, got " + d);
    }
  }

  private ServiceTable build() {
    var b = Workloads.builder().previous(reuse ? first : null);
    for (ServicePort p : secondPorts) {
      b.add(p);
    }
    return b.build();
  }

  @Benchmark
  public TableDiff diff() {
    return ServiceTable.diff(first, second);
  }

  @Benchmark
  public ServiceTable rebuild() {
    return build();
  }
}
