package io.multinet.dataplane.kernel;

import static org.assertj.core.api.Assertions.assertThat;

import io.multinet.dataplane.lab.LabAssumptions;
import io.multinet.dataplane.lab.LabNamespaces;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The agent's policy rules, in a namespace each test creates (no addresses involved). */
class PolicyRoutingTest {

  private String netns = "";

  @BeforeEach
  void setUp() throws Exception {
    LabAssumptions.assumeSupported();
    netns = LabNamespaces.create("mpr");
  }

  @AfterEach
  void tearDown() throws Exception {
    if (!netns.isEmpty()) {
      LabNamespaces.delete(netns);
    }
  }

  @Test
  void sync_byANewAgent_keepsWhatStaysAndReplacesTheRest() throws Exception {
    new PolicyRouting(netns).sync(Map.of(56, 1056, 57, 1057));
    KernelBackendContractTest.run(
        "ip", "-n", netns, "-6", "rule", "add", "from", "all", "lookup", "main", "pref", "1500");

    // A restarted agent knows nothing of what is there.
    new PolicyRouting(netns).sync(Map.of(56, 1056, 58, 1058));

    assertThat(rules("-4"))
        .isEqualTo(
            """
            1500:\tfrom all fwmark 0x380000/0xffff0000 lookup 1056
            1500:\tfrom all fwmark 0x3a0000/0xffff0000 lookup 1058
            """);
    assertThat(rules("-6")).isEqualTo(rules("-4"));

    new PolicyRouting(netns).clear();
    assertThat(rules("-4")).isEmpty();
    assertThat(rules("-6")).isEmpty();
  }

  private String rules(String family) throws Exception {
    Process p =
        new ProcessBuilder("ip", "-n", netns, family, "rule", "show", "pref", "1500")
            .redirectErrorStream(true)
            .start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    p.waitFor();
    return out;
  }
}
