package io.multinet.app;

import static org.assertj.core.api.Assertions.assertThat;

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
import picocli.CommandLine;

/**
 * {@code --backend vpp --vpp-socket} on the command line, against the in-process VPP peer.
 * Addresses: examples/demo (VIP 10.96.0.10 in blue and red, pods 10.1.0.0/16); the hand-written
 * state uses 10.96.5.0/24 for VIPs.
 */
class VppBackendOptionsTest {

  private StrictVppPeer peer;

  @BeforeEach
  void startPeer(@TempDir Path dir) throws Exception {
    peer = StrictVppPeer.start(dir.resolve("api.sock"));
  }

  @AfterEach
  void stopPeer() {
    try {
      assertThat(peer.violations()).isEmpty();
    } finally {
      peer.close();
    }
  }

  @Test
  void agent_chartsSidecarArguments_parseToTheVppBackend() {
    // charts/multinet-proxy/templates/daemonset.yaml renders the sidecar with exactly these.
    var cli = MultinetProxy.newCommandLine();
    CommandLine.ParseResult r =
        cli.parseArgs(
            "agent",
            "--backend=vpp",
            "--vpp-socket=/run/vpp/api.sock",
            "--socket=/run/multinet/dataplane.sock");
    AgentCommand agent = (AgentCommand) r.subcommand().commandSpec().userObject();
    assertThat(agent.dataplane.backend).isEqualTo(BackendOptions.BackendKind.vpp);
    assertThat(agent.dataplane.vppSocket).isEqualTo(Path.of("/run/vpp/api.sock"));
    assertThat(agent.socket).isEqualTo(Path.of("/run/multinet/dataplane.sock"));
  }

  @Test
  void agent_vppBackend_servesTheDataplaneApiInFrontOfVpp(@TempDir Path dir) throws Exception {
    Path agentSocket = dir.resolve("run/dataplane.sock");
    var out = new StringWriter();
    var cli = MultinetProxy.newCommandLine();
    cli.setOut(new PrintWriter(out));
    AgentCommand agent = cli.getSubcommands().get("agent").getCommand();
    var exit = new java.util.concurrent.CompletableFuture<Integer>();
    Thread t =
        new Thread(
            () ->
                exit.complete(
                    cli.execute(
                        "agent",
                        "--backend=vpp",
                        "--vpp-socket=" + peer.socket(),
                        "--socket=" + agentSocket)),
            "agent-under-test");
    t.setDaemon(true);
    t.start();
    org.awaitility.Awaitility.await()
        .atMost(java.time.Duration.ofSeconds(20))
        .until(() -> agent.serving != null || exit.isDone());
    try {
      assertThat(out.toString()).contains("dataplane agent (vpp) serving on unix://" + agentSocket);
      var state =
          io.multinet.dataplane.v1.DesiredState.newBuilder()
              .addServicePorts(
                  io.multinet.dataplane.v1.ServicePort.newBuilder()
                      .setAddress("10.96.5.20")
                      .setProtocol(io.multinet.dataplane.v1.Protocol.UDP)
                      .setPort(53)
                      .setHasAnyEndpoints(true)
                      .addBackends(
                          io.multinet.dataplane.v1.Backend.newBuilder()
                              .setAddress("10.1.0.12")
                              .setPort(5353)))
              .build();
      try (var programmer =
          io.multinet.dataplane.programmer.DataplaneProgrammer.connect(
              "unix://" + agentSocket, java.time.Duration.ofSeconds(10))) {
        programmer.apply(state);
        assertThat(programmer.status().getBackend()).isEqualTo("vpp");
      }
      assertThat(peer.translations())
          .singleElement()
          .satisfies(
              tr -> {
                assertThat(tr.vip()).isEqualTo("10.96.5.20");
                assertThat(tr.proto()).isEqualTo(17);
                assertThat(tr.paths()).isEqualTo(List.of("10.1.0.12 5353"));
              });
    } finally {
      var s = agent.serving;
      if (s != null) {
        s.close();
      }
    }
    assertThat(exit.get(20, java.util.concurrent.TimeUnit.SECONDS)).isZero();
  }

  @Test
  void dataplaneApply_vppBackend_programsCnatThroughTheSocketAndCleanupRemovesIt(@TempDir Path dir)
      throws Exception {
    Path state = dir.resolve("state.json");
    Files.writeString(
        state,
        """
        {"networks": [{"id": 56, "name": "blue", "vpp": {"vrf": 1056}}],
         "servicePorts": [{"networkId": 56, "address": "10.96.5.10", "protocol": "TCP",
           "port": 80, "name": "demo/web:http", "hasAnyEndpoints": true,
           "backends": [{"address": "10.1.0.11", "port": 8080}]}]}
        """);
    String sock = peer.socket().toString();

    assertThat(
            cli(
                0,
                "dataplane",
                "apply",
                "--backend",
                "vpp",
                "--vpp-socket",
                sock,
                "--state",
                state.toString()))
        .contains("applied 1 service ports in 1 networks");
    assertThat(peer.translations())
        .singleElement()
        .satisfies(
            t -> {
              assertThat(t.vip()).isEqualTo("10.96.5.10");
              assertThat(t.paths()).isEqualTo(List.of("10.1.0.11 8080"));
            });
    assertThat(peer.tables()).containsEntry("1056/ip4", "multinet-56-blue");

    cli(0, "dataplane", "cleanup", "--backend", "vpp", "--vpp-socket", sock);
    assertThat(peer.translations()).isEmpty();
    assertThat(peer.tables()).doesNotContainKey("1056/ip4");
  }

  @Test
  void dataplaneApply_demoWithOneVipInTwoNetworks_skipsItInTheVppBackend(@TempDir Path dir)
      throws Exception {
    String state =
        cli(0, "explain", "--manifests", "../examples/demo", "-o", "dataplane", "--node", "node-1");
    Path file = dir.resolve("state.json");
    Files.writeString(file, state);

    var err = new StringWriter();
    var cli = MultinetProxy.newCommandLine();
    cli.setErr(new PrintWriter(err));
    int exit =
        cli.execute(
            "dataplane",
            "apply",
            "--backend",
            "vpp",
            "--vpp-socket",
            peer.socket().toString(),
            "--state",
            file.toString());

    // The shared VIP is skipped (logged) and the rest of the demo is programmed.
    assertThat(exit).as("stderr: %s", err).isZero();
    assertThat(peer.translations())
        .extracting(StrictVppPeer.Translation::vip)
        .doesNotContain("10.96.0.10");
  }

  @Test
  void dataplaneCleanup_vppWithNetns_isRefused() {
    var err = new StringWriter();
    var cli = MultinetProxy.newCommandLine();
    cli.setErr(new PrintWriter(err));
    int exit =
        cli.execute(
            "dataplane",
            "cleanup",
            "--backend",
            "vpp",
            "--netns",
            "x",
            "--vpp-socket",
            peer.socket().toString());
    assertThat(exit).isEqualTo(1);
    assertThat(err.toString()).contains("--netns: x (expected: none with --backend vpp");
  }

  private static String cli(int expectedExit, String... args) {
    var out = new StringWriter();
    var err = new StringWriter();
    var cli = MultinetProxy.newCommandLine();
    cli.setOut(new PrintWriter(out));
    cli.setErr(new PrintWriter(err));
    assertThat(cli.execute(args)).as("%s: %s", String.join(" ", args), err).isEqualTo(expectedExit);
    return out.toString();
  }
}
