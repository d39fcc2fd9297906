package io.multinet.app;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.multinet.dataplane.kernel.KernelBackend;
import io.multinet.dataplane.lab.Topology;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The embedded API server (fabric8's MockWebServer) logs one INFO line per request it serves; a
 * user sees them only with {@code -v}. Each case runs the real command in a JVM of its own, as the
 * launcher does, and reads what reached its stderr.
 */
class QuietByDefaultTest {

  private static final Path ROOT = Path.of("..").toAbsolutePath().normalize();

  /** What a library's java.util.logging line looks like on the console. */
  private static final String SERVER_LOGGER = "io.fabric8.mockwebserver.MockWebServer";

  @TempDir Path dir;

  record Run(int exit, String stdout, String stderr) {}

  @Test
  void explain_byDefault_printsNoLibraryLines() throws Exception {
    Run run = run("explain", "--manifests", "examples/demo");

    assertThat(run.exit()).as(run.stderr()).isZero();
    assertThat(run.stdout()).contains("10.96.0.10");
    assertThat(run.stderr()).isEmpty();
  }

  @Test
  void explain_verbose_printsTheServersRequests() throws Exception {
    Run run = run("explain", "-v", "--manifests", "examples/demo");

    assertThat(run.exit()).as(run.stderr()).isZero();
    assertThat(run.stderr())
        .contains(SERVER_LOGGER)
        .contains("INFO: ")
        .contains("received request");
  }

  @Test
  void explain_verboseBeforeTheCommand_printsTheServersRequests() throws Exception {
    Run run = run("--verbose", "explain", "--manifests", "examples/demo");

    assertThat(run.exit()).as(run.stderr()).isZero();
    assertThat(run.stderr()).contains(SERVER_LOGGER).contains("received request");
  }

  @Test
  void demo_byDefault_printsNoLibraryLines() throws Exception {
    assumeDemoCanRun();

    Run run = run("demo");

    assertThat(run.exit()).as("%s%s", run.stdout(), run.stderr()).isZero();
    assertThat(run.stdout()).contains("demo cluster removed");
    assertThat(run.stderr().lines())
        .noneMatch(
            l -> l.contains("io.fabric8") || l.contains("io.vertx") || l.startsWith("INFO:"));
  }

  @Test
  void demo_verbose_printsTheServersRequests() throws Exception {
    assumeDemoCanRun();

    Run run = run("demo", "-v");

    assertThat(run.exit()).as("%s%s", run.stdout(), run.stderr()).isZero();
    assertThat(run.stderr()).contains(SERVER_LOGGER).contains("received request");
  }

  private static void assumeDemoCanRun() throws IOException {
    assumeTrue(Topology.unsupportedReason() == null, "needs root (CI runs as root)");
    String noNftables = KernelBackend.unavailableReason();
    assumeTrue(noNftables == null, () -> "kernel dataplane test skipped: " + noNftables);
  }

  /** Runs {@code multinet-proxy args} from the checkout in a JVM of its own. */
  private Run run(String... args) throws Exception {
    String classpath =
        System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
    Path java = Path.of(System.getProperty("java.home"), "bin", "java");
    List<String> command =
        new ArrayList<>(
            List.of(
                java.toString(),
                "--enable-native-access=ALL-UNNAMED",
                "-cp",
                classpath,
                MultinetProxy.class.getName()));
    command.addAll(List.of(args));
    Path stderr = dir.resolve("stderr");
    Process p =
        new ProcessBuilder(command)
            .directory(ROOT.toFile())
            .redirectError(stderr.toFile())
            .redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()))
            .start();
    try {
      CompletableFuture<String> stdout =
          CompletableFuture.supplyAsync(
              () -> {
                try {
                  return new String(p.getInputStream().readAllBytes(), UTF_8);
                } catch (IOException e) {
                  throw new IllegalStateException(e);
                }
              });
      if (!p.waitFor(180, TimeUnit.SECONDS)) {
        throw new IOException("timed out: " + command);
      }
      return new Run(p.exitValue(), stdout.get(10, TimeUnit.SECONDS), Files.readString(stderr));
    } finally {
      // A timed-out run is stopped; namespaces a dead demo left are removed by the next lab start.
      if (p.isAlive()) {
        p.destroy();
        if (!p.waitFor(30, TimeUnit.SECONDS)) {
          p.destroyForcibly();
        }
      }
    }
  }
}
