package io.multinet.benchmarks;

import io.multinet.service.Endpoint;
import io.multinet.service.LoadBalancing;
import io.multinet.table.Maglev;
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
 * Building one Maglev table, the cost a service pays on every endpoint change under Maglev.
 *
 * <p>Run: {@code java -jar benchmarks/target/benchmarks.jar MaglevBuildBenchmark -prof gc}
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class MaglevBuildBenchmark {

  @Param({"10", "100", "1000"})
  int backends;

  private List<Endpoint> endpoints = List.of();

  @Setup
  public void setUp() {
    endpoints = Workloads.servicePorts(1, backends, LoadBalancing.MAGLEV).getFirst().endpoints();
  }

  @Benchmark
  public char[] build() {
    return Maglev.build(endpoints);
  }
}
