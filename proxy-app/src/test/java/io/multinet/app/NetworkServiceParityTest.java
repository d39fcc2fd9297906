package io.multinet.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.multinet.dataplane.lab.Probe;
import io.multinet.dataplane.lab.ProbeResult.Outcome;
import io.multinet.dataplane.lab.Topology;
import io.multinet.network.Protocol;
import io.multinet.nodeproxy.NodeProxy;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The kube-proxy parity rows that apply to a network Service, end to end through the seam between
 * controller, node proxy and dataplane: a Network, pods whose network-status annotation attaches
 * them to it, Services on it with per-network cluster IPs; the controller builds the slices, the
 * node proxy programs the kernel backend, and real TCP and UDP from a pod on the network answers.
 * (NodePorts, external and load-balancer IPs are the default network's only.)
 *
 * <p>Ranges: network blue (id 56) with cluster IPs 10.96.0.0/16 and fd00:96::/112 and pods
 * 10.1.0.0/16 and fd00:1::/64: b1 and b2 on node-1, b3 on node-2 (its namespace hangs off this
 * node, so only a policy keeps it out), the client 10.1.0.250 / fd00:1::250.
 */
class NetworkServiceParityTest {

  private static final Set<String> ALL = Set.of("b1", "b2", "b3");

  @SuppressWarnings("NullAway.Init") // set by setUp before any test runs
  private static ParityLab lab;

  @SuppressWarnings("NullAway.Init") // set by setUp before any test runs
  private static Probe client;

  @BeforeAll
  static void setUp() throws Exception {
    assumeTrue(Topology.unsupportedReason() == null, "needs root (CI runs as root)");
    lab = ParityLab.create("mnpn");
    Topology t = lab.topology();
    t.addNetwork("blue", 1, "bl-", 1056);
    t.startEchoServer(t.addPod("blue", "b1", "10.1.0.11", "fd00:1::11"), 8080);
    t.startEchoServer(t.addPod("blue", "b2", "10.1.0.12", "fd00:1::12"), 8080);
    t.startEchoServer(t.addPod("blue", "b3", "10.1.0.21", "fd00:1::21"), 8080);
    client = Probe.from(t.addClient("blue", "bc", "10.1.0.250", "fd00:1::250"));
    lab.load(manifests());
    lab.startController();
    lab.startNodeProxy(
        new NodeProxy.Options(
            Duration.ofMillis(100), Duration.ofSeconds(30), null, List.of(), false));
    lab.awaitServicePorts(16); // four Services, two families, two protocols
  }

  @AfterAll
  static void tearDown() throws Exception {
    if (lab != null) {
      lab.close();
    }
  }

  private static String manifests() {
    return """
        apiVersion: multinet.io/v1alpha1
        kind: Network
        metadata: {name: blue}
        spec:
          id: 56
          serviceCIDRs: ["10.96.0.0/16", "fd00:96::/112"]
          podCIDRs: ["10.1.0.0/16", "fd00:1::/64"]
          attachments: ["parity/blue-net"]
          kernel: {interfaces: ["bl-*"], routingTable: 1056}
        ---
        """
        + ParityLab.NAMESPACE_AND_NODES
        + pod("b1", "node-1", "11", "{app: web, local: \"yes\"}")
        + pod("b2", "node-1", "12", "{app: web}")
        + pod("b3", "node-2", "21", "{app: web, local: \"yes\"}")
        + service("web", "10", "{app: web}", "")
        + service(
            "affinity",
            "60",
            "{app: web}",
            "sessionAffinity: ClientIP\n  sessionAffinityConfig: {clientIP: {timeoutSeconds: 300}}")
        + service("itp-local", "70", "{local: \"yes\"}", "internalTrafficPolicy: Local")
        + service("empty", "80", "{app: nothing}", "");
  }

  /** A pod as multus and the kubelet leave it: network-status written, Ready. */
  private static String pod(String name, String node, String octet, String labels) {
    return """
        ---
        apiVersion: v1
        kind: Pod
        metadata:
          name: %1$s
          namespace: parity
          labels: %4$s
          annotations:
            k8s.v1.cni.cncf.io/networks: blue-net
            k8s.v1.cni.cncf.io/network-status: |
              [{"name": "cbr0", "interface": "eth0", "ips": ["10.244.0.%3$s"], "default": true},
               {"name": "parity/blue-net", "interface": "net1",
                "ips": ["10.1.0.%3$s", "fd00:1::%3$s"]}]
        spec:
          nodeName: %2$s
          containers: [{name: echo, image: echo, ports: [{containerPort: 8080}]}]
        status:
          phase: Running
          podIP: 10.244.0.%3$s
          conditions: [{type: Ready, status: "True"}]
        """
        .formatted(name, node, octet, labels);
  }

  /** A dual-stack Service on blue at 10.96.0.{@code octet} and fd00:96::{@code octet}. */
  private static String service(String name, String octet, String selector, String extra) {
    return """
        ---
        apiVersion: v1
        kind: Service
        metadata:
          name: %1$s
          namespace: parity
          annotations:
            multinet.io/network: blue
            multinet.io/cluster-ips: "10.96.0.%2$s,fd00:96::%2$s"
        spec:
          selector: %3$s
          ipFamilies: [IPv4, IPv6]
          ipFamilyPolicy: RequireDualStack
          ports:
          - {name: tcp, protocol: TCP, port: 80, targetPort: 8080}
          - {name: udp, protocol: UDP, port: 53, targetPort: 8080}
        """
            .formatted(name, octet, selector)
        + (extra.isEmpty() ? "" : "  " + extra + "\n");
  }

  private static Set<String> answered(Protocol p, String address, int port, int n)
      throws Exception {
    return client.count(n, p, address, port).keySet();
  }

  @Test
  void clusterIp_ipv4TcpAndUdp_spreadOverEveryEndpoint() throws Exception {
    assertThat(answered(Protocol.TCP, "10.96.0.10", 80, 30)).isEqualTo(ALL);
    assertThat(answered(Protocol.UDP, "10.96.0.10", 53, 30)).isEqualTo(ALL);
  }

  @Test
  void clusterIp_ipv6TcpAndUdp_spreadOverEveryEndpoint() throws Exception {
    assertThat(answered(Protocol.TCP, "fd00:96::10", 80, 30)).isEqualTo(ALL);
    assertThat(answered(Protocol.UDP, "fd00:96::10", 53, 30)).isEqualTo(ALL);
  }

  @Test
  void sessionAffinityClientIp_keepsEachClientOnOneEndpoint() throws Exception {
    assertThat(answered(Protocol.TCP, "10.96.0.60", 80, 20)).hasSize(1).isSubsetOf(ALL);
    assertThat(answered(Protocol.UDP, "10.96.0.60", 53, 20)).hasSize(1).isSubsetOf(ALL);
    assertThat(answered(Protocol.TCP, "fd00:96::60", 80, 20)).hasSize(1).isSubsetOf(ALL);
  }

  @Test
  void internalTrafficPolicyLocal_neverPicksARemoteEndpoint() throws Exception {
    // b1 is local, b3 remote: with policy Cluster 30 probes miss b3 with odds 2^-30.
    assertThat(answered(Protocol.TCP, "10.96.0.70", 80, 30)).containsExactly("b1");
    assertThat(answered(Protocol.UDP, "10.96.0.70", 53, 30)).containsExactly("b1");
    assertThat(answered(Protocol.TCP, "fd00:96::70", 80, 30)).containsExactly("b1");
  }

  @Test
  void noEndpoints_clusterIp_rejects() throws Exception {
    assertThat(client.tcp("10.96.0.80", 80).outcome()).isEqualTo(Outcome.REFUSED);
    assertThat(client.udp("10.96.0.80", 53).outcome()).isEqualTo(Outcome.REFUSED);
    assertThat(client.tcp("fd00:96::80", 80).outcome()).isEqualTo(Outcome.REFUSED);
  }
}
