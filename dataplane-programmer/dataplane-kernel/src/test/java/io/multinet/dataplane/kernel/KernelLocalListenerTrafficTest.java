package io.multinet.dataplane.kernel;

import static io.multinet.dataplane.States.backend;
import static io.multinet.dataplane.States.network;
import static io.multinet.dataplane.States.port;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.multinet.dataplane.lab.LabAssumptions;
import io.multinet.dataplane.lab.Probe;
import io.multinet.dataplane.lab.ProbeResult;
import io.multinet.dataplane.lab.Topology;
import io.multinet.dataplane.v1.Delta;
import io.multinet.dataplane.v1.DesiredState;
import io.multinet.dataplane.v1.LocalListener;
import io.multinet.dataplane.v1.NetworkSpec;
import io.multinet.dataplane.v1.NodeFacts;
import io.multinet.dataplane.v1.Protocol;
import io.multinet.dataplane.v1.ServicePortKey;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.EpollIoHandler;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Node-local listeners (what the node proxy's per-network DNS is for the dataplane): each network's
 * DNS address is an ordinary service port whose backend is a socket in the node's own namespace,
 * marked with the network's mark. Real UDP and TCP between namespaces this test creates. Address
 * ranges: blue and red pods both use 10.1.0.0/24 and fd00:1::/64, both networks have the DNS
 * address 10.96.0.10 and fd00:96::10; the default network's pod 10.2.0.0/24; the listeners sit on
 * 169.254.53.53 and fd00:6d6e:6574::53 on the node's loopback (the lab's node keeps 169.254.1.1
 * there); the uplink is 192.0.2.0/24.
 */
class KernelLocalListenerTrafficTest {

  private static final String DNS4 = "169.254.53.53";
  private static final String DNS6 = "fd00:6d6e:6574::53";
  private static final Duration SHORT = Duration.ofMillis(700);

  private Topology topo;
  private KernelBackend backend;
  private EventLoopGroup group;
  private final List<MarkedEchoServer> servers = new ArrayList<>();

  /** Per network: its listener on each family. */
  private record Listeners(int id, MarkedEchoServer v4, MarkedEchoServer v6) {}

  private Listeners blue;
  private Listeners red;

  @BeforeEach
  void setUp() throws Exception {
    LabAssumptions.assumeKernelDataplane();
    topo = Topology.create("kll", Topology.Options.DEFAULTS.withMarkRules(false));
    topo.addNetwork("blue", 1, "bl", 101);
    topo.addNetwork("red", 2, "rd", 102);
    topo.addDefaultNetwork("default", "df");
    topo.addClient("blue", "bc", "10.1.0.50", "fd00:1::50");
    topo.addClient("red", "rc", "10.1.0.50", "fd00:1::50");
    topo.addClient("default", "dc", "10.2.0.50", null);
    backend = new KernelBackend(topo.node());
    group = new MultiThreadIoEventLoopGroup(1, EpollIoHandler.newFactory());
    // The listen addresses first, as the node proxy would: a socket binds only to an address the
    // node has.
    backend.applyFull(base().build());
    blue = listeners(56, "blue");
    red = listeners(57, "red");
  }

  private Listeners listeners(int id, String name) throws Exception {
    int mark = (int) KernelPlan.mark(id);
    var v4 = MarkedEchoServer.start(group, topo.node(), name, mark, DNS4);
    servers.add(v4);
    var v6 = MarkedEchoServer.start(group, topo.node(), name, mark, DNS6);
    servers.add(v6);
    return new Listeners(id, v4, v6);
  }

  @AfterEach
  void tearDown() throws Exception {
    try {
      servers.forEach(MarkedEchoServer::close);
      if (group != null) {
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
      }
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

  /** Networks and node facts without listeners or DNS ports. */
  private static DesiredState.Builder base() {
    return DesiredState.newBuilder()
        .addNetworks(network(56, "blue", "bl*", 101))
        .addNetworks(network(57, "red", "rd*", 102))
        .setNode(
            NodeFacts.newBuilder()
                .setName("node-a")
                .addLocalAddresses(DNS4)
                .addLocalAddresses(DNS6));
  }

  /** Both networks answer DNS on 10.96.0.10 and fd00:96::10 port 53, UDP and TCP. */
  private DesiredState withDns() {
    var s = base().clearNetworks();
    for (var l : List.of(blue, red)) {
      NetworkSpec n =
          l.id() == 56 ? network(56, "blue", "bl*", 101) : network(57, "red", "rd*", 102);
      s.addNetworks(withListeners(n, l));
      for (var family : List.of(List.of("10.96.0.10", DNS4), List.of("fd00:96::10", DNS6))) {
        MarkedEchoServer server = family.get(1).equals(DNS4) ? l.v4() : l.v6();
        s.addServicePorts(
            port(
                l.id(),
                family.get(0),
                Protocol.UDP,
                53,
                backend(family.get(1), server.udpPort(), true)));
        s.addServicePorts(
            port(
                l.id(),
                family.get(0),
                Protocol.TCP,
                53,
                backend(family.get(1), server.tcpPort(), true)));
      }
    }
    return s.build();
  }

  private static NetworkSpec withListeners(NetworkSpec n, Listeners l) {
    var b = n.toBuilder();
    for (MarkedEchoServer server : List.of(l.v4(), l.v6())) {
      String address = server == l.v4() ? DNS4 : DNS6;
      b.addLocalListeners(listener(address, Protocol.UDP, server.udpPort()));
      b.addLocalListeners(listener(address, Protocol.TCP, server.tcpPort()));
    }
    return b.build();
  }

  private static LocalListener listener(String address, Protocol protocol, int port) {
    return LocalListener.newBuilder()
        .setAddress(address)
        .setProtocol(protocol)
        .setPort(port)
        .build();
  }

  @Test
  void dnsAddress_eachNetworksClient_getsItsOwnNetworksListener() throws Exception {
    backend.applyFull(withDns());

    for (String dns : List.of("10.96.0.10", "fd00:96::10")) {
      assertThat(Probe.from(topo.pod("bc")).udp(dns, 53).backend()).as(dns).isEqualTo("blue");
      assertThat(Probe.from(topo.pod("bc")).tcp(dns, 53).backend()).as(dns).isEqualTo("blue");
      assertThat(Probe.from(topo.pod("rc")).udp(dns, 53).backend()).as(dns).isEqualTo("red");
      assertThat(Probe.from(topo.pod("rc")).tcp(dns, 53).backend()).as(dns).isEqualTo("red");
    }
    // The listener saw the client's own address: nothing masquerades local delivery.
    assertThat(Probe.from(topo.pod("bc")).udp("10.96.0.10", 53).peer().getHostAddress())
        .isEqualTo("10.1.0.50");
  }

  @Test
  void dnsAddress_fromTheDefaultNetwork_getsNothing() throws Exception {
    backend.applyFull(withDns());
    int before = received();

    Probe client = Probe.from(topo.pod("dc")).timeout(SHORT);
    assertThat(client.udp("10.96.0.10", 53).outcome()).isNotEqualTo(ProbeResult.Outcome.REPLY);
    assertThat(client.tcp("10.96.0.10", 53).outcome()).isNotEqualTo(ProbeResult.Outcome.REPLY);
    assertThat(client.udp(DNS4, blue.v4().udpPort()).outcome())
        .isNotEqualTo(ProbeResult.Outcome.REPLY);
    assertThat(client.tcp(DNS4, blue.v4().tcpPort()).outcome())
        .isNotEqualTo(ProbeResult.Outcome.REPLY);

    assertNothingArrives(before);
  }

  @Test
  void listenerAddress_sentToDirectly_evenFromItsOwnNetwork_getsNothing() throws Exception {
    backend.applyFull(withDns());
    int before = received();

    for (String pod : List.of("rc", "bc")) {
      Probe client = Probe.from(topo.pod(pod)).timeout(SHORT);
      assertThat(client.udp(DNS4, blue.v4().udpPort()).outcome())
          .as(pod)
          .isNotEqualTo(ProbeResult.Outcome.REPLY);
      assertThat(client.tcp(DNS4, blue.v4().tcpPort()).outcome())
          .as(pod)
          .isNotEqualTo(ProbeResult.Outcome.REPLY);
      assertThat(client.udp(DNS6, blue.v6().udpPort()).outcome())
          .as(pod)
          .isNotEqualTo(ProbeResult.Outcome.REPLY);
    }

    assertNothingArrives(before);
    // The control: the same listeners answer what is DNATed to them in their own network.
    assertThat(Probe.from(topo.pod("bc")).udp("10.96.0.10", 53).backend()).isEqualTo("blue");
  }

  @Test
  void applyDelta_listenerAndPortsRemoved_stopsAnswersInThatNetworkOnly() throws Exception {
    DesiredState s = withDns();
    backend.applyFull(s);
    assertThat(Probe.from(topo.pod("bc")).udp("10.96.0.10", 53).backend()).isEqualTo("blue");

    var d = Delta.newBuilder().addUpsertNetworks(network(56, "blue", "bl*", 101));
    for (var sp : s.getServicePortsList()) {
      if (sp.getNetworkId() == 56) {
        d.addRemoveServicePorts(
            ServicePortKey.newBuilder()
                .setNetworkId(56)
                .setAddress(sp.getAddress())
                .setProtocol(sp.getProtocol())
                .setPort(sp.getPort()));
      }
    }
    backend.applyDelta(d.build());

    Probe client = Probe.from(topo.pod("bc")).timeout(SHORT);
    assertThat(client.udp("10.96.0.10", 53).outcome()).isNotEqualTo(ProbeResult.Outcome.REPLY);
    assertThat(client.tcp("10.96.0.10", 53).outcome()).isNotEqualTo(ProbeResult.Outcome.REPLY);
    assertThat(Probe.from(topo.pod("rc")).udp("10.96.0.10", 53).backend()).isEqualTo("red");
    assertThat(Probe.from(topo.pod("rc")).tcp("fd00:96::10", 53).backend()).isEqualTo("red");
    // A change of listeners alone is elements of the listener sets, not a rebuilt table.
    assertThat(backend.lastBatch())
        .contains("delete element inet multinet listener_zones4 { 56 . " + DNS4 + " . ")
        .doesNotContain("table inet multinet {");
  }

  @Test
  void localAddresses_onLoopback_onlyThoseTheBackendAddedAreRemoved() throws Exception {
    var loopback = new LoopbackAddresses(topo.node());
    assertThat(lo()).contains(DNS4 + "/32", DNS6 + "/128", Topology.NODE_V4 + "/32");
    assertThat(loopback.owned()).extracting(Object::toString).containsExactly(DNS4, DNS6);

    // The lab's own node address listed too: it was there before, so it is never claimed.
    backend.applyFull(
        base()
            .setNode(
                NodeFacts.newBuilder()
                    .setName("node-a")
                    .addLocalAddresses(DNS4)
                    .addLocalAddresses(Topology.NODE_V4))
            .build());
    assertThat(lo()).contains(DNS4 + "/32", Topology.NODE_V4 + "/32").doesNotContain(DNS6 + "/128");

    backend.applyDelta(
        Delta.newBuilder().setNode(NodeFacts.newBuilder().setName("node-a")).build());
    assertThat(lo()).contains(Topology.NODE_V4 + "/32").doesNotContain(DNS4 + "/32");

    backend.applyFull(base().build());
    backend.cleanup();
    assertThat(lo())
        .contains(Topology.NODE_V4 + "/32", Topology.NODE_V6 + "/128")
        .doesNotContain(DNS4 + "/32", DNS6 + "/128");
  }

  /** The addresses on the node's {@code lo}, as {@code ip} prints them ({@code 10.0.0.1/32}). */
  private List<String> lo() throws Exception {
    Process p =
        new ProcessBuilder("ip", "-n", topo.node(), "-o", "address", "show", "dev", "lo")
            .redirectErrorStream(true)
            .start();
    String out =
        new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
    assertThat(p.waitFor(10, TimeUnit.SECONDS)).isTrue();
    List<String> addresses = new ArrayList<>();
    for (String line : out.lines().toList()) {
      String[] words = line.trim().split("\\s+", -1);
      for (int i = 0; i + 1 < words.length; i++) {
        if (words[i].equals("inet") || words[i].equals("inet6")) {
          addresses.add(words[i + 1]);
        }
      }
    }
    return addresses;
  }

  private int received() {
    return servers.stream().mapToInt(MarkedEchoServer::received).sum();
  }

  /** What was dropped never reaches a listener, however long one waits. */
  private void assertNothingArrives(int before) {
    await("no datagram or connection reaches a listener")
        .during(Duration.ofMillis(300))
        .atMost(Duration.ofSeconds(2))
        .until(() -> received() == before);
  }
}
