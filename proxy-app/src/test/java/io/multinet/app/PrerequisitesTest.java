package io.multinet.app;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * A missing system prerequisite (libnftables, nft, conntrack) gets one line and exit code 2, never
 * a stack trace: from the launcher before any build (bin/multinet-proxy, bin/test, run with search
 * paths that leave the parts out) and from the jar run directly (with the library hidden by a bind
 * mount in a private mount namespace). No addresses: nothing is programmed.
 */
class PrerequisitesTest {

  private static final Path ROOT = Path.of("..").toAbsolutePath().normalize();

  @TempDir Path dir;

  /** What a launcher run printed (stdout and stderr together) and its exit code. */
  record Run(int exit, String output) {
    List<String> lines() {
      return output.lines().toList();
    }
  }

  @ParameterizedTest
  @ValueSource(strings = {"demo", "run --node n", "agent", "dataplane apply --state s.json"})
  void launcher_noInstallAndPartsMissing_namesThemInOneLineAndExits2(String command)
      throws Exception {
    List<String> args = new ArrayList<>(List.of("bin/multinet-proxy", "--no-install"));
    args.addAll(List.of(command.split(" ")));

    Run run = launch(args, Map.of());

    assertThat(run.exit()).as(run.output()).isEqualTo(2);
    assertThat(run.lines())
        .singleElement()
        .asString()
        .isEqualTo(
            "multinet-proxy: missing libnftables.so.1, nft, conntrack; install with: "
                + installCommand("apt-get install -y libnftables1 nftables conntrack"));
  }

  @Test
  void launcher_otherDistribution_givesItsInstallCommandEvenWithoutNoInstall() throws Exception {
    Path osRelease = Files.writeString(dir.resolve("os-release"), "ID=fedora\n");

    Run run =
        launch(List.of("bin/multinet-proxy", "demo"), Map.of("MULTINET_OS_RELEASE", osRelease));

    assertThat(run.exit()).as(run.output()).isEqualTo(2);
    assertThat(run.lines())
        .singleElement()
        .asString()
        .endsWith("install with: " + installCommand("dnf install -y nftables conntrack-tools"));
  }

  @Test
  void test_noInstallAndPartsMissing_stopsBeforeMaven() throws Exception {
    // Without root bin/test goes on to Maven (the dataplane tests skip there): root only.
    assumeTrue(isRoot(), "needs root");

    Run run = launch(List.of("bin/test", "--no-install"), Map.of());

    assertThat(run.exit()).as(run.output()).isEqualTo(2);
    assertThat(run.lines())
        .singleElement()
        .asString()
        .isEqualTo(
            "test: missing libnftables.so.1, nft, conntrack, dig; install with: "
                + installCommand(
                    "apt-get install -y libnftables1 nftables conntrack bind9-dnsutils"));
  }

  @Test
  void jar_libnftablesMissing_oneLineAndExit2() throws Exception {
    assumeTrue(isRoot() && Files.isExecutable(Path.of("/usr/bin/unshare")), "needs root, unshare");
    Path lib = Path.of("/lib/x86_64-linux-gnu/libnftables.so.1");
    assumeTrue(Files.exists(lib), "libnftables installed (bin/test installs it)");
    String classpath =
        System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
    Path java = Path.of(System.getProperty("java.home"), "bin", "java");
    // A private mount and network namespace: the library reads as an empty file, and if the
    // command did run after all, it would clean up a namespace nobody uses.
    var command =
        List.of(
            "unshare",
            "--mount",
            "--net",
            "sh",
            "-c",
            "mount --bind /dev/null \"$1\" && exec \"$2\" --enable-native-access=ALL-UNNAMED"
                + " -cp \"$3\" io.multinet.app.MultinetProxy run --cleanup",
            "sh",
            lib.toRealPath().toString(),
            java.toString(),
            classpath);

    Run run = exec(command, Map.of());

    assertThat(run.exit()).as(run.output()).isEqualTo(2);
    assertThat(run.lines())
        .singleElement()
        .asString()
        .startsWith("multinet-proxy: libnftables.so.1 not found (")
        .contains("apt-get install -y libnftables1")
        .doesNotContain("Exception");
  }

  /**
   * Runs a launcher from the checkout with commands searched in a directory holding only {@code ip}
   * and libraries in an empty one: libnftables, nft and conntrack are missing.
   */
  private Run launch(List<String> args, Map<String, Path> env) throws Exception {
    Path bin = Files.createDirectories(dir.resolve("bin"));
    Path libs = Files.createDirectories(dir.resolve("lib"));
    Path ip = bin.resolve("ip");
    if (!Files.exists(ip)) {
      Files.writeString(ip, "#!/bin/sh\nexec /bin/ip \"$@\"\n");
      assertThat(ip.toFile().setExecutable(true)).isTrue();
    }
    var vars = new java.util.HashMap<String, String>();
    vars.put("MULTINET_PREREQ_PATH", bin.toString());
    vars.put("MULTINET_PREREQ_LIBPATH", libs.toString());
    env.forEach((k, v) -> vars.put(k, v.toString()));
    List<String> command = new ArrayList<>(args);
    command.set(0, ROOT.resolve(args.getFirst()).toString());
    return exec(command, vars);
  }

  private static Run exec(List<String> command, Map<String, String> env) throws Exception {
    var builder = new ProcessBuilder(command).directory(ROOT.toFile()).redirectErrorStream(true);
    builder.environment().putAll(env);
    Process p = builder.start();
    p.getOutputStream().close();
    String out = new String(p.getInputStream().readAllBytes(), UTF_8);
    if (!p.waitFor(60, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new IOException("timed out: " + command + "\n" + out);
    }
    return new Run(p.exitValue(), out);
  }

  private static String installCommand(String command) throws IOException {
    return (isRoot() ? "" : "sudo ") + command;
  }

  private static boolean isRoot() throws IOException {
    return Files.readString(Path.of("/proc/self/status"))
        .lines()
        .filter(l -> l.startsWith("Uid:"))
        .anyMatch(l -> l.split("\\s+")[1].equals("0"));
  }
}
