package io.multinet.benchmarks.scale;

import static java.util.Objects.requireNonNull;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A {@code multinet-proxy} command in a JVM of its own, measured from outside: the in-process
 * harness can only give the node proxy's and controller's share of one JVM, while an operator sizes
 * each container by its own process. The JVM gets the image's flags (Dockerfile: serial GC, 75% of
 * the memory) under the chart's 512 MiB limit.
 */
final class ChildJvm implements AutoCloseable {

  /** The chart's memory limit for both containers, standing for the cgroup's. */
  static final String MEMORY_LIMIT = "512m";

  private static final long TICKS_PER_SECOND = 100; // USER_HZ on Linux
  private static final Pattern QUOTED = Pattern.compile("\"([^\"]*)\"");
  private static final Pattern WHITESPACE = Pattern.compile("\\s+");

  private final String name;
  private final Process process;
  private final Path log;
  private final long startedAt;

  private ChildJvm(String name, Process process, Path log, long startedAt) {
    this.name = name;
    this.process = process;
    this.log = log;
    this.startedAt = startedAt;
  }

  /**
   * Starts {@code multinet-proxy ARGS} from this JVM's class path against the API server at {@code
   * masterUrl}, its output in a temporary log file.
   */
  static ChildJvm start(String name, String masterUrl, List<String> args) throws IOException {
    return start(name, masterUrl, args, false);
  }

  /** The JVM flags and environment of the image's final stage. */
  record Image(List<String> flags, Map<String, String> environment) {}

  /**
   * Reads the JVM flags (between {@code java} and {@code -jar} in the ENTRYPOINT) and the ENV lines
   * of a Dockerfile's last stage, so the harness runs what the image runs.
   */
  static Image image(String dockerfile) {
    List<String> flags = new ArrayList<>();
    Map<String, String> env = new LinkedHashMap<>();
    for (String line : dockerfile.lines().toList()) {
      String t = line.strip();
      if (t.startsWith("FROM ")) {
        flags.clear();
        env.clear();
      } else if (t.startsWith("ENV ")) {
        for (String kv : WHITESPACE.split(t.substring(4).strip(), -1)) {
          int eq = kv.indexOf('=');
          if (eq <= 0) {
            throw new IllegalArgumentException("ENV: " + kv + " (expected: KEY=VALUE)");
          }
          env.put(kv.substring(0, eq), kv.substring(eq + 1));
        }
      } else if (t.startsWith("ENTRYPOINT ")) {
        List<String> words = new ArrayList<>();
        Matcher m = QUOTED.matcher(t);
        while (m.find()) {
          words.add(m.group(1));
        }
        int jar = words.indexOf("-jar");
        if (words.isEmpty() || !words.getFirst().equals("java") || jar < 0) {
          throw new IllegalArgumentException(
              "ENTRYPOINT: " + t + " (expected: [\"java\", flags..., \"-jar\", ...])");
        }
        flags = new ArrayList<>(words.subList(1, jar));
      }
    }
    if (flags.isEmpty()) {
      throw new IllegalArgumentException("Dockerfile: no ENTRYPOINT running java -jar");
    }
    return new Image(List.copyOf(flags), Map.copyOf(env));
  }

  /** As {@link #start(String, String, List)}; {@code track}: native memory tracking on. */
  static ChildJvm start(String name, String masterUrl, List<String> args, boolean track)
      throws IOException {
    return start(name, masterUrl, args, track, List.of());
  }

  /** As {@link #start(String, String, List, boolean)}, with {@code jvmFlags} after the image's. */
  static ChildJvm start(
      String name, String masterUrl, List<String> args, boolean track, List<String> jvmFlags)
      throws IOException {
    requireNonNull(masterUrl, "masterUrl");
    // fabric8 reads its configuration from system properties when there is no kubeconfig.
    List<String> flags = new ArrayList<>(jvmFlags);
    flags.add("-Dkubernetes.master=" + masterUrl);
    flags.add("-Dkubernetes.auth.tryKubeConfig=false");
    flags.add("-Dkubernetes.auth.tryServiceAccount=false");
    return start(name, new Launch(List.of(), Map.of(), MEMORY_LIMIT), args, track, flags);
  }

  /**
   * How a child is launched beyond the image: {@code prefix} before {@code java} (such as {@code
   * taskset -c 1}), {@code environment} over the image's (such as {@code KUBECONFIG}), and the
   * memory limit standing for the container's.
   */
  record Launch(List<String> prefix, Map<String, String> environment, String memoryLimit) {
    Launch {
      prefix = List.copyOf(requireNonNull(prefix, "prefix"));
      environment = Map.copyOf(requireNonNull(environment, "environment"));
      requireNonNull(memoryLimit, "memoryLimit");
    }
  }

  /**
   * {@code multinet-proxy ARGS} launched as {@code launch} says, {@code jvmFlags} after the
   * image's.
   */
  static ChildJvm start(
      String name, Launch launch, List<String> args, boolean track, List<String> jvmFlags)
      throws IOException {
    requireNonNull(name, "name");
    Path java = Path.of(System.getProperty("java.home"), "bin", "java");
    List<String> command = new ArrayList<>(launch.prefix());
    command.add(java.toString());
    Image image = image(Files.readString(Path.of("Dockerfile"), StandardCharsets.UTF_8));
    for (String flag : image.flags()) {
      // The image's AOT cache is a path inside the image, trained for its jar: not for this
      // classpath, and a second -XX:AOTCache or an -XX:AOTCacheOutput in jvmFlags would clash.
      if (!flag.startsWith("-XX:AOTCache=") && !flag.startsWith("-Dmultinet.aotCache=")) {
        command.add(flag);
      }
    }
    command.add("-XX:MaxRAM=" + launch.memoryLimit());
    if (track) {
      command.add("-XX:NativeMemoryTracking=summary");
    }
    command.addAll(jvmFlags);
    command.add("-cp");
    command.add(System.getProperty("java.class.path"));
    command.add("io.multinet.app.MultinetProxy");
    command.addAll(args);
    Path log = Files.createTempFile("scale-" + name + "-", ".log");
    long startedAt = System.nanoTime();
    var builder =
        new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(log.toFile());
    // Options meant for the harness (a flight recording, say) would make the child write there too.
    builder.environment().remove("JAVA_TOOL_OPTIONS");
    builder.environment().putAll(image.environment());
    builder.environment().putAll(launch.environment());
    Process p = builder.start();
    return new ChildJvm(name, p, log, startedAt);
  }

  long startedAt() {
    return startedAt;
  }

  long pid() {
    return process.pid();
  }

  /** Fails with the tail of the child's log if it has exited. */
  void checkAlive() throws IOException {
    if (!process.isAlive()) {
      throw new IllegalStateException(
          name + ": exited with " + process.exitValue() + "; its log ends:\n" + tail());
    }
  }

  /** The last lines of the child's output. */
  private String tail() throws IOException {
    List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8);
    return String.join("\n", lines.subList(Math.max(0, lines.size() - 20), lines.size()));
  }

  /** Waits until the child's output holds {@code text}. */
  void awaitLog(String text, Duration max) throws IOException, InterruptedException {
    long deadline = System.nanoTime() + max.toNanos();
    while (!Files.readString(log, StandardCharsets.UTF_8).contains(text)) {
      checkAlive();
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException(
            name + ": no \"" + text + "\" in its log after " + max + "; it ends:\n" + tail());
      }
      TimeUnit.MILLISECONDS.sleep(100);
    }
  }

  /** User plus system CPU time so far, in clock ticks ({@code /proc/PID/stat} fields 14, 15). */
  long cpuTicks() throws IOException {
    String stat = Files.readString(Path.of("/proc", String.valueOf(process.pid()), "stat"));
    // The command name in parentheses may hold spaces: split after its closing parenthesis.
    String[] f = stat.substring(stat.lastIndexOf(')') + 2).split(" ", -1);
    return Long.parseLong(f[11]) + Long.parseLong(f[12]);
  }

  /** Resident set size ({@code VmRSS}). */
  long rssBytes() throws IOException {
    for (String line :
        Files.readAllLines(Path.of("/proc", String.valueOf(process.pid()), "status"))) {
      if (line.startsWith("VmRSS:")) {
        return Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
      }
    }
    throw new IllegalStateException(name + ": no VmRSS in /proc/" + process.pid() + "/status");
  }

  /**
   * Waits until the child has used under a tenth of a CPU in each of three consecutive seconds: its
   * caches are filled and its syncs have stopped.
   */
  void awaitQuiet(Duration max) throws IOException, InterruptedException {
    long deadline = System.nanoTime() + max.toNanos();
    int quietSeconds = 0;
    long last = cpuTicks();
    while (quietSeconds < 3) {
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException(name + ": still busy after " + max);
      }
      TimeUnit.SECONDS.sleep(1);
      checkAlive();
      long now = cpuTicks();
      quietSeconds = now - last < TICKS_PER_SECOND / 10 ? quietSeconds + 1 : 0;
      last = now;
    }
  }

  /**
   * Live heap: the total of {@code jcmd PID GC.class_histogram}, which runs a full collection first
   * and counts only reachable objects.
   */
  long liveHeapBytes() throws IOException, InterruptedException {
    String out = jcmd("GC.class_histogram");
    for (String line : out.lines().toList()) {
      // "Total       1234567      98765432"
      String t = line.strip();
      if (t.startsWith("Total")) {
        return Long.parseLong(WHITESPACE.split(t, -1)[2]);
      }
    }
    throw new IllegalStateException(name + ": no Total in the class histogram: " + out);
  }

  /** {@code jcmd PID VM.native_memory summary}: committed memory by JVM area (tracking on). */
  String nativeMemory() throws IOException, InterruptedException {
    return jcmd("VM.native_memory", "summary");
  }

  /** The output of {@code jcmd PID COMMAND...} run with this JVM's jcmd. */
  private String jcmd(String... command) throws IOException, InterruptedException {
    List<String> argv = new ArrayList<>();
    argv.add(Path.of(System.getProperty("java.home"), "bin", "jcmd").toString());
    argv.add(String.valueOf(process.pid()));
    argv.addAll(List.of(command));
    Process p = new ProcessBuilder(argv).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!p.waitFor(2, TimeUnit.MINUTES) || p.exitValue() != 0) {
      throw new IllegalStateException(name + ": jcmd " + String.join(" ", command) + ": " + out);
    }
    return out;
  }

  /**
   * Polls a Prometheus text endpoint until the values of the samples named {@code metric} add up to
   * at least {@code atLeast}; returns the nanoTime it first did.
   */
  long awaitMetric(URI metrics, String metric, double atLeast, Duration max)
      throws IOException, InterruptedException {
    long deadline = System.nanoTime() + max.toNanos();
    try (var http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(1)).build()) {
      var request = HttpRequest.newBuilder(metrics).timeout(Duration.ofSeconds(5)).build();
      while (System.nanoTime() < deadline) {
        checkAlive();
        try {
          String body = http.send(request, HttpResponse.BodyHandlers.ofString()).body();
          if (sum(body, metric) >= atLeast) {
            return System.nanoTime();
          }
        } catch (IOException e) {
          // Not listening yet: the JVM is still starting.
        }
        TimeUnit.MILLISECONDS.sleep(20);
      }
    }
    throw new IllegalStateException(name + ": " + metric + " < " + atLeast + " after " + max);
  }

  /** The sum of the samples of {@code metric} (any labels) in Prometheus text. */
  static double sum(String text, String metric) {
    double total = 0;
    for (String line : text.lines().toList()) {
      if (line.startsWith(metric + "{") || line.startsWith(metric + " ")) {
        total += Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1));
      }
    }
    return total;
  }

  @Override
  public void close() {
    process.destroy(); // SIGTERM: the node proxy stops gracefully and leaves its rules
    try {
      if (!process.waitFor(30, TimeUnit.SECONDS)) {
        process.destroyForcibly().waitFor();
      }
    } catch (InterruptedException e) {
      process.destroyForcibly();
      Thread.currentThread().interrupt();
    }
    try {
      Files.deleteIfExists(log);
    } catch (IOException e) {
      System.err.println("deleting " + log + ": " + e);
    }
  }
}
