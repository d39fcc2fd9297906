package io.multinet.dataplane.lab;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Cleanup in every outcome: a setup that fails half way leaves no namespace, veth or echo server,
 * and namespaces a dead process left are removed while live ones stay. Addresses: 10.1.0.0/24.
 */
class LabNamespacesTest {

  private static final long ME = ProcessHandle.current().pid();

  @Test
  void leftovers_ofDeadProcessesUnderThePrefix_only() {
    List<String> existing =
        List.of(
            "kt-123-abcd-node",
            "kt-123-abcd",
            "kt-456-abcd-up",
            "kt-abcd-node", // no pid: made by an older version, owner unknown
            "ktx-123-abcd-node",
            "other-123-abcd",
            "kt-123-zzzz-node");

    assertThat(LabNamespaces.leftovers("kt", existing, pid -> pid == 456))
        .containsExactly("kt-123-abcd-node", "kt-123-abcd");
  }

  @Test
  void newBase_namesThisProcess() {
    assertThat(LabNamespaces.newBase("kt")).matches("kt-" + ME + "-[0-9a-f]{4}");
  }

  @Test
  void createWith_setupFailingHalfWay_deletesTheNamespace() throws Exception {
    LabAssumptions.assumeSupported();
    List<String> created = new ArrayList<>();

    assertThatThrownBy(
            () ->
                LabNamespaces.createWith(
                    "lnt",
                    netns -> {
                      created.add(netns);
                      Ip.batch(netns, false, List.of("link set lo up"));
                      Ip.batch(netns, false, List.of("link add x0 type no-such-kind"));
                      return netns;
                    }))
        .isInstanceOf(IOException.class)
        .hasMessageContaining("no-such-kind");

    assertThat(created).hasSize(1);
    assertThat(LabNamespaces.existing()).doesNotContain(created.getFirst());
  }

  @Test
  void topology_setupFailingHalfWay_leavesNoNamespaceLinkOrServer() throws Exception {
    LabAssumptions.assumeSupported();
    Topology t = Topology.create("lnt");
    String base = t.node().substring(0, t.node().length() - "-node".length());
    try {
      t.addNetwork("blue", 1, "bl", 101);
      t.startEchoServer(t.addPod("blue", "b1", "10.1.0.11", null), 8080);
      List<String> before = t.namespaces();

      // The second pod's /32 route exists already: it fails after its namespace and veth exist.
      assertThatThrownBy(() -> t.addPod("blue", "b2", "10.1.0.11", null))
          .isInstanceOf(IOException.class)
          .hasMessageContaining("route add 10.1.0.11/32");

      assertThat(t.namespaces()).isEqualTo(before);
      assertThat(LabNamespaces.existing()).doesNotContain(base + "-b2");
      assertThat(links(t.node())).contains("bl0").doesNotContain("bl1");
    } finally {
      t.close();
    }

    assertThat(LabNamespaces.existing()).noneMatch(ns -> ns.startsWith(base));
    assertThat(Thread.getAllStackTraces().keySet())
        .noneMatch(thread -> thread.isAlive() && thread.getName().startsWith("echo-b1-"));
  }

  @Test
  void create_leftoverOfADeadProcess_isRemovedAndLiveOnesStay() throws Exception {
    LabAssumptions.assumeSupported();
    Process gone = new ProcessBuilder("true").start();
    gone.waitFor();
    String dead = "lnt-" + gone.pid() + "-0d0d-node";
    String live = "lnt-" + ME + "-1e1e-node";
    String unknown = "lnt-0d0d-node";
    for (String ns : List.of(dead, live, unknown)) {
      Ip.run("netns", "add", ns);
    }
    try (Topology t = Topology.create("lnt")) {
      assertThat(LabNamespaces.existing())
          .doesNotContain(dead)
          .contains(live, unknown, t.node(), t.uplink());
    } finally {
      for (String ns : List.of(dead, live, unknown)) {
        LabNamespaces.delete(ns);
      }
    }
  }

  /** Link names in {@code netns}, from {@code ip -o link} lines "N: NAME[@PEER]: ...". */
  private static List<String> links(String netns) throws IOException {
    return Ip.run("-n", netns, "-o", "link", "show")
        .lines()
        .map(l -> l.split(": ", 3)[1].replaceFirst("@.*", ""))
        .toList();
  }
}
