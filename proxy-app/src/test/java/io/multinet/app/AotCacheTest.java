package io.multinet.app;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AotCacheTest {

  @Test
  void unusedMessage_cacheNamedButNotMapped_isOneLineNamingIt() {
    assertThat(AotCache.unusedMessage("/opt/x.aot", false))
        .isEqualTo(
            "multinet-proxy: AOT cache /opt/x.aot not used (missing, or made by another JVM or"
                + " for another jar); starting without it");
  }

  @Test
  void unusedMessage_cacheMappedOrNoneNamed_isNull() {
    assertThat(AotCache.unusedMessage("/opt/x.aot", true)).isNull();
    assertThat(AotCache.unusedMessage(null, false)).isNull();
  }

  /**
   * A JVM told to use a cache that does not exist starts, and the program says so in one line: the
   * JVM's own AOT logging is off, as the launcher and the image start it.
   */
  @Test
  void main_missingCache_startsAndSaysSoInOneLine(@TempDir Path dir)
      throws IOException, InterruptedException {
    Path missing = dir.resolve("missing.aot");
    List<String> command = new ArrayList<>();
    command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
    command.addAll(
        List.of(
            "-XX:AOTCache=" + missing,
            "-Xlog:aot=off",
            "-Xlog:cds=off",
            "-D" + AotCache.PROPERTY + "=" + missing,
            "-cp",
            System.getProperty("java.class.path"),
            MultinetProxy.class.getName(),
            "--version"));
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
    String out =
        new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
    assertThat(p.exitValue()).as(out).isZero();
    assertThat(out.lines().filter(l -> l.contains("AOT")).toList())
        .containsExactly(
            "multinet-proxy: AOT cache "
                + missing
                + " not used (missing, or made by another JVM or for another jar); starting"
                + " without it");
    assertThat(Files.exists(missing)).isFalse();
  }
}
