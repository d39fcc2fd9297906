package io.multinet.demo;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.multinet.dataplane.lab.Topology;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;

/**
 * The demo end to end: examples/demo in the embedded API server, the controller, the node proxy and
 * the kernel dataplane in lab namespaces, real TCP from each network's client. Addresses are the
 * manifests': blue and red both 10.1.0.0/16 with VIP 10.96.0.10; default pods 10.244.0.0/16.
 */
class DemoTest {

  @Test
  void demo_eachNetworksClientReachesOnlyItsOwnBackends() throws Exception {
    assumeTrue(Topology.unsupportedReason() == null, "needs root (CI runs as root)");
    var command = io.multinet.app.DemoTestAccess.newCommandLine();
    var out = new StringWriter();
    command.setOut(new PrintWriter(out));

    int exit = command.execute("demo", "--manifests", "../examples/demo", "--requests", "12");

    String text = out.toString();
    assertThat(exit).as(text).isZero();
    assertThat(line(text, "blue demo/web:http 10.96.0.10:80"))
        .contains("web-blue-1")
        .contains("web-blue-2")
        .doesNotContain("web-red");
    assertThat(line(text, "red demo/web-red:http 10.96.0.10:80"))
        .contains("web-red-1")
        .doesNotContain("web-blue");
    // Random choice over three endpoints: any of them may miss 12 requests, so look for the kind.
    // Each pod has one namespace: its echo server answers on eth0 (default) and net1 alike, under
    // the pod's own name.
    assertThat(line(text, "default demo/plain:http"))
        .containsPattern("\\{web-(blue-[12]|red-1)=")
        .doesNotContain("-def=");
    // From outside the node to a NodePort-only Service (issue 19: it dropped everything).
    assertThat(line(text, "nodeport demo/plain-nodeport:http 192.0.2.1:30080"))
        .containsPattern("\\{web-(blue-[12]|red-1)=")
        .doesNotContain("-def=")
        .doesNotContain("TIMEOUT");
    // Each network's client resolves a name of its network at its DNS address, then reaches it.
    assertThat(line(text, "  blue: web.demo.svc.cluster.local -> 10.96.0.10 -> "))
        .contains("web-blue-1")
        .contains("web-blue-2")
        .doesNotContain("web-red");
    assertThat(line(text, "  red: web-red.demo.svc.cluster.local -> 10.96.0.10 -> "))
        .contains("web-red-1")
        .doesNotContain("web-blue");
    assertThat(text)
        .contains("demo cluster removed")
        .doesNotContain("TIMEOUT")
        .doesNotContain("REFUSED");
    try (var left = Files.list(Path.of("/run/netns"))) {
      assertThat(left.map(p -> p.getFileName().toString()))
          .noneMatch(n -> n.startsWith("mnd-" + ProcessHandle.current().pid() + "-"));
    }
  }

  private static String line(String text, String prefix) {
    for (String l : text.split("\n", -1)) {
      if (l.startsWith(prefix)) {
        return l;
      }
    }
    throw new AssertionError("no line starting with " + prefix + " in:\n" + text);
  }
}
