package io.multinet.dataplane.lab;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/** Runs iproute2's {@code ip}; a failure carries the command line and its stderr. */
final class Ip {
  // Test JVMs often run with a PATH that lacks the sbin directories.
  static final Optional<Path> BINARY =
      Stream.concat(
              Stream.of(System.getenv().getOrDefault("PATH", "").split(":")),
              Stream.of("/usr/sbin", "/sbin", "/usr/bin", "/bin"))
          .filter(dir -> !dir.isEmpty())
          .map(dir -> Path.of(dir, "ip"))
          .filter(Files::isExecutable)
          .findFirst();

  private Ip() {}

  /** Runs {@code ip args...} and returns its stdout. */
  static String run(String... args) throws IOException {
    return exec(List.of(args), "");
  }

  /**
   * Runs {@code lines} as one {@code ip -n NETNS [-6] -batch -}: one process instead of one per
   * command (each costs ~10 ms here). Batch lines cannot carry {@code -6}, hence the flag.
   */
  static void batch(String netns, boolean ipv6, List<String> lines) throws IOException {
    if (lines.isEmpty()) {
      return;
    }
    List<String> args = new ArrayList<>(List.of("-n", netns));
    if (ipv6) {
      args.add("-6");
    }
    args.addAll(List.of("-batch", "-"));
    exec(args, String.join("\n", lines) + "\n");
  }

  private static String exec(List<String> args, String stdin) throws IOException {
    List<String> command = new ArrayList<>();
    command.add(BINARY.orElseThrow(() -> new IOException("iproute2 'ip' not found")).toString());
    command.addAll(args);
    Process process = new ProcessBuilder(command).start();
    try (OutputStream in = process.getOutputStream()) {
      in.write(stdin.getBytes(StandardCharsets.UTF_8));
    }
    // ip's output is small: reading stdout then stderr cannot fill a pipe and deadlock.
    String out = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    String err = new String(process.getErrorStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!waitFor(process)) {
      process.destroyForcibly();
      throw new IOException("timed out: " + String.join(" ", command));
    }
    if (process.exitValue() != 0) {
      throw new IOException(
          String.join(" ", command)
              + " failed (exit "
              + process.exitValue()
              + "): "
              + err.strip()
              + (stdin.isEmpty() ? "" : "\nbatch input:\n" + stdin));
    }
    return out;
  }

  private static boolean waitFor(Process process) throws IOException {
    try {
      return process.waitFor(30, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      process.destroyForcibly();
      throw new InterruptedIOException("interrupted waiting for ip");
    }
  }
}
