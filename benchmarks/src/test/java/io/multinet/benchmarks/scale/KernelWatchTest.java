package io.multinet.benchmarks.scale;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.multinet.benchmarks.scale.KernelWatch.Event;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ThreadLocalRandom;
import org.junit.jupiter.api.Test;

class KernelWatchTest {

  private static final String KEY = "0 10.96.0.10 80";

  @Test
  void start_thenTheProxysElements_seesTheStateAndTimesAChange() throws Exception {
    assumeTrue(
        Files.isWritable(Path.of("/run")) && Files.exists(Path.of("/usr/sbin/nft")),
        "needs root and nft (CI runs as root)");
    String netns = "kw-" + Integer.toHexString(ThreadLocalRandom.current().nextInt(1 << 24));
    run("ip", "netns", "add", netns);
    try (KernelWatch watch = KernelWatch.start(netns)) {
      watch.expect(Map.of(KEY, Set.of("10.128.0.1", "10.128.0.2")));
      long before = System.nanoTime();
      nft(
          netns,
          """
          table inet multinet {
            map ep4_tcp { typeof ct zone . ip daddr . tcp dport . numgen random mod 1 : ip daddr . tcp dport; size 65536; }
            map svc4 { typeof ct zone . ip daddr . meta l4proto . th dport : verdict; size 65536; }
            chain lb_rand_2 { }
          }
          add element inet multinet ep4_tcp { 0 . 10.96.0.10 . 80 . 0 : 10.128.0.1 . 8080, 0 . 10.96.0.10 . 80 . 1 : 10.128.0.2 . 8080 }
          add element inet multinet svc4 { 0 . 10.96.0.10 . tcp . 80 : goto lb_rand_2 }
          """);

      assertThat(watch.awaitExpected(Duration.ofSeconds(10))).isGreaterThan(before);
      assertThat(watch.state()).isEqualTo(Map.of(KEY, Set.of("10.128.0.1", "10.128.0.2")));

      // A change: slot 1 moves to a new address, as the node proxy's delta writes it.
      watch.changeWritten(KEY, "10.128.0.3", System.nanoTime());
      watch.changeWritten(KEY, "10.128.0.9", System.nanoTime()); // superseded: never written
      watch.expect(Map.of(KEY, Set.of("10.128.0.1", "10.128.0.3")));
      nft(
          netns,
          """
          delete element inet multinet ep4_tcp { 0 . 10.96.0.10 . 80 . 1 }
          add element inet multinet ep4_tcp { 0 . 10.96.0.10 . 80 . 1 : 10.128.0.3 . 8080 }
          """);
      watch.awaitExpected(Duration.ofSeconds(10));

      long[] latencies = watch.takeLatencies();
      assertThat(latencies).hasSize(1);
      assertThat(latencies[0]).isPositive();
      assertThat(watch.takePending()).isEqualTo(1);
      assertThat(watch.errors()).isEmpty();
    } finally {
      run("ip", "netns", "del", netns);
    }
  }

  private static void nft(String netns, String script) throws Exception {
    Path f = Files.createTempFile("kernel-watch", ".nft");
    try {
      Files.writeString(f, script, StandardCharsets.UTF_8);
      run("ip", "netns", "exec", netns, "nft", "-f", f.toString());
    } finally {
      Files.deleteIfExists(f);
    }
  }

  private static void run(String... command) throws IOException, InterruptedException {
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (p.waitFor() != 0) {
      throw new IOException(String.join(" ", command) + ": " + out);
    }
  }

  @Test
  void parse_endpointElements_giveKeySlotAndAddress() {
    assertThat(
            KernelWatch.parse(
                "add element inet multinet ep4_tcp { 56 . 10.96.0.10 . 80 . 3 : 10.128.0.1 . 8080"
                    + ", 56 . 10.96.0.10 . 80 . 4 : 10.128.0.2 . 8080 }"))
        .containsExactly(
            new Event(true, "ep4_tcp", "56 10.96.0.10 80", 3, "10.128.0.1"),
            new Event(true, "ep4_tcp", "56 10.96.0.10 80", 4, "10.128.0.2"));
    assertThat(
            KernelWatch.parse(
                "delete element inet multinet ep4_tcp { 0 . 10.97.1.2 . 80 . 0 : 10.128.0.1 . 8080 }"))
        .containsExactly(new Event(false, "ep4_tcp", "0 10.97.1.2 80", 0, "10.128.0.1"));
  }

  @Test
  void parse_serviceElement_givesKeyWithoutProtocol() {
    assertThat(
            KernelWatch.parse(
                "add element inet multinet svc4 { 0 . 10.96.0.10 . tcp . 80 : goto lb_rand_10 }"))
        .containsExactly(new Event(true, "svc4", "0 10.96.0.10 80", -1, null));
  }

  @Test
  void parse_otherLines_giveNothing() {
    assertThat(KernelWatch.parse("add table inet multinet")).isEmpty();
    assertThat(KernelWatch.parse("# new generation 3 by process 6599 (nft)")).isEmpty();
    assertThat(KernelWatch.parse("add element inet multinet hairpin4 { 0 . 10.128.0.1 }"))
        .isEmpty();
  }
}
