package io.multinet.app;

import static java.util.Objects.requireNonNull;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;

/**
 * The real kubectl 1.35 binary, fetched as CI fetches Helm ({@code charts/helm.sh kubectl}), run
 * against a kubeconfig.
 */
final class Kubectl {

  /** What one kubectl run printed, and how it exited. */
  record Run(int exit, String out, String err) {
    @Override
    public String toString() {
      return "exit " + exit + "\nstdout:\n" + out + "\nstderr:\n" + err;
    }
  }

  /** A kubectl that runs until stopped (a watch): what it printed so far. */
  static final class Background implements AutoCloseable {
    private final Process process;
    private final Path out;
    private final Path err;

    private Background(Process process, Path out, Path err) {
      this.process = process;
      this.out = out;
      this.err = err;
    }

    String out() throws IOException {
      return Files.readString(out);
    }

    String err() throws IOException {
      return Files.readString(err);
    }

    boolean alive() {
      return process.isAlive();
    }

    @Override
    public void close() throws IOException {
      process.destroyForcibly();
      try {
        process.waitFor(10, TimeUnit.SECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      Files.deleteIfExists(out);
      Files.deleteIfExists(err);
    }
  }

  private final Path binary;
  private final Path kubeconfig;
  private final Map<String, String> env;

  private Kubectl(Path binary, Path kubeconfig, Map<String, String> env) {
    this.binary = binary;
    this.kubeconfig = kubeconfig;
    this.env = env;
  }

  /** Fetches kubectl once per user (cached) and points it at {@code kubeconfig}. */
  static Kubectl fetch(Path kubeconfig) throws IOException, InterruptedException {
    Path script = repoRoot().resolve("charts/helm.sh");
    Process p =
        new ProcessBuilder("bash", script.toString(), "kubectl")
            .redirectError(ProcessBuilder.Redirect.INHERIT)
            .start();
    String path = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
    if (!p.waitFor(5, TimeUnit.MINUTES) || p.exitValue() != 0 || path.isEmpty()) {
      throw new IllegalStateException("charts/helm.sh kubectl failed: exit " + p.exitValue());
    }
    return new Kubectl(Path.of(path), kubeconfig, Map.of());
  }

  /** The same kubectl with {@code name=value} added to its environment. */
  Kubectl withEnv(String name, String value) {
    var more = new java.util.HashMap<>(env);
    more.put(name, value);
    return new Kubectl(binary, kubeconfig, Map.copyOf(more));
  }

  /** Starts kubectl without waiting for it: for watches, which run until stopped. */
  Background start(String... args) throws IOException {
    Path out = Files.createTempFile(kubeconfig.getParent(), "kubectl", ".out");
    Path err = Files.createTempFile(kubeconfig.getParent(), "kubectl", ".err");
    var pb = builder(args).redirectOutput(out.toFile()).redirectError(err.toFile());
    Process p = pb.start();
    p.getOutputStream().close();
    return new Background(p, out, err);
  }

  private ProcessBuilder builder(String... args) {
    List<String> command = new ArrayList<>();
    command.add(binary.toString());
    command.addAll(List.of(args));
    var pb = new ProcessBuilder(command);
    pb.environment().put("KUBECONFIG", kubeconfig.toString());
    pb.environment().put("HOME", requireNonNull(kubeconfig.getParent(), "parent").toString());
    pb.environment().putAll(env);
    return pb;
  }

  /**
   * Runs kubectl, at most two minutes: the mock server's event loop can stall up to a minute behind
   * a closing watch (fabric8's WatchEventsListener, see IndexedCrudDispatcher), and a request
   * waiting behind it then still answers.
   */
  Run run(String... args) throws IOException, InterruptedException {
    List<String> command = new ArrayList<>();
    command.add(binary.toString());
    command.addAll(List.of(args));
    var pb = new ProcessBuilder(command);
    pb.environment().put("KUBECONFIG", kubeconfig.toString());
    pb.environment().put("HOME", requireNonNull(kubeconfig.getParent(), "parent").toString());
    pb.environment().putAll(env);
    Path out = Files.createTempFile(kubeconfig.getParent(), "kubectl", ".out");
    Path err = Files.createTempFile(kubeconfig.getParent(), "kubectl", ".err");
    pb.redirectOutput(out.toFile()).redirectError(err.toFile());
    Process p = pb.start();
    p.getOutputStream().close();
    try {
      if (!p.waitFor(2, TimeUnit.MINUTES)) {
        throw new IllegalStateException(
            "kubectl "
                + String.join(" ", args)
                + ": no answer in 2 min; its stderr: "
                + Files.readString(err)
                + "\nthe API server's threads:\n"
                + serverThreads());
      }
      return new Run(p.exitValue(), Files.readString(out), Files.readString(err));
    } finally {
      p.destroyForcibly();
      Files.deleteIfExists(out);
      Files.deleteIfExists(err);
    }
  }

  /** The stacks of the threads serving the embedded API server, to say where a request waits. */
  private static String serverThreads() {
    var dump = new StringBuilder();
    Thread.getAllStackTraces()
        .forEach(
            (thread, stack) -> {
              String text =
                  Arrays.stream(stack)
                      .map(StackTraceElement::toString)
                      .collect(Collectors.joining("\n    "));
              if (text.contains("io.fabric8.mockwebserver")
                  || text.contains("io.multinet.apiserver")) {
                dump.append(thread.getName()).append(":\n    ").append(text).append('\n');
              }
            });
    return dump.toString();
  }

  static Path repoRoot() {
    Path dir = Path.of("").toAbsolutePath();
    while (dir != null && !Files.exists(dir.resolve("charts/helm.sh"))) {
      dir = dir.getParent();
    }
    return requireNonNull(dir, "no charts/helm.sh above the working directory");
  }
}
