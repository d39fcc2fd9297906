package io.multinet.benchmarks;

import io.multinet.benchmarks.KernelProgrammingBenchmark.Lab;
import io.multinet.benchmarks.KernelProgrammingBenchmark.LabState;
import io.multinet.benchmarks.LayoutAlternatives.Layout;
import io.multinet.dataplane.kernel.NftException;
import io.multinet.dataplane.kernel.NftSession;
import java.io.IOException;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The nftables rule layouts of {@link LayoutAlternatives} against each other: the same services,
 * the same in-process libnftables path ({@link NftSession}, one transaction per operation), text
 * rendered before the measurement so only nft's parsing and the kernel's commit are timed. Each
 * fork makes its own network namespace ({@link LabState}); no traffic.
 *
 * <ul>
 *   <li>{@code fullLoad}: an empty namespace to the whole table of {@code services} services,
 *       single shot (the table is deleted before each iteration, untimed).
 *   <li>{@code change}: the table loaded; one transaction replaces all ten endpoints of one service
 *       (the middle one), alternating between two endpoint sets so every operation is a real
 *       change.
 * </ul>
 *
 * <p>The default parameters take well over half an hour (a 10k-service kube-proxy-shaped load alone
 * takes minutes); docs/benchmarks.md caps the slow layouts with {@code -p} in four invocations
 * (about 16 minutes on 2 cores), the first being:
 *
 * <pre>{@code
 * java -jar benchmarks/target/benchmarks.jar KernelLayoutBenchmark -p services=1000,2000,5000
 * }</pre>
 */
@Fork(
    value = 1,
    jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED", "-Xmx2g"})
public class KernelLayoutBenchmark {

  /** A namespace with an nft session of its own and the layout's full table. */
  abstract static class LayoutState extends LabState {

    @Nullable NftSession nft;
    String full = "";

    void open(Layout layout, int services) {
      Lab l = newLab();
      lab = l;
      nft = new NftSession(l.netns);
      full = LayoutAlternatives.full(layout, services);
    }

    NftSession nft() {
      if (nft == null) {
        throw new IllegalStateException("no session before setUp");
      }
      return nft;
    }

    @TearDown(Level.Trial)
    public void closeSession() {
      if (nft != null) {
        nft.close();
        nft = null;
      }
    }

    private static Lab newLab() {
      try {
        return new Lab();
      } catch (IOException e) {
        throw new IllegalStateException("cannot make a namespace: " + e.getMessage(), e);
      }
    }
  }

  /** An empty namespace before each iteration. */
  @State(Scope.Benchmark)
  public static class Load extends LayoutState {

    @Param({"ours", "kubeproxy", "svcmaps", "sharedmap"})
    String layout = "ours";

    @Param({"1000", "2000", "5000", "10000"})
    int services;

    @Setup(Level.Trial)
    public void setUp() {
      open(Layout.of(layout), services);
    }

    @Setup(Level.Iteration)
    public void empty() throws NftException {
      nft().run(LayoutAlternatives.DELETE);
    }
  }

  /** The full table loaded; batches replacing the middle service's endpoints, both ways. */
  @State(Scope.Benchmark)
  public static class Change extends LayoutState {

    @Param({"ours", "kubeproxy", "svcmaps", "sharedmap"})
    String layout = "ours";

    @Param({"1000", "2000", "5000", "10000"})
    int services;

    String toB = "";
    String toA = "";

    /** Whether the table holds endpoint set B (variant 1) of the changed service. */
    boolean atB;

    @Setup(Level.Trial)
    public void setUp() throws NftException {
      Layout l = Layout.of(layout);
      open(l, services);
      int i = services / 2;
      toB = LayoutAlternatives.change(l, i, 0, 1);
      toA = LayoutAlternatives.change(l, i, 1, 0);
      NftSession s = nft();
      s.run(full);
      // Both batches must apply to what the kernel holds: try each way once, ending at B.
      s.run(toB);
      s.run(toA);
      s.run(toB);
      atB = true;
    }

    String next() {
      String batch = atB ? toA : toB;
      atB = !atB;
      return batch;
    }
  }

  @Benchmark
  @BenchmarkMode(Mode.SingleShotTime)
  @OutputTimeUnit(TimeUnit.MILLISECONDS)
  @Warmup(iterations = 1)
  @Measurement(iterations = 3)
  public String fullLoad(Load s) throws NftException {
    return s.nft().run(s.full);
  }

  @Benchmark
  @BenchmarkMode(Mode.SampleTime)
  @OutputTimeUnit(TimeUnit.MILLISECONDS)
  @Warmup(iterations = 1, time = 2)
  @Measurement(iterations = 2, time = 3)
  public String change(Change s) throws NftException {
    return s.nft().run(s.next());
  }
}
