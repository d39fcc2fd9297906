package io.multinet.dataplane.kernel;

import static io.multinet.dataplane.States.backend;
import static io.multinet.dataplane.States.network;
import static io.multinet.dataplane.States.port;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.multinet.dataplane.lab.LabAssumptions;
import io.multinet.dataplane.lab.Probe;
import io.multinet.dataplane.lab.ProbeResult;
import io.multinet.dataplane.lab.SctpInit;
import io.multinet.dataplane.lab.Topology;
import io.multinet.dataplane.v1.Delta;
import io.multinet.dataplane.v1.DesiredState;
import io.multinet.dataplane.v1.NodeFacts;
import io.multinet.network.Protocol;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Real traffic through the kernel dataplane, between namespaces this test creates. Address ranges:
 * blue and red pods both use 10.1.0.0/24 and fd00:1::/64 (the same addresses in both networks on
 * purpose); VIPs 10.96.0.0/16 and fd00:96::/112 exist in both networks at once; the uplink is
 * 192.0.2.0/24 (TEST-NET-1).
 */
class KernelTrafficTest {

  private static final io.multinet.dataplane.v1.Protocol TCP =
      io.multinet.dataplane.v1.Protocol.TCP;
  private static final io.multinet.dataplane.v1.Protocol UDP =
      io.multinet.dataplane.v1.Protocol.UDP;

  private Topology topo;
  private KernelBackend backend;

  @BeforeEach
  void setUp() throws Exception {
    LabAssumptions.assumeKernelDataplane();
    // The agent owns the mark rules; the harness keeps only the CNI's per-interface rules.
    topo = Topology.create("kt", Topology.Options.DEFAULTS.withMarkRules(false));
    topo.addNetwork("blue", 1, "bl", 101);
    topo.addNetwork("red", 2, "rd", 102);
    for (String[] p :
        new String[][] {
          {"blue", "b1", "10.1.0.11", "fd00:1::11"}, {"blue", "b2", "10.1.0.12", "fd00:1::12"},
          {"red", "r1", "10.1.0.11", "fd00:1::11"}, {"red", "r2", "10.1.0.13", "fd00:1::13"}
        }) {
      topo.startEchoServer(topo.addPod(p[0], p[1], p[2], p[3]), 8080);
    }
    topo.addClient("blue", "bc", "10.1.0.50", "fd00:1::50");
    topo.addClient("red", "rc", "10.1.0.50", "fd00:1::50");
    backend = new KernelBackend(topo.node());
  }

  @AfterEach
  void tearDown() throws Exception {
    try {
      if (backend != null) {
        try {
          backend.cleanup();
        } finally {
          backend.close();
        }
      }
    } finally {
      if (topo != null) {
        topo.close();
      }
    }
  }

  private static DesiredState state() {
    return DesiredState.newBuilder()
        .addNetworks(network(56, "blue", "bl*", 101))
        .addNetworks(network(57, "red", "rd*", 102))
        .addServicePorts(
            port(
                56,
                "10.96.0.10",
                TCP,
                80,
                backend("10.1.0.11", 8080, true),
                backend("10.1.0.12", 8080, true)))
        .addServicePorts(
            port(
                57,
                "10.96.0.10",
                TCP,
                80,
                backend("10.1.0.11", 8080, true),
                backend("10.1.0.13", 8080, true)))
        .addServicePorts(
            port(
                56,
                "10.96.0.10",
                UDP,
                53,
                backend("10.1.0.11", 8080, true),
                backend("10.1.0.12", 8080, true)))
        .addServicePorts(
            port(
                57,
                "fd00:96::10",
                TCP,
                80,
                backend("fd00:1::11", 8080, true),
                backend("fd00:1::13", 8080, true)))
        .addServicePorts(
            port(
                    56,
                    "10.96.0.30",
                    TCP,
                    80,
                    backend("10.1.0.11", 8080, true),
                    backend("10.1.0.12", 8080, true))
                .setAffinityTimeoutSeconds(60))
        .addServicePorts(
            port(
                    56,
                    "fd00:96::30",
                    TCP,
                    80,
                    backend("fd00:1::11", 8080, true),
                    backend("fd00:1::12", 8080, true))
                .setAffinityTimeoutSeconds(60))
        .addServicePorts(port(56, "10.96.0.40", TCP, 80)) // no endpoints anywhere
        .addServicePorts(port(56, "10.96.0.40", UDP, 80))
        .setNode(NodeFacts.newBuilder().setName("node-a"))
        .build();
  }

  @Test
  void sameVipInTwoNetworks_eachReachesOnlyItsOwnBackends_spreadOverAll() throws Exception {
    backend.applyFull(state());

    Map<String, Integer> blue =
        Probe.from(topo.pod("bc")).count(40, Protocol.TCP, "10.96.0.10", 80);
    Map<String, Integer> red = Probe.from(topo.pod("rc")).count(40, Protocol.TCP, "10.96.0.10", 80);

    assertThat(blue.keySet()).containsExactlyInAnyOrder("b1", "b2");
    assertThat(red.keySet()).containsExactlyInAnyOrder("r1", "r2");
  }

  @Test
  void udpAndIpv6_areServed() throws Exception {
    backend.applyFull(state());
    assertThat(Probe.from(topo.pod("bc")).count(20, Protocol.UDP, "10.96.0.10", 53).keySet())
        .containsExactlyInAnyOrder("b1", "b2");
    assertThat(Probe.from(topo.pod("rc")).count(20, Protocol.TCP, "fd00:96::10", 80).keySet())
        .containsExactlyInAnyOrder("r1", "r2");
  }

  @Test
  void vipWithoutEndpoints_rejects() throws Exception {
    backend.applyFull(state());
    assertThat(Probe.from(topo.pod("bc")).tcp("10.96.0.40", 80).outcome())
        .isEqualTo(ProbeResult.Outcome.REFUSED);
    assertThat(Probe.from(topo.pod("bc")).udp("10.96.0.40", 80).outcome())
        .isEqualTo(ProbeResult.Outcome.REFUSED);
  }

  @Test
  void otherNetworksPodAddress_isUnreachable() throws Exception {
    backend.applyFull(state());
    // 10.1.0.13 exists only in red; blue's client must not reach it.
    assertThat(Probe.from(topo.pod("bc")).tcp("10.1.0.13", 8080).outcome())
        .isNotEqualTo(ProbeResult.Outcome.REPLY);
    assertThat(Probe.from(topo.pod("rc")).tcp("10.1.0.13", 8080).backend()).isEqualTo("r2");
  }

  @Test
  void identicalFiveTuplesInBothNetworks_coexist() throws Exception {
    backend.applyFull(state());
    try (var blue = Probe.from(topo.pod("bc")).sourcePort(40000).open("10.96.0.10", 80);
        var red = Probe.from(topo.pod("rc")).sourcePort(40000).open("10.96.0.10", 80)) {
      assertThat(blue.greeting().backend()).isIn("b1", "b2");
      assertThat(red.greeting().backend()).isIn("r1", "r2");
      assertThat(blue.exchange().backend()).isEqualTo(blue.greeting().backend());
      assertThat(red.exchange().backend()).isEqualTo(red.greeting().backend());
    }
  }

  @Test
  void hairpin_backendReachesItsOwnService() throws Exception {
    backend.applyFull(state());
    Map<String, Integer> fromB1 =
        Probe.from(topo.pod("b1")).count(30, Protocol.TCP, "10.96.0.10", 80);
    assertThat(fromB1.keySet()).containsExactlyInAnyOrder("b1", "b2");
  }

  @Test
  void sessionAffinity_keepsAClientOnOneBackend() throws Exception {
    backend.applyFull(state());
    assertThat(Probe.from(topo.pod("bc")).count(20, Protocol.TCP, "10.96.0.30", 80)).hasSize(1);
    assertThat(Probe.from(topo.pod("bc")).count(20, Protocol.TCP, "fd00:96::30", 80)).hasSize(1);
    // Without affinity the same client spreads (the control that makes the checks above bite).
    assertThat(Probe.from(topo.pod("bc")).count(20, Protocol.TCP, "10.96.0.10", 80)).hasSize(2);
  }

  @Test
  void nodePort_answersOnlyOnNodePortAddresses() throws Exception {
    // A default-network pod (10.2.0.0/24, main table) behind NodePort 30080; the client is the
    // uplink (192.0.2.2) calling the node's uplink address 192.0.2.1.
    topo.addDefaultNetwork("default", "df");
    topo.startEchoServer(topo.addPod("default", "d1", "10.2.0.11", null), 8080);
    var np =
        port(0, "10.96.5.1", TCP, 80, backend("10.2.0.11", 8080, true))
            .addExternalBackends(backend("10.2.0.11", 8080, true))
            .setNodePort(30080)
            .build();
    DesiredState within =
        state().toBuilder()
            .addServicePorts(np)
            .setNode(NodeFacts.newBuilder().setName("node-a").addNodePortAddresses("192.0.2.0/24"))
            .build();
    Probe fromUplink = Probe.from(topo.uplink());

    backend.applyFull(within);
    assertThat(fromUplink.tcp("192.0.2.1", 30080).key()).isEqualTo("d1");

    DesiredState elsewhere =
        within.toBuilder()
            .setNode(
                NodeFacts.newBuilder()
                    .setName("node-a")
                    .addNodePortAddresses("198.51.100.0/24")
                    .addNodePortAddresses("2001:db8::/64"))
            .build();
    backend.applyFull(elsewhere);
    assertThat(fromUplink.tcp("192.0.2.1", 30080).outcome()).isEqualTo(ProbeResult.Outcome.REFUSED);

    backend.applyDelta(
        Delta.newBuilder().setNode(NodeFacts.newBuilder().setName("node-a")).build());
    assertThat(fromUplink.tcp("192.0.2.1", 30080).key()).isEqualTo("d1");
  }

  @Test
  void sctp_initReachesEveryBackendTranslated_andStaysInItsNetwork() throws Exception {
    // SCTP 10.96.0.60:3868 exists in blue only; the red client sends to the same VIP too.
    var sctp = io.multinet.dataplane.v1.Protocol.SCTP;
    backend.applyFull(
        state().toBuilder()
            .addServicePorts(
                port(
                    56,
                    "10.96.0.60",
                    sctp,
                    3868,
                    backend("10.1.0.11", 3869, true),
                    backend("10.1.0.12", 3869, true)))
            .build());
    List<SctpInit.Capture> captures = new ArrayList<>();
    try {
      for (String pod : List.of("b1", "b2", "r1", "r2")) {
        captures.add(SctpInit.Capture.start(topo.pod(pod)));
      }
      for (int i = 0; i < 24; i++) {
        SctpInit.send(topo.pod("bc").netns(), "10.96.0.60", 3868, 40_000 + i);
      }
      SctpInit.send(topo.pod("rc").netns(), "10.96.0.60", 3868, 41_000);
      await()
          .atMost(Duration.ofSeconds(5))
          .until(() -> captures.stream().mapToInt(c -> c.seen().size()).sum() >= 24);
    } finally {
      for (var c : captures) {
        c.close();
      }
    }
    List<SctpInit.Seen> seen = new ArrayList<>();
    captures.forEach(c -> seen.addAll(c.seen()));
    assertThat(seen).hasSize(24).allMatch(x -> x.destinationPort() == 3869);
    assertThat(seen)
        .allMatch(x -> x.destination().getHostAddress().equals(topo.pod(x.pod()).ipv4()));
    assertThat(seen.stream().map(SctpInit.Seen::pod).distinct())
        .containsExactlyInAnyOrder("b1", "b2");
  }

  @Test
  void sessionAffinityIpv6_survivesABackendCountChange() throws Exception {
    backend.applyFull(state());
    String first = Probe.from(topo.pod("bc")).tcp("fd00:96::30", 80).key();
    var grown =
        state().getServicePortsList().stream()
            .filter(sp -> sp.getAddress().equals("fd00:96::30"))
            .findFirst()
            .orElseThrow()
            .toBuilder()
            .addBackends(backend("fd00:1::13", 8080, true))
            .build();
    backend.applyDelta(Delta.newBuilder().addUpsertServicePorts(grown).build());
    assertThat(Probe.from(topo.pod("bc")).count(20, Protocol.TCP, "fd00:96::30", 80))
        .containsOnlyKeys(first);
  }

  @Test
  void removedEndpoint_getsNoNewConnections_whileEstablishedOnesGoOn() throws Exception {
    backend.applyFull(state());
    var sessions = new java.util.ArrayList<io.multinet.dataplane.lab.TcpSession>();
    try {
      for (int i = 0; i < 12; i++) {
        sessions.add(Probe.from(topo.pod("bc")).open("10.96.0.10", 80));
      }
      assertThat(sessions).anySatisfy(s -> assertThat(s.greeting().backend()).isEqualTo("b2"));
      var onlyB1 = state().getServicePorts(0).toBuilder().removeBackends(1).build();
      backend.applyDelta(Delta.newBuilder().addUpsertServicePorts(onlyB1).build());

      for (var s : sessions) {
        assertThat(s.exchange().backend()).isEqualTo(s.greeting().backend());
      }
      assertThat(Probe.from(topo.pod("bc")).count(20, Protocol.TCP, "10.96.0.10", 80).keySet())
          .containsExactly("b1");
    } finally {
      for (var s : sessions) {
        s.close();
      }
    }
  }
}
