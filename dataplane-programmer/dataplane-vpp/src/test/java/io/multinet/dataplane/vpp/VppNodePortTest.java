package io.multinet.dataplane.vpp;

import static io.multinet.dataplane.States.backend;
import static io.multinet.dataplane.States.port;
import static org.assertj.core.api.Assertions.assertThat;

import io.multinet.dataplane.lab.Probe;
import io.multinet.dataplane.lab.ProbeResult;
import io.multinet.dataplane.lab.ProbeResult.Outcome;
import io.multinet.dataplane.v1.Backend;
import io.multinet.dataplane.v1.DesiredState;
import io.multinet.dataplane.v1.NodeFacts;
import io.multinet.network.Protocol;
import java.time.Duration;
import java.util.Map;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * NodePorts on the node's addresses (VPP's interface addresses) and source NAT where kube-proxy
 * masquerades unconditionally, shown by traffic through a real VPP (a fresh one per test) between
 * namespaces this test creates: backends b1 and b2 (10.1.1.2, 10.1.2.2, echo servers on 8080), a
 * client c1 (10.1.3.2). VPP is 10.1.N.1 and fd00:1:N::1 on host N's link: those are the node's
 * addresses. The echo servers answer with the address they saw the client as.
 */
class VppNodePortTest {

  @RegisterExtension static final RealVpp VPP = RealVpp.perTest();

  private static final io.multinet.dataplane.v1.Protocol TCP =
      io.multinet.dataplane.v1.Protocol.TCP;
  private static final io.multinet.dataplane.v1.Protocol UDP =
      io.multinet.dataplane.v1.Protocol.UDP;
  private static final Backend B1 = backend("10.1.1.2", 8080, true);
  private static final Backend B2 = backend("10.1.2.2", 8080, true);
  private static final Backend B1_6 = backend("fd00:1:1::2", 8080, true);

  private VppLab lab;
  private @Nullable VppBackend backend;
  private Probe c1;
  private VppLab.Host c1Host;

  @BeforeEach
  void setUp() throws Exception {
    lab = new VppLab(VPP);
    lab.serve(lab.addHost("b1"), 8080);
    lab.serve(lab.addHost("b2"), 8080);
    c1Host = lab.addHost("c1");
    c1 = Probe.from(c1Host.netns()).timeout(Duration.ofSeconds(1));
    backend =
        VppBackend.connect(
            VPP.socket(),
            VppApiClient.Options.defaults().withConnectTimeout(Duration.ofSeconds(10)));
  }

  @AfterEach
  void tearDown() throws Exception {
    try {
      if (backend != null) {
        backend.close();
      }
    } finally {
      lab.close();
    }
  }

  private VppBackend vpp() {
    if (backend == null) {
      throw new IllegalStateException("no backend");
    }
    return backend;
  }

  private static DesiredState nodePorts(NodeFacts node) {
    return DesiredState.newBuilder()
        .setNode(node)
        .addServicePorts(
            port(0, "10.96.0.10", TCP, 80, B1)
                .setNodePort(30080)
                .addExternalBackends(B1)
                .addExternalBackends(B2))
        .addServicePorts(
            port(0, "10.96.0.10", UDP, 80, B1)
                .setNodePort(30080)
                .addExternalBackends(B1)
                .addExternalBackends(B2))
        .addServicePorts(
            port(0, "fd00:96::10", TCP, 80, B1_6).setNodePort(30080).addExternalBackends(B1_6))
        .build();
  }

  /**
   * Without nodePortAddresses a NodePort answers on every address of the node, TCP and UDP, IPv4
   * and IPv6, spread over the external backends; with them, only on the node's addresses inside
   * them (a family without entries has none). The cluster IP stays as it was.
   */
  @Test
  void nodePort_answersOnTheNodesAddresses_onlyThoseInNodePortAddresses() throws Exception {
    vpp().applyFull(nodePorts(NodeFacts.newBuilder().setName("node-a").build()));

    Map<String, Integer> own = c1.count(20, Protocol.TCP, "10.1.3.1", 30080);
    Map<String, Integer> other = c1.count(20, Protocol.TCP, "10.1.1.1", 30080);
    Map<String, Integer> udp = c1.count(20, Protocol.UDP, "10.1.2.1", 30080);
    Map<String, Integer> v6 = c1.count(5, Protocol.TCP, "fd00:1:3::1", 30080);
    System.out.printf(
        "VppNodePortTest: NodePort 30080 on 10.1.3.1 %s, on 10.1.1.1 %s, UDP on 10.1.2.1 %s, on"
            + " fd00:1:3::1 %s%n",
        own, other, udp, v6);
    assertThat(own).containsOnlyKeys("b1", "b2");
    assertThat(other).containsOnlyKeys("b1", "b2");
    assertThat(udp).containsOnlyKeys("b1", "b2");
    assertThat(v6).containsOnlyKeys("b1");
    assertThat(c1.count(5, Protocol.TCP, "10.96.0.10", 80)).containsOnlyKeys("b1");

    vpp()
        .applyFull(
            nodePorts(
                NodeFacts.newBuilder()
                    .setName("node-a")
                    .addNodePortAddresses("10.1.3.0/24")
                    .build()));

    Map<String, Integer> inside = c1.count(10, Protocol.TCP, "10.1.3.1", 30080);
    Map<String, Integer> outside = c1.count(3, Protocol.TCP, "10.1.1.1", 30080);
    Map<String, Integer> outsideUdp = c1.count(3, Protocol.UDP, "10.1.2.1", 30080);
    Map<String, Integer> noV6 = c1.count(3, Protocol.TCP, "fd00:1:3::1", 30080);
    System.out.printf(
        "VppNodePortTest: nodePortAddresses 10.1.3.0/24: 10.1.3.1 %s, 10.1.1.1 %s, UDP 10.1.2.1"
            + " %s, fd00:1:3::1 %s%n",
        inside, outside, outsideUdp, noV6);
    assertThat(inside).containsOnlyKeys("b1", "b2");
    assertThat(outside).doesNotContainKeys("b1", "b2");
    assertThat(outsideUdp).doesNotContainKeys("b1", "b2");
    assertThat(noV6).doesNotContainKeys("b1", "b2");
    assertThat(c1.count(5, Protocol.TCP, "10.96.0.10", 80)).containsOnlyKeys("b1");
  }

  /**
   * A node address added after the last full state gets the NodePorts too, with no change of the
   * Services (kube-proxy's rules match any local address): the backend re-reads VPP's addresses on
   * a schedule and reprograms what depends on them.
   */
  @Test
  void nodePort_onAnAddressAddedLater_answersWithoutAServiceChange() throws Exception {
    vpp().watchAddresses(Duration.ofMillis(200));
    vpp().applyFull(nodePorts(NodeFacts.newBuilder().setName("node-a").build()));
    assertThat(c1.count(20, Protocol.TCP, "10.1.3.1", 30080)).containsOnlyKeys("b1", "b2");
    assertThat(c1.count(3, Protocol.TCP, "10.1.3.77", 30080)).doesNotContainKeys("b1", "b2");

    VPP.ctl("set", "interface", "ip", "address", c1Host.vppIf(), "10.1.3.77/24");

    org.awaitility.Awaitility.await()
        .atMost(Duration.ofSeconds(10))
        .untilAsserted(
            () ->
                assertThat(c1.count(10, Protocol.TCP, "10.1.3.77", 30080))
                    .containsOnlyKeys("b1", "b2"));
    System.out.printf(
        "VppNodePortTest: NodePort 30080 on the added address 10.1.3.77 %s%n",
        c1.count(10, Protocol.TCP, "10.1.3.77", 30080));
  }

  /**
   * kube-proxy masquerades traffic to NodePorts and external addresses with externalTrafficPolicy
   * Cluster, and all traffic with masqueradeAll: the backend then sees VPP's own address on its
   * link, and its reply still reaches the client. With Local, and to a cluster IP, it sees the
   * client's.
   */
  @Test
  void masquerade_whereKubeProxyMasquerades_theBackendSeesTheNodesAddress() throws Exception {
    DesiredState cluster =
        DesiredState.newBuilder()
            .addServicePorts(
                port(0, "10.96.0.20", TCP, 80, B1)
                    .setNodePort(30081)
                    .addExternalAddresses("203.0.113.20")
                    .addExternalBackends(B1))
            .addServicePorts(
                port(0, "10.96.0.20", UDP, 80, B2).setNodePort(30081).addExternalBackends(B2))
            .addServicePorts(
                port(0, "10.96.0.21", TCP, 80, B2)
                    .setNodePort(30082)
                    .addExternalAddresses("203.0.113.21")
                    .setExternalTrafficLocal(true)
                    .addExternalBackends(B2))
            .build();
    vpp().applyFull(cluster);

    String nodePortCluster = seen(c1.tcp("10.1.3.1", 30081), "b1");
    String externalCluster = seen(c1.tcp("203.0.113.20", 80), "b1");
    String udpCluster = seen(c1.udp("10.1.3.1", 30081), "b2");
    String clusterIp = seen(c1.tcp("10.96.0.20", 80), "b1");
    String nodePortLocal = seen(c1.tcp("10.1.3.1", 30082), "b2");
    String externalLocal = seen(c1.tcp("203.0.113.21", 80), "b2");
    System.out.printf(
        "VppNodePortTest: backend saw: NodePort (Cluster) %s, external IP (Cluster) %s, UDP"
            + " NodePort (Cluster) %s, cluster IP %s, NodePort (Local) %s, external IP (Local)"
            + " %s%n",
        nodePortCluster, externalCluster, udpCluster, clusterIp, nodePortLocal, externalLocal);
    assertThat(nodePortCluster).isEqualTo("10.1.1.1");
    assertThat(externalCluster).isEqualTo("10.1.1.1");
    assertThat(udpCluster).isEqualTo("10.1.2.1");
    assertThat(clusterIp).isEqualTo("10.1.3.2");
    assertThat(nodePortLocal).isEqualTo("10.1.3.2");
    assertThat(externalLocal).isEqualTo("10.1.3.2");
    // Source ports come from cnat's allocator: many flows of one client all get their replies.
    assertThat(c1.count(20, Protocol.TCP, "10.1.3.1", 30081)).containsOnlyKeys("b1");

    vpp()
        .applyFull(
            cluster.toBuilder().setNode(NodeFacts.newBuilder().setMasqueradeAll(true)).build());
    String all = seen(c1.tcp("10.96.0.20", 80), "b1");
    String allLocal = seen(c1.tcp("203.0.113.21", 80), "b2");
    System.out.printf(
        "VppNodePortTest: masqueradeAll: cluster IP %s, external IP (Local) %s%n", all, allLocal);
    assertThat(all).isEqualTo("10.1.1.1");
    assertThat(allLocal).isEqualTo("10.1.2.1");
  }

  /**
   * Hairpin: a backend reaching its own service and landing on itself. kube-proxy masquerades that
   * flow; cnat's per-path source NAT cannot depend on the client, so without masqueradeAll VPP
   * sends the backend a packet from its own address, which its kernel drops as a martian: no reply
   * (docs/vpp.md, "SNAT"). With masqueradeAll every path is source-NATed and the hairpin works.
   */
  @Test
  void hairpin_repliesOnlyWithMasqueradeAll() throws Exception {
    Probe b1 = Probe.from(lab.host("b1").netns()).timeout(Duration.ofSeconds(1));
    DesiredState s =
        DesiredState.newBuilder().addServicePorts(port(0, "10.96.0.30", TCP, 80, B1)).build();
    vpp().applyFull(s);
    ProbeResult plain = b1.tcp("10.96.0.30", 80);
    assertThat(c1.count(3, Protocol.TCP, "10.96.0.30", 80)).containsOnlyKeys("b1");

    vpp().applyFull(s.toBuilder().setNode(NodeFacts.newBuilder().setMasqueradeAll(true)).build());
    String masqueraded = seen(b1.tcp("10.96.0.30", 80), "b1");
    System.out.printf(
        "VppNodePortTest: hairpin from b1 to its own VIP: without masqueradeAll %s, with it b1"
            + " saw %s%n",
        plain.outcome(), masqueraded);
    assertThat(plain.outcome()).isNotEqualTo(Outcome.REPLY);
    assertThat(masqueraded).isEqualTo("10.1.1.1");
  }

  private static String seen(ProbeResult r, String backendName) {
    assertThat(r.outcome()).as("%s", r.detail()).isEqualTo(Outcome.REPLY);
    assertThat(r.backend()).isEqualTo(backendName);
    return String.valueOf(r.peer()).replace("/", "");
  }
}
