package io.multinet.dataplane.lab;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.multinet.dataplane.lab.ProbeResult.Outcome;
import io.multinet.dataplane.lab.Topology.Pod;
import io.multinet.network.Protocol;
import java.net.InetAddress;
import java.net.NetworkInterface;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The harness on its own, before any nftables rule: pods reach their own network's pods through the
 * node's per-network tables (iif rules), and two networks with the same pod IPs stay apart.
 */
class TopologyTest {
  private static final int PORT = 8080;
  private static final int CLOSED_PORT = 9;
  // Long enough for any in-kernel round trip; only used where no answer is expected.
  private static final Duration NO_ANSWER = Duration.ofMillis(500);

  private @Nullable Topology topology;
  private Pod blueClient;
  private Pod redClient;

  @BeforeEach
  void setUp() throws Exception {
    LabAssumptions.assumeSupported();
    Topology t = Topology.create("tt");
    topology = t;
    t.addNetwork("blue", 1, "bl-", 101);
    t.addNetwork("red", 2, "rd-", 102);
    // Same addresses in both networks; 10.1.0.23 exists in red only.
    blueClient = t.addClient("blue", "blue-cl", "10.1.0.10", "fd00:1::10");
    redClient = t.addClient("red", "red-cl", "10.1.0.10", "fd00:1::10");
    t.startEchoServer(t.addPod("blue", "blue-a", "10.1.0.21", "fd00:1::21"), PORT);
    t.startEchoServer(t.addPod("red", "red-a", "10.1.0.21", "fd00:1::21"), PORT);
    t.startEchoServer(t.addPod("red", "red-b", "10.1.0.23", "fd00:1::23"), PORT);
  }

  @AfterEach
  void tearDown() throws Exception {
    if (topology != null) {
      topology.close();
    }
  }

  @ParameterizedTest(name = "{0} {1}")
  @CsvSource({"TCP, 10.1.0.21", "TCP, fd00:1::21", "UDP, 10.1.0.21", "UDP, fd00:1::21"})
  void connect_sameNetwork_reachesPod(Protocol protocol, String target) throws Exception {
    ProbeResult result = Probe.from(blueClient).send(protocol, target, PORT);

    assertThat(result.outcome()).as(result.detail()).isEqualTo(Outcome.REPLY);
    assertThat(result.backend()).isEqualTo("blue-a");
    assertThat(result.peer()).isEqualTo(sameFamily(blueClient, target));
  }

  @ParameterizedTest(name = "{0} {1}")
  @CsvSource({"TCP, 10.1.0.23", "TCP, fd00:1::23", "UDP, 10.1.0.23", "UDP, fd00:1::23"})
  void connect_otherNetworksAddress_isUnreachable(Protocol protocol, String target)
      throws Exception {
    assertThat(Probe.from(redClient).send(protocol, target, PORT).backend()).isEqualTo("red-b");

    ProbeResult fromBlue = Probe.from(blueClient).timeout(NO_ANSWER).send(protocol, target, PORT);

    // Blue's table ends in "unreachable default". The node's ICMP error is routed by mark, and
    // nothing marks yet, so it goes out the uplink: the client sees TIMEOUT until the agent marks.
    assertThat(fromBlue.outcome()).as(fromBlue.detail()).isIn(Outcome.TIMEOUT, Outcome.UNREACHABLE);
  }

  @ParameterizedTest(name = "{0} {1}")
  @CsvSource({"TCP, 10.1.0.21", "TCP, fd00:1::21", "UDP, 10.1.0.21", "UDP, fd00:1::21"})
  void connect_sameAddressInTwoNetworks_reachesOwnNetworksPod(Protocol protocol, String target)
      throws Exception {
    ProbeResult blue = Probe.from(blueClient).send(protocol, target, PORT);
    ProbeResult red = Probe.from(redClient).send(protocol, target, PORT);

    assertThat(blue.backend()).as(blue.detail()).isEqualTo("blue-a");
    assertThat(red.backend()).as(red.detail()).isEqualTo("red-a");
    assertThat(blue.peer()).isEqualTo(red.peer()).isEqualTo(sameFamily(blueClient, target));
  }

  @ParameterizedTest(name = "{0} {1}")
  @CsvSource({"TCP, 10.1.0.21", "TCP, fd00:1::21", "UDP, 10.1.0.21", "UDP, fd00:1::21"})
  void connect_closedPort_isRefused(Protocol protocol, String target) throws Exception {
    ProbeResult result = Probe.from(blueClient).send(protocol, target, CLOSED_PORT);

    assertThat(result.outcome()).as(result.detail()).isEqualTo(Outcome.REFUSED);
  }

  @ParameterizedTest(name = "{0} {1}")
  @CsvSource({"TCP, 10.1.0.21", "TCP, fd00:1::21", "UDP, 10.1.0.21", "UDP, fd00:1::21"})
  void connect_withoutRoute_isUnreachable(Protocol protocol, String target) throws Exception {
    // The uplink has connected routes only.
    ProbeResult result = Probe.from(topology.uplink()).send(protocol, target, PORT);

    assertThat(result.outcome()).as(result.detail()).isEqualTo(Outcome.UNREACHABLE);
  }

  @Test
  void count_repeatedProbes_countsAnswersPerBackendAndOutcome() throws Exception {
    Probe probe = Probe.from(redClient);

    assertThat(probe.count(5, Protocol.TCP, "10.1.0.21", PORT)).isEqualTo(Map.of("red-a", 5));
    assertThat(probe.count(3, Protocol.UDP, "10.1.0.23", CLOSED_PORT))
        .isEqualTo(Map.of("REFUSED", 3));
  }

  @Test
  void open_establishedConnection_answersOnEveryExchange() throws Exception {
    try (TcpSession session = Probe.from(redClient).open("fd00:1::23", PORT)) {
      assertThat(session.greeting().backend()).isEqualTo("red-b");
      assertThat(session.exchange().backend()).isEqualTo("red-b");
      assertThat(session.exchange().peer()).isEqualTo(InetAddress.ofLiteral("fd00:1::10"));
    }
  }

  @Test
  void call_podNamespace_seesOnlyThePodsInterfaces() throws Exception {
    List<String> names =
        Netns.call(
            topology.pod("blue-a").netns(),
            () -> NetworkInterface.networkInterfaces().map(NetworkInterface::getName).toList());

    assertThat(names).containsExactlyInAnyOrder("lo", "eth0");
  }

  @Test
  void addPod_addressOutsideTestRange_isRejected() {
    assertThatThrownBy(() -> topology.addPod("blue", "stray", "192.168.1.10", null))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("10.0.0.0/8");
  }

  @Test
  void close_deletesEveryNamespace() throws Exception {
    List<String> namespaces = topology.namespaces();
    assertThat(namespaces).hasSize(7).allMatch(ns -> Files.exists(Path.of("/run/netns", ns)));

    topology.close();
    topology = null;

    assertThat(namespaces).noneMatch(ns -> Files.exists(Path.of("/run/netns", ns)));
  }

  @Test
  void close_afterAnInterruptedPodNamespace_deletesIt() throws Exception {
    Topology t = Objects.requireNonNull(topology, "topology");
    String base = t.node().substring(0, t.node().length() - "-node".length());
    // Interrupted as the demo's kubelet is when it stops mid-plumbing: "ip netns add" runs, and
    // the wait for it or the next step is cut short (which one depends on timing).
    Thread.currentThread().interrupt();
    try {
      assertThatThrownBy(() -> t.addPodNamespace("demo.cut")).isInstanceOf(Exception.class);
    } finally {
      Thread.interrupted();
    }

    t.close();
    topology = null;

    assertThat(Path.of("/run/netns", base + "-demo.cut")).doesNotExist();
  }

  private static InetAddress sameFamily(Pod pod, String target) {
    return InetAddress.ofLiteral(target.contains(":") ? pod.ipv6() : pod.ipv4());
  }
}
