package io.multinet.benchmarks;

import static java.nio.charset.StandardCharsets.UTF_8;

import io.multinet.dataplane.DataplaneBackend;
import io.multinet.dataplane.DataplaneException;
import io.multinet.dataplane.kernel.KernelBackend;
import io.multinet.dataplane.v1.Delta;
import io.multinet.dataplane.v1.DesiredState;
import io.multinet.dataplane.v1.KernelHints;
import io.multinet.dataplane.v1.NetworkSpec;
import io.multinet.dataplane.v1.NodeFacts;
import io.multinet.dataplane.v1.ServicePort;
import io.multinet.dataplane.vpp.VppBackend;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * Programming a real VPP ({@link VppBackend}, cnat translations over VPP's binary API) beside the
 * kernel dataplane ({@link KernelBackend}) with the same states, in the same run: a full sync of 1k
 * and 10k service ports into an empty dataplane, a full sync of 10k that changes nothing (what the
 * agent does after a VPP restart or a reconnect), and one changed port with 10k loaded (all ten
 * backends of one port replaced). Not JMH: each VPP sample is seconds long and needs a VPP process,
 * so a plain loop with explicit repetitions reports median and spread.
 *
 * <p>The VPP is the shared runtime's ({@code $MULTINET_VPP_DIR}, else {@code ../shared/vpp}, else
 * {@code /work/shared/vpp}; its {@code vpp.sh}), started in a network namespace ({@code
 * vbench-PID}) and run directory of its own; the kernel backend programs a namespace of its own
 * ({@code kbench-vpp-PID}). Both are removed at the end, also on failure. Root is required. Run
 * (results in docs/benchmarks.md):
 *
 * <pre>{@code
 * java -cp benchmarks/target/benchmarks.jar io.multinet.benchmarks.VppProgrammingBenchmark
 * }</pre>
 *
 * <p>Workload: service port {@code i} in one network (56, no VRF: stock cnat keeps one address in
 * one network), VIP the ({@code i} + 1)-th address after 10.96.0.0, TCP 80 (one in sixteen UDP 53),
 * ten backends in 10.1.0.0/16 (addresses shared across ports), random load balancing.
 */
public final class VppProgrammingBenchmark {

  private static final int FULL_REPEATS = 5;
  private static final int DELTA_REPEATS = 200;

  private VppProgrammingBenchmark() {}

  public static void main(String[] args) throws Exception {
    Path vppSh = findVppSh();
    String load0 = Files.readString(Path.of("/proc/loadavg")).strip();
    long pid = ProcessHandle.current().pid();
    String vppNs = "vbench-" + pid;
    String kernelNs = "kbench-vpp-" + pid;
    Path run = Files.createTempDirectory("vbench");
    List<String> rows = new ArrayList<>();
    run(List.of("ip", "netns", "add", vppNs));
    try {
      String socket =
          run(List.of("ip", "netns", "exec", vppNs, vppSh.toString(), "start", run.toString()))
              .strip()
              .lines()
              .reduce((a, b) -> b)
              .orElseThrow();
      run(List.of("ip", "netns", "add", kernelNs));
      try (VppBackend vpp =
              VppBackend.connect(
                  Path.of(socket),
                  io.multinet.dataplane.vpp.VppApiClient.Options.defaults()
                      .withConnectTimeout(Duration.ofSeconds(30)));
          KernelBackend kernel = new KernelBackend(kernelNs)) {
        for (int n : new int[] {1_000, 10_000}) {
          rows.add(row("full sync, " + n + " ports", fullSyncs(vpp, n), fullSyncs(kernel, n)));
        }
        rows.add(
            row(
                "full sync of 10,000 ports, nothing changed",
                unchangedSyncs(vpp, 10_000),
                unchangedSyncs(kernel, 10_000)));
        rows.add(
            row("one changed port, 10,000 loaded", deltas(vpp, 10_000), deltas(kernel, 10_000)));
        vpp.cleanup();
        kernel.cleanup();
      }
    } finally {
      try {
        run(List.of(vppSh.toString(), "stop", run.toString()));
      } finally {
        deleteTree(run);
        run(List.of("ip", "netns", "del", vppNs));
        if (Files.exists(Path.of("/run/netns", kernelNs))) {
          run(List.of("ip", "netns", "del", kernelNs));
        }
      }
    }
    String load1 = Files.readString(Path.of("/proc/loadavg")).strip();
    System.out.println("| case | VPP p50 (min–max) | kernel p50 (min–max) | VPP / kernel |");
    System.out.println("|---|---:|---:|---:|");
    rows.forEach(System.out::println);
    System.out.println(
        "cpus "
            + Runtime.getRuntime().availableProcessors()
            + ", "
            + cpuModel()
            + "; loadavg before "
            + load0
            + ", after "
            + load1
            + "; VPP "
            + vppSh.getParent());
  }

  /** Full syncs of {@code n} ports into an empty dataplane, in milliseconds. */
  private static double[] fullSyncs(DataplaneBackend b, int n) throws DataplaneException {
    DesiredState s = state(n, 0);
    double[] ms = new double[FULL_REPEATS];
    b.applyFull(s); // warm-up (class loading, JIT, VPP's first allocations)
    for (int i = 0; i < ms.length; i++) {
      b.cleanup();
      long t0 = System.nanoTime();
      b.applyFull(s);
      ms[i] = (System.nanoTime() - t0) / 1e6;
    }
    return ms;
  }

  /** Full syncs of the state already applied. */
  private static double[] unchangedSyncs(DataplaneBackend b, int n) throws DataplaneException {
    DesiredState s = state(n, 0);
    b.applyFull(s);
    double[] ms = new double[FULL_REPEATS];
    for (int i = 0; i < ms.length; i++) {
      long t0 = System.nanoTime();
      b.applyFull(s);
      ms[i] = (System.nanoTime() - t0) / 1e6;
    }
    return ms;
  }

  /** One port's ten backends replaced (alternating two sets), {@code n} ports loaded. */
  private static double[] deltas(DataplaneBackend b, int n) throws DataplaneException {
    b.applyFull(state(n, 0));
    double[] ms = new double[DELTA_REPEATS];
    for (int i = -20; i < ms.length; i++) { // 20 warm-up deltas
      int variant = (i & 1) == 0 ? 1 : 0;
      var d = Delta.newBuilder().addUpsertServicePorts(port(n / 2, variant)).build();
      long t0 = System.nanoTime();
      b.applyDelta(d);
      if (i >= 0) {
        ms[i] = (System.nanoTime() - t0) / 1e6;
      }
    }
    return ms;
  }

  static DesiredState state(int ports, int variant) {
    var b =
        DesiredState.newBuilder()
            .addNetworks(
                NetworkSpec.newBuilder()
                    .setId(56)
                    .setName("net-56")
                    .setKernel(
                        KernelHints.newBuilder().addInterfaces("n56-*").setRoutingTable(1056)));
    for (int i = 0; i < ports; i++) {
      b.addServicePorts(port(i, variant));
    }
    return b.setNode(NodeFacts.newBuilder().setName("node-a")).build();
  }

  /** The kernel workload's port {@code i}, all in one network: stock cnat has one VIP table. */
  static ServicePort port(int i, int variant) {
    return KernelWorkload.port(56, KernelWorkload.v4(0x0A60_0000 + i + 1), i, variant);
  }

  private static String row(String name, double[] vpp, double[] kernel) {
    double v = median(vpp);
    double k = median(kernel);
    return String.format(
        Locale.ROOT,
        "| %s | %s (%s–%s) | %s (%s–%s) | %.1f× |",
        name,
        ms(v),
        ms(min(vpp)),
        ms(max(vpp)),
        ms(k),
        ms(min(kernel)),
        ms(max(kernel)),
        v / k);
  }

  private static String ms(double v) {
    return v < 10 ? String.format(Locale.ROOT, "%.2f ms", v) : String.format("%,.0f ms", v);
  }

  private static double median(double[] a) {
    double[] s = a.clone();
    Arrays.sort(s);
    return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
  }

  private static double min(double[] a) {
    return Arrays.stream(a).min().orElseThrow();
  }

  private static double max(double[] a) {
    return Arrays.stream(a).max().orElseThrow();
  }

  private static Path findVppSh() {
    String env = System.getenv("MULTINET_VPP_DIR");
    List<Path> dirs =
        env != null && !env.isBlank()
            ? List.of(Path.of(env))
            : List.of(Path.of("../shared/vpp").toAbsolutePath(), Path.of("/work/shared/vpp"));
    for (Path d : dirs) {
      if (Files.isExecutable(d.resolve("vpp.sh"))
          && Files.isRegularFile(d.resolve("vpp-runtime.tar.gz"))) {
        return d.resolve("vpp.sh").normalize();
      }
    }
    throw new IllegalStateException(
        "no VPP runtime (vpp.sh and vpp-runtime.tar.gz) in " + dirs + " (set MULTINET_VPP_DIR)");
  }

  private static String cpuModel() throws IOException {
    try (Stream<String> lines = Files.lines(Path.of("/proc/cpuinfo"))) {
      return lines
          .filter(l -> l.startsWith("model name"))
          .findFirst()
          .map(l -> l.substring(l.indexOf(':') + 1).strip())
          .orElse("unknown CPU");
    }
  }

  private static void deleteTree(Path root) throws IOException {
    if (!Files.exists(root)) {
      return;
    }
    try (Stream<Path> all = Files.walk(root)) {
      for (Path p : all.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p);
      }
    }
  }

  private static String run(List<String> cmd) throws IOException {
    var pb = new ProcessBuilder(cmd).redirectErrorStream(true);
    pb.environment().put("PATH", "/usr/sbin:/usr/bin:/sbin:/bin");
    Process p = pb.start();
    p.getOutputStream().close();
    try {
      String out = new String(p.getInputStream().readAllBytes(), UTF_8);
      if (!p.waitFor(120, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        throw new IOException(String.join(" ", cmd) + ": timed out");
      }
      if (p.exitValue() != 0) {
        throw new IOException(
            String.join(" ", cmd) + ": exit " + p.exitValue() + ": " + out.strip());
      }
      return out;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted: " + String.join(" ", cmd), e);
    }
  }
}
