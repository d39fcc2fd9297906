package io.multinet.benchmarks;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.multinet.benchmarks.KernelProgrammingBenchmark.Lab;
import io.multinet.benchmarks.LayoutAlternatives.Layout;
import io.multinet.dataplane.kernel.NftSession;
import io.multinet.dataplane.v1.Backend;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Every layout's text loads into a real namespace with one DNAT target per endpoint, and its change
 * batches swap exactly the changed service's endpoints, both ways.
 */
class LayoutAlternativesTest {

  private static final int SERVICES = 48;
  private static final Pattern ENDPOINT = Pattern.compile("\\b10\\.1\\.\\d+\\.\\d+");

  @ParameterizedTest
  @EnumSource(Layout.class)
  void loadsAndChangesEndpoints(Layout layout) throws Exception {
    assumeTrue(
        Files.isWritable(Path.of("/run")) && Files.exists(Path.of("/usr/sbin/ip")),
        "needs root and iproute2 (CI runs as root)");
    String netns = "lyt-" + Integer.toHexString(ThreadLocalRandom.current().nextInt(1 << 24));
    Lab.run(List.of("ip", "netns", "add", netns));
    try (NftSession nft = new NftSession(netns)) {
      nft.run(LayoutAlternatives.full(layout, SERVICES));
      List<String> loaded = endpoints(nft.run("list table " + LayoutAlternatives.TABLE));
      assertThat(loaded).hasSize(SERVICES * KernelWorkload.ENDPOINTS);

      int changed = SERVICES / 2;
      nft.run(LayoutAlternatives.change(layout, changed, 0, 1));
      List<String> after = endpoints(nft.run("list table " + LayoutAlternatives.TABLE));
      List<String> expected = new ArrayList<>(loaded);
      for (Backend b : KernelWorkload.port(changed, 0).getBackendsList()) {
        assertThat(expected.remove(b.getAddress())).isTrue();
      }
      KernelWorkload.port(changed, 1).getBackendsList().forEach(b -> expected.add(b.getAddress()));
      assertThat(after).containsExactlyInAnyOrderElementsOf(expected);

      nft.run(LayoutAlternatives.change(layout, changed, 1, 0));
      assertThat(endpoints(nft.run("list table " + LayoutAlternatives.TABLE)))
          .containsExactlyInAnyOrderElementsOf(loaded);
    } finally {
      Lab.run(List.of("ip", "netns", "del", netns));
    }
  }

  private static List<String> endpoints(String listing) {
    List<String> out = new ArrayList<>();
    Matcher m = ENDPOINT.matcher(listing);
    while (m.find()) {
      out.add(m.group());
    }
    return out;
  }
}
