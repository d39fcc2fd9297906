package io.multinet.app;

import static org.assertj.core.api.Assertions.assertThat;

import io.multinet.dataplane.agent.AgentServer;
import io.multinet.dataplane.agent.DataplaneAgent;
import io.multinet.dataplane.vpp.VppBackend;
import io.multinet.dataplane.vpp.testing.StrictVppPeer;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code dataplane apply --dataplane-endpoint} and {@code dataplane status} against a running agent
 * in front of the in-process VPP peer (speaking the cnat table patch). Addresses: VIPs in
 * 10.96.5.0/24, pods in 10.1.0.0/24.
 */
class DataplaneEndpointTest {

  private StrictVppPeer peer;
  private VppBackend backend;
  private AgentServer agent;
  private String endpoint = "";

  @BeforeEach
  void startAgent(@TempDir Path dir) throws Exception {
    peer = StrictVppPeer.start(dir.resolve("api.sock"));
    peer.speakTranslationTables();
    backend = VppBackend.connect(peer.socket());
    Path socket = dir.resolve("run/dataplane.sock");
    agent = AgentServer.unixSocket(socket, new DataplaneAgent(backend));
    endpoint = "unix://" + socket;
  }

  @AfterEach
  void stopAgent() {
    try {
      assertThat(peer.violations()).isEmpty();
    } finally {
      try {
        agent.close();
        backend.close();
      } finally {
        peer.close();
      }
    }
  }

  private static Path state(Path dir, String backendAddress) throws Exception {
    Path file = dir.resolve("state.json");
    Files.writeString(
        file,
        """
        {"networks": [{"id": 56, "name": "blue", "vpp": {"vrf": 1056}}],
         "servicePorts": [{"networkId": 56, "address": "10.96.5.10", "protocol": "TCP",
           "port": 80, "name": "demo/web:http", "hasAnyEndpoints": true,
           "backends": [{"address": "%s", "port": 8080}]}]}
        """
            .formatted(backendAddress));
    return file;
  }

  private record Run(int exit, String out, String err) {}

  private static Run cli(String... args) {
    var out = new StringWriter();
    var err = new StringWriter();
    var cli = MultinetProxy.newCommandLine();
    cli.setOut(new PrintWriter(out));
    cli.setErr(new PrintWriter(err));
    int exit = cli.execute(args);
    return new Run(exit, out.toString(), err.toString());
  }

  @Test
  void apply_throughARunningAgent_programsTheFullStateAndStatusShowsVppsView(@TempDir Path dir)
      throws Exception {
    Path file = state(dir, "10.1.0.11");

    Run apply = cli("dataplane", "apply", "--dataplane-endpoint", endpoint, "--state", "" + file);

    assertThat(apply.exit()).as("stderr: %s", apply.err()).isZero();
    assertThat(apply.out())
        .isEqualTo(
            "applied 1 service ports in 1 networks through " + endpoint + " (generation 1)\n");
    assertThat(peer.translations())
        .singleElement()
        .satisfies(
            t -> {
              assertThat(t.vip()).isEqualTo("10.96.5.10");
              assertThat(t.table()).isEqualTo(1056);
              assertThat(t.paths()).isEqualTo(List.of("10.1.0.11 8080"));
            });

    Run status = cli("dataplane", "status", "--dataplane-endpoint", endpoint);
    assertThat(status.exit()).as("stderr: %s", status.err()).isZero();
    assertThat(status.out().lines().toList())
        .startsWith(
            "backend vpp, generation 1: 1 networks, 1 service ports, 1 backends; 1 full syncs,"
                + " 0 deltas, 0 errors")
        .contains(
            "  cnat: translations in FIB tables (cnat_translation_update_v2)",
            "  table 1056 ip4 multinet-56-blue",
            "  translation 0 table 1056 10.96.5.10:80 TCP default -> 10.1.0.11:8080",
            "  client [0] cnat-client:[10.96.5.10] tr:1 sess:0 locks:1 flags: 10 exclusive");
  }

  @Test
  void apply_theAgentRefusesTheState_exitsOneWithOneLine(@TempDir Path dir) throws Exception {
    Path file = state(dir, "fd00:1::11"); // an IPv6 backend for an IPv4 VIP

    Run apply = cli("dataplane", "apply", "--dataplane-endpoint", endpoint, "--state", "" + file);

    assertThat(apply.exit()).isEqualTo(1);
    assertThat(apply.out()).isEmpty();
    assertThat(apply.err().lines().toList())
        .singleElement()
        .asString()
        .startsWith("dataplane apply: " + endpoint + ": agent refused generation 1: ")
        .contains("fd00:1::11");
    assertThat(peer.translations()).isEmpty();
  }

  @Test
  void apply_noAgentAtTheEndpoint_exitsOneWithOneLine(@TempDir Path dir) throws Exception {
    String none = "unix://" + dir.resolve("none.sock");

    Run apply =
        cli(
            "dataplane",
            "apply",
            "--dataplane-endpoint",
            none,
            "--state",
            "" + state(dir, "10.1.0.11"));

    assertThat(apply.exit()).isEqualTo(1);
    assertThat(apply.err().lines().toList())
        .singleElement()
        .asString()
        .startsWith("dataplane apply: " + none + ": ")
        .doesNotContain("\tat ");
  }

  @Test
  void apply_endpointWithADataplaneOption_isRefused(@TempDir Path dir) throws Exception {
    Run apply =
        cli(
            "dataplane",
            "apply",
            "--dataplane-endpoint",
            endpoint,
            "--netns",
            "x",
            "--state",
            "" + state(dir, "10.1.0.11"));

    assertThat(apply.exit()).isEqualTo(2);
    assertThat(apply.err())
        .isEqualTo(
            "dataplane apply: --netns (expected: none with --dataplane-endpoint; the agent has its"
                + " dataplane)\n");
    assertThat(peer.translations()).isEmpty();
  }
}
