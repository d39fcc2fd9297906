package io.multinet.dataplane.vpp;

import static java.nio.charset.StandardCharsets.UTF_8;
import static java.util.Objects.requireNonNull;

import io.multinet.dataplane.lab.LabNamespaces;
import io.multinet.dataplane.lab.Topology;
import java.io.IOException;
import java.io.InterruptedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * A real VPP of the test's own, started with the shared {@code vpp.sh} (the stripped runtime built
 * from FDio/vpp, no hugepages, no DPDK) inside a network namespace this extension creates, with a
 * run directory of its own; stopped, and both removed, in every outcome. Register it as a static
 * field: {@link #perClass()} starts one VPP for the class, {@link #perTest()} one per test. Several
 * run side by side (each run directory has its own API socket, CLI socket and shared-memory
 * prefix), so parallel builds do not meet.
 *
 * <p>The runtime is the one {@code $MULTINET_VPP_DIR} names when it is set, else {@code
 * ../shared/vpp} beside the repository, else {@code /work/shared/vpp}. Without it, or without root,
 * the tests skip with one line saying why.
 */
final class RealVpp
    implements BeforeAllCallback, AfterAllCallback, BeforeEachCallback, AfterEachCallback {

  static final String DIR_ENV = "MULTINET_VPP_DIR";
  private static final String PREFIX = "vppt";
  private static final Path RUN_ROOT =
      Path.of(System.getProperty("java.io.tmpdir"), "multinet-vpp-tests");
  private static final Pattern OWNED = Pattern.compile(PREFIX + "-([0-9]{1,10})-[0-9a-f]{4}");

  /** iproute2's ip: test JVMs often run with a PATH that lacks the sbin directories. */
  static final String IP =
      Stream.of("/usr/sbin/ip", "/sbin/ip", "/usr/bin/ip", "/bin/ip")
          .filter(f -> Files.isExecutable(Path.of(f)))
          .findFirst()
          .orElse("ip");

  private static volatile boolean skipLinePrinted;

  private final boolean perTest;
  private @Nullable Path script;
  private @Nullable String netns;
  private @Nullable Path runDir;
  private @Nullable Path socket;

  private RealVpp(boolean perTest) {
    this.perTest = perTest;
  }

  /** One VPP for the whole test class. */
  static RealVpp perClass() {
    return new RealVpp(false);
  }

  /** A fresh VPP for every test. */
  static RealVpp perTest() {
    return new RealVpp(true);
  }

  /** The directory holding {@code vpp.sh} and the runtime, if there is one. */
  static @Nullable Path findDir() {
    List<Path> candidates = new ArrayList<>();
    String env = System.getenv(DIR_ENV);
    if (env != null && !env.isBlank()) {
      return isRuntime(Path.of(env)) ? Path.of(env) : null; // named: that one or none
    }
    Path repo = repository();
    if (repo != null && repo.getParent() != null) {
      candidates.add(repo.getParent().resolve("shared/vpp"));
    }
    candidates.add(Path.of("/work/shared/vpp"));
    for (Path dir : candidates) {
      if (isRuntime(dir)) {
        return dir;
      }
    }
    return null;
  }

  private static boolean isRuntime(Path dir) {
    return Files.isExecutable(dir.resolve("vpp.sh"))
        && Files.isRegularFile(dir.resolve("vpp-runtime.tar.gz"));
  }

  /** The repository this test runs in: the nearest directory above with {@code mvnw}. */
  private static @Nullable Path repository() {
    for (Path d = Path.of("").toAbsolutePath(); d != null; d = d.getParent()) {
      if (Files.isRegularFile(d.resolve("mvnw"))
          && Files.isDirectory(d.resolve("dataplane-programmer"))) {
        return d;
      }
    }
    return null;
  }

  /** Why no VPP can run here, or null. */
  static @Nullable String unavailableReason() throws IOException {
    if (findDir() == null) {
      String env = System.getenv(DIR_ENV);
      return env != null && !env.isBlank()
          ? "no VPP runtime (vpp.sh and vpp-runtime.tar.gz) in " + DIR_ENV + "=" + env
          : "no VPP runtime (vpp.sh and vpp-runtime.tar.gz) in $"
              + DIR_ENV
              + ", ../shared/vpp beside the repository or /work/shared/vpp";
    }
    return Topology.unsupportedReason();
  }

  @Override
  public void beforeAll(ExtensionContext context) throws Exception {
    assumeAvailable(context);
    if (!perTest) {
      start();
    }
  }

  @Override
  public void beforeEach(ExtensionContext context) throws Exception {
    if (perTest) {
      start();
    }
  }

  @Override
  public void afterEach(ExtensionContext context) throws Exception {
    if (perTest) {
      stop();
    }
  }

  @Override
  public void afterAll(ExtensionContext context) throws Exception {
    stop();
  }

  private static void assumeAvailable(ExtensionContext context) throws IOException {
    String why = unavailableReason();
    if (why != null) {
      String line = "real-VPP tests skipped: " + why;
      if (!skipLinePrinted) {
        skipLinePrinted = true;
        System.err.println(line);
      }
      Assumptions.abort(context.getDisplayName() + ": " + line);
    }
  }

  /** The API socket of the running VPP. */
  Path socket() {
    return requireNonNull(socket, "socket (VPP not started)");
  }

  /** The namespace VPP runs in: af_packet interfaces attach to veth ends there. */
  String netns() {
    return requireNonNull(netns, "netns (VPP not started)");
  }

  Path runDir() {
    return requireNonNull(runDir, "runDir (VPP not started)");
  }

  private synchronized void start() throws Exception {
    Path dir = requireNonNull(findDir(), "vpp dir");
    script = dir.resolve("vpp.sh");
    Files.createDirectories(RUN_ROOT);
    removeLeftovers();
    String ns = LabNamespaces.create(PREFIX);
    netns = ns;
    Path run = RUN_ROOT.resolve(ns);
    runDir = run;
    try {
      Files.createDirectories(run);
      // One unpacked runtime for every VPP of this tarball: vpp.sh unpacks only when missing.
      Files.createSymbolicLink(run.resolve("prefix"), sharedRuntime(dir));
      socket = Path.of(startVpp());
    } catch (Exception | Error e) {
      try {
        stop();
      } catch (Exception cleanup) {
        e.addSuppressed(cleanup);
      }
      throw e;
    }
  }

  private String startVpp() throws IOException {
    String out =
        exec(
            List.of(
                IP, "netns", "exec", netns(), script().toString(), "start", runDir().toString()),
            60);
    return out.strip().lines().reduce((a, b) -> b).orElseThrow();
  }

  /** Stops VPP and starts it again in the same namespace and run directory (same API socket). */
  synchronized void restart() throws IOException {
    stopVpp();
    startVpp();
  }

  /** Stops VPP (kept stopped until {@link #startAgain}). */
  synchronized void stopVpp() throws IOException {
    exec(List.of(script().toString(), "stop", runDir().toString()), 30);
  }

  synchronized void startAgain() throws IOException {
    startVpp();
  }

  /** Runs one vppctl command against this VPP and returns its output. */
  String ctl(String... args) throws IOException {
    List<String> cmd = new ArrayList<>(List.of(script().toString(), "ctl", runDir().toString()));
    cmd.addAll(List.of(args));
    return exec(cmd, 30);
  }

  /** Runs CLI commands, one a line, in one vppctl call (VPP's {@code exec FILE}). */
  String ctlScript(List<String> lines) throws IOException {
    Path file = Files.createTempFile(runDir(), "cli-", ".txt");
    try {
      Files.writeString(file, String.join("\n", lines) + "\n");
      String out = ctl("exec", file.toString());
      if (out.contains("unknown input") || out.contains("failed") || out.contains("error")) {
        throw new IOException(
            "vppctl exec: " + out.strip() + "\nscript:\n" + String.join("\n", lines));
      }
      return out;
    } finally {
      Files.deleteIfExists(file);
    }
  }

  private Path script() {
    return requireNonNull(script, "script");
  }

  private synchronized void stop() throws IOException {
    IOException failure = null;
    Path run = runDir;
    if (run != null && script != null) {
      try {
        exec(List.of(script().toString(), "stop", run.toString()), 30);
      } catch (IOException e) {
        failure = e;
      }
      try {
        deleteTree(run);
      } catch (IOException e) {
        failure = chain(failure, e);
      }
    }
    String ns = netns;
    if (ns != null) {
      try {
        LabNamespaces.delete(ns);
      } catch (IOException e) {
        failure = chain(failure, e);
      }
    }
    runDir = null;
    netns = null;
    socket = null;
    if (failure != null) {
      throw failure;
    }
  }

  /**
   * Stops the VPPs and removes the run directories that a killed test JVM left (named after its
   * pid, like the namespaces), then the namespaces themselves.
   */
  private void removeLeftovers() throws IOException {
    try (Stream<Path> dirs = Files.list(RUN_ROOT)) {
      for (Path d : dirs.toList()) {
        Matcher m = OWNED.matcher(d.getFileName().toString());
        if (m.matches() && ProcessHandle.of(Long.parseLong(m.group(1))).isEmpty()) {
          exec(List.of(script().toString(), "stop", d.toString()), 30);
          deleteTree(d);
        }
      }
    }
    LabNamespaces.removeLeftovers(PREFIX);
  }

  /** The runtime unpacked once per tarball (by size and time), shared by every run directory. */
  private static Path sharedRuntime(Path dir) throws IOException {
    Path tarball = dir.resolve("vpp-runtime.tar.gz");
    Path target =
        RUN_ROOT.resolve(
            "runtime-" + Files.size(tarball) + "-" + Files.getLastModifiedTime(tarball).toMillis());
    if (Files.isExecutable(target.resolve("vpp/bin/vpp"))) {
      return target;
    }
    Path tmp = Files.createTempDirectory(RUN_ROOT, "unpacking-");
    try {
      exec(List.of("tar", "-xzf", tarball.toString(), "-C", tmp.toString()), 120);
      Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
    } catch (IOException e) {
      deleteTree(tmp);
      if (!Files.isExecutable(target.resolve("vpp/bin/vpp"))) {
        throw e;
      } // another JVM unpacked it meanwhile
    }
    return target;
  }

  private static void deleteTree(Path root) throws IOException {
    if (!Files.exists(root, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
      return;
    }
    try (Stream<Path> all = Files.walk(root)) {
      for (Path p : all.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(p); // a symlink is deleted, not followed
      }
    }
  }

  /** Runs a command, returns its stdout; a failure carries the command, its exit and its output. */
  static String exec(List<String> command, int timeoutSeconds) throws IOException {
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    p.getOutputStream().close();
    byte[] out;
    try {
      out = p.getInputStream().readAllBytes();
      if (!p.waitFor(timeoutSeconds, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        throw new IOException(
            "timed out after " + timeoutSeconds + " s: " + String.join(" ", command));
      }
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      p.destroyForcibly();
      throw new InterruptedIOException("interrupted: " + String.join(" ", command));
    }
    String text = new String(out, UTF_8);
    if (p.exitValue() != 0) {
      throw new IOException(
          String.join(" ", command) + " failed (exit " + p.exitValue() + "): " + text.strip());
    }
    return text;
  }

  private static IOException chain(@Nullable IOException first, IOException next) {
    if (first == null) {
      return next;
    }
    first.addSuppressed(next);
    return first;
  }
}
