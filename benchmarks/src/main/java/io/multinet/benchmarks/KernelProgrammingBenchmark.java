package io.multinet.benchmarks;

import io.multinet.dataplane.DataplaneException;
import io.multinet.dataplane.kernel.KernelBackend;
import io.multinet.dataplane.v1.Delta;
import io.multinet.dataplane.v1.DesiredState;
import io.multinet.dataplane.v1.ServicePort;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
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
 * Programming the kernel dataplane: {@link KernelBackend} (in-process libnftables through FFM)
 * against {@code ip netns exec NS nft -f FILE} of the same nft text, in the same run. Each fork
 * creates its own network namespace ({@code ip netns add kbench-PID}) and deletes it when done; no
 * traffic flows. Workload: {@link KernelWorkload} (services × 10 endpoints over networks 56, 57 and
 * 58, random load balancing, one in sixteen UDP).
 *
 * <ul>
 *   <li>{@code fullLoad*}: an empty namespace (table and routing rules removed before each
 *       iteration) to the whole state, one single shot per iteration. {@code multinet} is {@link
 *       KernelBackend#applyFull}: building the model and rendering the text in Java, the
 *       libnftables transaction, and syncing the policy routing rules (a handful of {@code ip rule}
 *       processes); {@code nftFile} runs {@code nft -f} on the text rendered beforehand.
 *   <li>{@code delta*}: 10,000 services loaded; one operation replaces all ten endpoints of {@code
 *       changed} services (alternating between two endpoint sets, so every operation is a real
 *       change) in one transaction. {@code multinet} is {@link KernelBackend#applyDelta} (diff and
 *       rendering included); {@code nftFile} runs {@code nft -f} on the same element delete/add
 *       batch, rendered beforehand.
 *   <li>{@code processBaseline}: {@code ip netns exec NS true}, the process cost inside every
 *       {@code nftFile} number.
 * </ul>
 *
 * <p>Root, {@code ip} (iproute2), {@code nft} and libnftables.so.1 are required. Run (about 6
 * minutes on 2 cores; results in docs/benchmarks.md):
 *
 * <pre>{@code
 * java -jar benchmarks/target/benchmarks.jar KernelProgrammingBenchmark -rf json -rff kernel.json
 * }</pre>
 */
@Fork(
    value = 1,
    jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED", "-Xmx2g"})
public class KernelProgrammingBenchmark {

  /** Services (per full load) and the size of the table deltas are applied to. */
  static final int DELTA_SERVICES = 10_000;

  /** One network namespace with a kernel backend bound to it, plus scratch files. */
  static final class Lab implements AutoCloseable {

    final String netns = "kbench-" + ProcessHandle.current().pid();
    final Path dir;
    final KernelBackend backend;

    Lab() throws IOException {
      run(List.of("ip", "netns", "add", netns));
      dir = Files.createTempDirectory("kbench");
      backend = new KernelBackend(netns);
    }

    Path write(String name, String text) throws IOException {
      return Files.writeString(dir.resolve(name), text, StandardCharsets.UTF_8);
    }

    /** {@code ip netns exec NS nft -f FILE}, failing on a non-zero exit. */
    void nftFile(Path file) throws IOException {
      run(List.of("ip", "netns", "exec", netns, "nft", "-f", file.toString()));
    }

    @Override
    public void close() throws IOException {
      try {
        backend.cleanup();
      } catch (DataplaneException e) {
        // the namespace goes away below anyway
      } finally {
        backend.close();
        run(List.of("ip", "netns", "del", netns));
        try (var files = Files.list(dir)) {
          for (Path p : files.toList()) {
            Files.delete(p);
          }
        }
        Files.delete(dir);
      }
    }

    static void run(List<String> cmd) throws IOException {
      Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
      try {
        byte[] out = p.getInputStream().readAllBytes();
        if (!p.waitFor(120, TimeUnit.SECONDS)) {
          p.destroyForcibly();
          throw new IOException(String.join(" ", cmd) + ": timed out");
        }
        if (p.exitValue() != 0) {
          String msg = new String(out, StandardCharsets.UTF_8).strip();
          throw new IOException(
              String.join(" ", cmd)
                  + ": exit "
                  + p.exitValue()
                  + ": "
                  + msg.substring(0, Math.min(msg.length(), 2000)));
        }
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IOException("interrupted: " + String.join(" ", cmd), e);
      }
    }
  }

  /** Owns one {@link Lab} per trial; JMH runs the inherited tear-down. */
  abstract static class LabState {

    @Nullable Lab lab;

    @TearDown(Level.Trial)
    public void tearDown() throws IOException {
      if (lab != null) {
        lab.close();
        lab = null;
      }
    }

    Lab lab() {
      if (lab == null) {
        throw new IllegalStateException("no lab before setUp");
      }
      return lab;
    }
  }

  /** A full state of {@code services} services and its nft text. */
  @State(Scope.Benchmark)
  public static class FullLoad extends LabState {

    @Param({"1000", "10000", "30000"})
    int services;

    DesiredState state = DesiredState.getDefaultInstance();
    String text = "";
    @Nullable Path file;

    @Setup(Level.Trial)
    public void setUp() throws IOException, DataplaneException {
      Lab l = new Lab();
      lab = l;
      state = KernelWorkload.state(services);
      // The exact batch the backend sends, for nft -f to load from a file.
      l.backend.applyFull(state);
      text = l.backend.lastBatch();
      file = l.write("full.nft", text);
    }

    @Setup(Level.Iteration)
    public void empty() throws DataplaneException {
      lab().backend.cleanup();
    }

    Path file() {
      if (file == null) {
        throw new IllegalStateException("no file before setUp");
      }
      return file;
    }
  }

  /** 10,000 services loaded; deltas replacing the endpoints of {@code changed} of them. */
  @State(Scope.Benchmark)
  public static class Change extends LabState {

    @Param({"1", "100"})
    int changed;

    Delta toB = Delta.getDefaultInstance();
    Delta toA = Delta.getDefaultInstance();
    String textToB = "";
    String textToA = "";
    @Nullable Path fileToB;
    @Nullable Path fileToA;

    /** Whether the table holds endpoint set B of the changed services (else A, as loaded). */
    boolean atB;

    @Setup(Level.Trial)
    public void setUp() throws IOException, DataplaneException {
      Lab l = new Lab();
      lab = l;
      List<ServicePort> a = new ArrayList<>();
      List<ServicePort> b = new ArrayList<>();
      for (int k = 0; k < changed; k++) {
        int i = DELTA_SERVICES / 2 + k * (DELTA_SERVICES / 2 / changed);
        a.add(KernelWorkload.port(i, 0));
        b.add(KernelWorkload.port(i, 1));
      }
      toB = Delta.newBuilder().addAllUpsertServicePorts(b).build();
      toA = Delta.newBuilder().addAllUpsertServicePorts(a).build();
      l.backend.applyFull(KernelWorkload.state(DELTA_SERVICES));
      // The exact batches the backend sends each way, for nft -f to load from files.
      l.backend.applyDelta(toB);
      textToB = l.backend.lastBatch();
      l.backend.applyDelta(toA);
      textToA = l.backend.lastBatch();
      Path ab = l.write("to-b.nft", textToB);
      Path ba = l.write("to-a.nft", textToA);
      fileToB = ab;
      fileToA = ba;
      // The files delete exactly what is in the kernel, or nft fails: check both ways once,
      // ending at B, then tell the backend so.
      l.nftFile(ab);
      l.nftFile(ba);
      l.backend.applyDelta(toB);
      atB = true;
    }

    Path next() {
      Path p = atB ? fileToA : fileToB;
      if (p == null) {
        throw new IllegalStateException("no files before setUp");
      }
      atB = !atB;
      return p;
    }
  }

  /** A namespace for the process baseline. */
  @State(Scope.Benchmark)
  public static class Empty extends LabState {

    @Setup(Level.Trial)
    public void setUp() throws IOException {
      lab = new Lab();
    }
  }

  @Benchmark
  @BenchmarkMode(Mode.SingleShotTime)
  @OutputTimeUnit(TimeUnit.MILLISECONDS)
  @Warmup(iterations = 2)
  @Measurement(iterations = 5)
  public void fullLoadMultinet(FullLoad s) throws DataplaneException {
    s.lab().backend.applyFull(s.state);
  }

  @Benchmark
  @BenchmarkMode(Mode.SingleShotTime)
  @OutputTimeUnit(TimeUnit.MILLISECONDS)
  @Warmup(iterations = 2)
  @Measurement(iterations = 5)
  public void fullLoadNftFile(FullLoad s) throws IOException {
    s.lab().nftFile(s.file());
  }

  @Benchmark
  @BenchmarkMode(Mode.SampleTime)
  @OutputTimeUnit(TimeUnit.MILLISECONDS)
  @Warmup(iterations = 2, time = 3)
  @Measurement(iterations = 3, time = 5)
  public void deltaMultinet(Change s) throws DataplaneException {
    s.lab().backend.applyDelta(s.atB ? s.toA : s.toB);
    s.atB = !s.atB;
  }

  @Benchmark
  @BenchmarkMode(Mode.SampleTime)
  @OutputTimeUnit(TimeUnit.MILLISECONDS)
  @Warmup(iterations = 2, time = 3)
  @Measurement(iterations = 3, time = 5)
  public void deltaNftFile(Change s) throws IOException {
    s.lab().nftFile(s.next());
  }

  @Benchmark
  @BenchmarkMode(Mode.SampleTime)
  @OutputTimeUnit(TimeUnit.MILLISECONDS)
  @Warmup(iterations = 1, time = 2)
  @Measurement(iterations = 2, time = 3)
  public void processBaseline(Empty s) throws IOException {
    if (s.lab == null) {
      throw new IllegalStateException("no lab before setUp");
    }
    Lab.run(List.of("ip", "netns", "exec", s.lab.netns, "true"));
  }
}
