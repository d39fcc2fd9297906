package io.multinet.app;

import static io.multinet.app.ParityLab.Ep.ready;
import static io.multinet.app.ParityLab.kubeSlice;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.multinet.dataplane.lab.Probe;
import io.multinet.dataplane.lab.ProbeResult;
import io.multinet.dataplane.lab.ProbeResult.Outcome;
import io.multinet.dataplane.lab.Topology;
import io.multinet.network.Protocol;
import io.multinet.nodeproxy.NodeProxy;
import java.net.InetAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * kube-proxy parity on the default network, end to end: Services and EndpointSlices as the
 * Kubernetes EndpointSlice controller writes them, in the embedded API server; the node proxy as
 * {@code run} wires it, programming the kernel backend; real TCP and UDP from a pod on the node and
 * from a client outside it (the uplink). One lab for the whole class: every row has its own
 * Service, so the tests share nothing else.
 *
 * <p>Ranges: pods 10.2.0.0/24 and fd00:2::/64 (a1, a2 on node-1, r1 "on" node-2: its namespace
 * hangs off this node, but its endpoint names node-2, so only a policy keeps it out), the pod
 * client 10.2.0.250 / fd00:2::250; cluster IPs 10.43.0.0/24 and fd00:43::/112; the node's uplink
 * addresses 192.0.2.1 / 2001:db8::1 (NodePort addresses) and 198.51.100.1 (not one); the client
 * outside at 192.0.2.2 / 2001:db8::2; load-balancer and external IPs 203.0.113.0/24.
 */
class DefaultNetworkParityTest {

  private static final String NS = "parity";
  private static final Set<String> ALL = Set.of("a1", "a2", "r1");
  private static final Set<String> LOCAL = Set.of("a1", "a2");
  private static final InetAddress OUTSIDE = InetAddress.ofLiteral("192.0.2.2");
  private static final InetAddress OUTSIDE6 = InetAddress.ofLiteral("2001:db8::2");

  // Set by setUp before any test runs; tearDown copes with a setUp that failed half-way.
  @SuppressWarnings("NullAway.Init")
  private static ParityLab lab;

  @SuppressWarnings("NullAway.Init")
  private static Probe pod;

  @SuppressWarnings("NullAway.Init")
  private static Probe outside;

  private static int healthLocal;
  private static int healthRemote;

  @BeforeAll
  static void setUp() throws Exception {
    assumeTrue(Topology.unsupportedReason() == null, "needs root (CI runs as root)");
    lab = ParityLab.create("mnpd");
    Topology t = lab.topology();
    t.addDefaultNetwork("default", "df");
    t.startEchoServer(t.addPod("default", "a1", "10.2.0.11", "fd00:2::11"), 8080);
    t.startEchoServer(t.addPod("default", "a2", "10.2.0.12", "fd00:2::12"), 8080);
    t.startEchoServer(t.addPod("default", "r1", "10.2.0.21", "fd00:2::21"), 8080);
    pod = Probe.from(t.addClient("default", "c", "10.2.0.250", "fd00:2::250"));
    outside = Probe.from(t.uplink());
    healthLocal = ParityLab.freeLoopbackPort();
    healthRemote = ParityLab.freeLoopbackPort();
    lab.load(manifests());
    int ports = 0;
    for (String[] s :
        new String[][] {
          {"cluster", "all"},
          {"np-cluster", "all"},
          {"np-local", "all"},
          {"np-remote", "remote"},
          {"lb", "all"},
          {"ext", "all"},
          {"affinity", "all"},
          {"itp-local", "a1r1"},
          {"empty", "none"}
        }) {
      ports += slices(s[0], s[1]);
    }
    lab.startNodeProxy(
        new NodeProxy.Options(
            Duration.ofMillis(100),
            Duration.ofSeconds(30),
            null,
            List.of(),
            false,
            List.of("192.0.2.0/24", "2001:db8::/64")));
    lab.awaitServicePorts(ports);
  }

  @AfterAll
  static void tearDown() throws Exception {
    if (lab != null) {
      lab.close();
    }
  }

  /** Writes a Service's IPv4 and IPv6 slices (TCP port "tcp", UDP port "udp", both 8080). */
  private static int slices(String service, String which) {
    var v4 = new ArrayList<ParityLab.Ep>();
    var v6 = new ArrayList<ParityLab.Ep>();
    if (!which.equals("none")) {
      if (!which.equals("remote")) {
        v4.add(ready("10.2.0.11", ParityLab.NODE));
        v6.add(ready("fd00:2::11", ParityLab.NODE));
      }
      if (which.equals("all")) {
        v4.add(ready("10.2.0.12", ParityLab.NODE));
        v6.add(ready("fd00:2::12", ParityLab.NODE));
      }
      v4.add(ready("10.2.0.21", "node-2"));
      v6.add(ready("fd00:2::21", "node-2"));
    }
    List<String> ports = List.of("tcp:TCP:8080", "udp:UDP:8080");
    lab.create(kubeSlice(NS, service, "IPv4", ports, v4.toArray(ParityLab.Ep[]::new)));
    lab.create(kubeSlice(NS, service, "IPv6", ports, v6.toArray(ParityLab.Ep[]::new)));
    return 4; // two families, two protocols
  }

  /**
   * Dual-stack Services; one row each. The API server here allocates nothing, so cluster IPs and
   * node ports are written out, as the real one would have filled them in.
   */
  private static String manifests() {
    return ParityLab.NAMESPACE_AND_NODES
        + service("cluster", "ClusterIP", "10", "", "")
        + service("np-cluster", "NodePort", "20", "externalTrafficPolicy: Cluster", "30080")
        + service(
            "np-local",
            "NodePort",
            "30",
            "externalTrafficPolicy: Local\n  healthCheckNodePort: " + healthLocal,
            "30081")
        + service(
            "np-remote",
            "NodePort",
            "31",
            "externalTrafficPolicy: Local\n  healthCheckNodePort: " + healthRemote,
            "30082")
        + service("lb", "LoadBalancer", "40", "externalTrafficPolicy: Cluster", "30083")
        + """
          status:
            loadBalancer:
              ingress: [{ip: 203.0.113.10}]
          """
        + service("ext", "ClusterIP", "50", "externalIPs: [203.0.113.20]", "")
        + service(
            "affinity",
            "ClusterIP",
            "60",
            "sessionAffinity: ClientIP\n  sessionAffinityConfig: {clientIP: {timeoutSeconds: 300}}",
            "")
        + service("itp-local", "ClusterIP", "70", "internalTrafficPolicy: Local", "")
        + service("empty", "NodePort", "80", "", "30084");
  }

  /**
   * A dual-stack Service at 10.43.0.{@code octet} and fd00:43::{@code octet}, TCP 80 and UDP 53 to
   * 8080; with {@code nodePort} N, TCP gets N and UDP N + 1000.
   */
  private static String service(
      String name, String type, String octet, String extra, String nodePort) {
    String tcpNp = nodePort.isEmpty() ? "" : ", nodePort: " + nodePort;
    String udpNp = nodePort.isEmpty() ? "" : ", nodePort: " + (Integer.parseInt(nodePort) + 1000);
    return """
        ---
        apiVersion: v1
        kind: Service
        metadata: {name: %s, namespace: parity}
        spec:
          type: %s
          selector: {app: %s}
          clusterIP: 10.43.0.%s
          clusterIPs: [10.43.0.%s, "fd00:43::%s"]
          ipFamilies: [IPv4, IPv6]
          ipFamilyPolicy: RequireDualStack
          ports:
          - {name: tcp, protocol: TCP, port: 80, targetPort: 8080%s}
          - {name: udp, protocol: UDP, port: 53, targetPort: 8080%s}
        """
            .formatted(name, type, name, octet, octet, octet, tcpNp, udpNp)
        + (extra.isEmpty() ? "" : "  " + extra + "\n");
  }

  /** Who answered {@code n} probes, by backend name (failures by outcome name). */
  private static Set<String> answered(Probe from, Protocol p, String address, int port, int n)
      throws Exception {
    return from.count(n, p, address, port).keySet();
  }

  /** The source addresses {@code n} TCP probes' backends saw. */
  private static Set<InetAddress> peers(Probe from, String address, int port, int n)
      throws Exception {
    var out = new HashSet<InetAddress>();
    for (int i = 0; i < n; i++) {
      ProbeResult r = from.tcp(address, port);
      assertThat(r.outcome()).as("%s:%d: %s", address, port, r.detail()).isEqualTo(Outcome.REPLY);
      out.add(r.peer());
    }
    return out;
  }

  @Test
  void clusterIp_ipv4TcpAndUdp_spreadOverEveryEndpoint() throws Exception {
    assertThat(answered(pod, Protocol.TCP, "10.43.0.10", 80, 30)).isEqualTo(ALL);
    assertThat(answered(pod, Protocol.UDP, "10.43.0.10", 53, 30)).isEqualTo(ALL);
  }

  @Test
  void clusterIp_ipv6TcpAndUdp_spreadOverEveryEndpoint() throws Exception {
    assertThat(answered(pod, Protocol.TCP, "fd00:43::10", 80, 30)).isEqualTo(ALL);
    assertThat(answered(pod, Protocol.UDP, "fd00:43::10", 53, 30)).isEqualTo(ALL);
  }

  @Test
  void nodePortOnly_clusterPolicy_spreadsOverEveryEndpoint_andMasquerades() throws Exception {
    // No externalIPs, no load-balancer ingress: only the NodePort (issue 19).
    assertThat(answered(outside, Protocol.TCP, "192.0.2.1", 30080, 30)).isEqualTo(ALL);
    assertThat(answered(outside, Protocol.UDP, "192.0.2.1", 31080, 30)).isEqualTo(ALL);
    assertThat(answered(outside, Protocol.TCP, "2001:db8::1", 30080, 30)).isEqualTo(ALL);
    assertThat(peers(outside, "192.0.2.1", 30080, 10)).doesNotContain(OUTSIDE);
    assertThat(peers(outside, "2001:db8::1", 30080, 10)).doesNotContain(OUTSIDE6);
  }

  @Test
  void nodePortOnly_localPolicy_keepsTheClientAddress_andNeverPicksARemoteEndpoint()
      throws Exception {
    assertThat(answered(outside, Protocol.TCP, "192.0.2.1", 30081, 30)).isEqualTo(LOCAL);
    assertThat(answered(outside, Protocol.UDP, "192.0.2.1", 31081, 30)).isEqualTo(LOCAL);
    assertThat(answered(outside, Protocol.TCP, "2001:db8::1", 30081, 30)).isEqualTo(LOCAL);
    assertThat(peers(outside, "192.0.2.1", 30081, 10)).containsExactly(OUTSIDE);
    assertThat(peers(outside, "2001:db8::1", 30081, 10)).containsExactly(OUTSIDE6);
    // Only remote endpoints: external traffic is dropped here, as kube-proxy does.
    assertThat(outside.timeout(Duration.ofMillis(500)).tcp("192.0.2.1", 30082).outcome())
        .isEqualTo(Outcome.TIMEOUT);
  }

  @Test
  void healthCheckNodePort_localPolicy_is200WithLocalEndpoints_and503Without() throws Exception {
    await()
        .atMost(Duration.ofSeconds(10))
        .untilAsserted(
            () -> {
              assertThat(ParityLab.httpStatus(healthLocal)).isEqualTo(200);
              assertThat(ParityLab.httpStatus(healthRemote)).isEqualTo(503);
            });
  }

  @Test
  void loadBalancer_ingressIpAndNodePort_bothServe() throws Exception {
    assertThat(answered(outside, Protocol.TCP, "203.0.113.10", 80, 30)).isEqualTo(ALL);
    assertThat(answered(outside, Protocol.UDP, "203.0.113.10", 53, 30)).isEqualTo(ALL);
    assertThat(answered(outside, Protocol.TCP, "192.0.2.1", 30083, 30)).isEqualTo(ALL);
  }

  @Test
  void externalIps_serveClientsOutside() throws Exception {
    assertThat(answered(outside, Protocol.TCP, "203.0.113.20", 80, 30)).isEqualTo(ALL);
    assertThat(answered(outside, Protocol.UDP, "203.0.113.20", 53, 30)).isEqualTo(ALL);
  }

  @Test
  void sessionAffinityClientIp_keepsEachClientOnOneEndpoint() throws Exception {
    assertThat(answered(pod, Protocol.TCP, "10.43.0.60", 80, 20)).hasSize(1).isSubsetOf(ALL);
    assertThat(answered(pod, Protocol.UDP, "10.43.0.60", 53, 20)).hasSize(1).isSubsetOf(ALL);
    assertThat(answered(pod, Protocol.TCP, "fd00:43::60", 80, 20)).hasSize(1).isSubsetOf(ALL);
  }

  @Test
  void internalTrafficPolicyLocal_neverPicksARemoteEndpoint() throws Exception {
    // a1 is local, r1 remote: with policy Cluster 30 probes miss r1 with odds 2^-30.
    assertThat(answered(pod, Protocol.TCP, "10.43.0.70", 80, 30)).containsExactly("a1");
    assertThat(answered(pod, Protocol.UDP, "10.43.0.70", 53, 30)).containsExactly("a1");
    assertThat(answered(pod, Protocol.TCP, "fd00:43::70", 80, 30)).containsExactly("a1");
  }

  @Test
  void nodePortAddresses_nodePortAnswersOnlyOnThem() throws Exception {
    assertThat(outside.tcp("192.0.2.1", 30080).outcome()).isEqualTo(Outcome.REPLY);
    // 198.51.100.1 is the node's too, but outside --nodeport-addresses: nothing listens there.
    assertThat(outside.tcp("198.51.100.1", 30080).outcome()).isEqualTo(Outcome.REFUSED);
    assertThat(outside.tcp("198.51.100.1", 30083).outcome()).isEqualTo(Outcome.REFUSED);
  }

  @Test
  void noEndpoints_clusterIpAndNodePort_reject() throws Exception {
    assertThat(pod.tcp("10.43.0.80", 80).outcome()).isEqualTo(Outcome.REFUSED);
    assertThat(pod.udp("10.43.0.80", 53).outcome()).isEqualTo(Outcome.REFUSED);
    assertThat(pod.tcp("fd00:43::80", 80).outcome()).isEqualTo(Outcome.REFUSED);
    assertThat(outside.tcp("192.0.2.1", 30084).outcome()).isEqualTo(Outcome.REFUSED);
    assertThat(outside.tcp("2001:db8::1", 30084).outcome()).isEqualTo(Outcome.REFUSED);
  }
}
