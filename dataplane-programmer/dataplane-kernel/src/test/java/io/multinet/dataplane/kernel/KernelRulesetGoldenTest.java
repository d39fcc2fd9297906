package io.multinet.dataplane.kernel;

import static io.multinet.dataplane.States.backend;
import static io.multinet.dataplane.States.blueWeb;
import static io.multinet.dataplane.States.network;
import static io.multinet.dataplane.States.port;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.multinet.dataplane.StateModel;
import io.multinet.dataplane.v1.DesiredState;
import io.multinet.dataplane.v1.NodeFacts;
import io.multinet.dataplane.v1.Protocol;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;

/**
 * The exact nftables text for small states, sorted line by line (so the order of maps and chains
 * inside a batch does not matter). Every rule shape the agent can send appears here: libnftables
 * aborts the whole process on some malformed shapes, so a new shape must be reviewed, loaded in the
 * contract and traffic tests, and then added. To regenerate after an intended change, run with
 * {@code -Dgolden.update=true} and review the diff. Address ranges: see {@link
 * io.multinet.dataplane.States}.
 */
class KernelRulesetGoldenTest {

  @Test
  void full_smallState_matchesGolden() throws IOException {
    DesiredState s =
        DesiredState.newBuilder()
            .addNetworks(
                network(56, "blue", "bl-*", 1056).toBuilder()
                    .addLocalListeners(listener("169.254.53.53", Protocol.UDP, 40001))
                    .addLocalListeners(listener("fd00:6d6e:6574::53", Protocol.TCP, 40002)))
            .addServicePorts(blueWeb())
            .addServicePorts(
                port(56, "10.96.0.11", Protocol.UDP, 53, backend("10.1.0.11", 53, true))
                    .setAffinityTimeoutSeconds(30))
            .addServicePorts(
                port(56, "fd00:96::10", Protocol.TCP, 80, backend("fd00:1::11", 8080, false)))
            .addServicePorts(
                port(56, "fd00:96::11", Protocol.TCP, 80, backend("fd00:1::11", 8080, false))
                    .setAffinityTimeoutSeconds(60))
            .addServicePorts(port(56, "10.96.0.40", Protocol.TCP, 80))
            .addServicePorts(port(56, "10.96.0.41", Protocol.TCP, 80).setHasAnyEndpoints(true))
            .addServicePorts(
                port(56, "10.96.0.12", Protocol.SCTP, 3868, backend("10.1.0.11", 3868, true)))
            .addServicePorts(
                port(0, "172.30.0.5", Protocol.TCP, 443, backend("10.0.0.5", 8443, false))
                    .addExternalAddresses("203.0.113.7")
                    .addExternalBackends(backend("10.0.0.5", 8443, false))
                    .setNodePort(30443))
            .addServicePorts(
                port(0, "172.30.0.6", Protocol.UDP, 53, backend("10.0.0.6", 5353, true))
                    .addExternalBackends(backend("10.0.0.6", 5353, true))
                    .setNodePort(30053)
                    .setExternalTrafficLocal(true))
            .setNode(NodeFacts.newBuilder().setName("node-a").addClusterCidrs("10.0.0.0/16"))
            .build();
    StateModel m = StateModel.of(s);

    String text = NftRenderer.full(KernelPlanner.plan(m.toState()));

    assertGolden("small-state.nft", text);
  }

  @Test
  void delta_endpointChange_isElementsOnly() throws IOException {
    var before = KernelPlanner.instances(blueWeb().build());
    var after =
        KernelPlanner.instances(
            port(56, "10.96.0.10", Protocol.TCP, 80, backend("10.1.0.11", 8080, true)).build());
    StringBuilder batch = new StringBuilder();
    before.forEach(i -> batch.append(NftRenderer.render(ElementOps.delete(i))));
    after.forEach(i -> batch.append(NftRenderer.render(ElementOps.add(i))));

    assertThat(batch.toString()).doesNotContain("chain").doesNotContain("rule");
    assertGolden("endpoint-change.nft", batch.toString());
  }

  @Test
  void listeners_change_isElementsOfBothSetsOfItsFamily() {
    var before = new TreeSet<KernelPlan.Listener>(KernelPlanner.listeners(blueDns(40001)));
    var after = new TreeSet<KernelPlan.Listener>(KernelPlanner.listeners(blueDns(40002)));

    assertThat(NftRenderer.render(ElementOps.listeners(before, after)))
        .isEqualTo(
            """
            delete element inet multinet listeners4 { 169.254.53.53 . udp . 40001 }
            delete element inet multinet listener_zones4 { 56 . 169.254.53.53 . udp . 40001 }
            add element inet multinet listeners4 { 169.254.53.53 . udp . 40002 }
            add element inet multinet listener_zones4 { 56 . 169.254.53.53 . udp . 40002 }
            """);
  }

  @Test
  void listeners_badEntries_areLeftOutAndTheOthersKept() {
    var n =
        blueDns(40001).toBuilder()
            .addLocalListeners(listener("169.254.53.53", Protocol.SCTP, 40003))
            .addLocalListeners(listener("169.254.53.53", Protocol.TCP, 70000))
            .addLocalListeners(listener("dns.local", Protocol.TCP, 40004))
            .build();

    assertThat(KernelPlanner.listeners(n))
        .containsExactly(
            new KernelPlan.Listener(
                56, io.multinet.network.IpAddress.parse("169.254.53.53"), Protocol.UDP, 40001));
  }

  private static io.multinet.dataplane.v1.NetworkSpec blueDns(int port) {
    return network(56, "blue", "bl-*", 1056).toBuilder()
        .addLocalListeners(listener("169.254.53.53", Protocol.UDP, port))
        .build();
  }

  private static io.multinet.dataplane.v1.LocalListener listener(
      String address, Protocol protocol, int port) {
    return io.multinet.dataplane.v1.LocalListener.newBuilder()
        .setAddress(address)
        .setProtocol(protocol)
        .setPort(port)
        .build();
  }

  @Test
  void change_sameBackendCount_touchesOnlyTheSlotsThatDiffer() {
    var before = KernelPlanner.instances(blueWeb().build()).getFirst();
    var after =
        KernelPlanner.instances(
                port(
                        56,
                        "10.96.0.10",
                        Protocol.TCP,
                        80,
                        backend("10.1.0.11", 8080, true),
                        backend("10.1.0.13", 8080, false))
                    .build())
            .getFirst();

    assertThat(NftRenderer.render(ElementOps.change(before, after)))
        .isEqualTo(
            """
            delete element inet multinet ep4_tcp { 56 . 10.96.0.10 . 80 . 1 }
            add element inet multinet ep4_tcp { 56 . 10.96.0.10 . 80 . 1 : 10.1.0.13 . 8080 }
            """);
  }

  @Test
  void instances_ipv6AffinityWithTwoTargetPorts_isServedWithoutAffinity() {
    var sp =
        port(
                56,
                "fd00:96::11",
                Protocol.TCP,
                80,
                backend("fd00:1::11", 8080, false),
                backend("fd00:1::12", 8081, false))
            .setAffinityTimeoutSeconds(60)
            .build();

    var v6 = KernelPlanner.instances(sp).getFirst();
    assertThat(NftRenderer.verdict(v6.verdict())).isEqualTo("goto lb_rand_2");
    assertThat(v6.affinityTimeout()).isZero();
    // IPv4 keeps the port in its shared affinity map, so two target ports are fine there.
    var v4 =
        KernelPlanner.instances(
                sp.toBuilder()
                    .setAddress("10.96.0.11")
                    .clearBackends()
                    .addBackends(backend("10.1.0.11", 8080, false))
                    .addBackends(backend("10.1.0.12", 8081, false))
                    .build())
            .getFirst();
    assertThat(NftRenderer.verdict(v4.verdict())).isEqualTo("goto aff_rand_2");
    assertThat(v4.affinityTimeout()).isEqualTo(60);
  }

  @Test
  void full_nodePortAddresses_limitNodePortsToThoseLocalAddresses() {
    var np =
        port(0, "172.30.0.5", Protocol.TCP, 443, backend("10.0.0.5", 8443, false))
            .addExternalBackends(backend("10.0.0.5", 8443, false))
            .setNodePort(30443);
    DesiredState s =
        DesiredState.newBuilder()
            .addServicePorts(np)
            .setNode(
                NodeFacts.newBuilder()
                    .addNodePortAddresses("192.0.2.0/24")
                    .addNodePortAddresses("192.0.2.7")
                    .addNodePortAddresses("10.0.0.0/8"))
            .build();
    StateModel m = StateModel.of(s);

    String text = NftRenderer.full(KernelPlanner.plan(m.toState()));

    assertThat(text)
        .contains(
            "ct zone 0 fib daddr type local ip daddr @nodeport_addrs4 meta l4proto . th dport vmap @nodeports4")
        .contains(
            "add element inet multinet nodeport_addrs4 { 192.0.2.0/24, 192.0.2.7/32, 10.0.0.0/8 }")
        .doesNotContain("vmap @nodeports6") // no IPv6 entry: no IPv6 NodePorts, as kube-proxy
        .doesNotContain("fib daddr type local meta nfproto");
    assertThatThrownBy(
            () ->
                KernelPlanner.plan(
                    s.toBuilder()
                        .setNode(NodeFacts.newBuilder().addNodePortAddresses("primary"))
                        .build()))
        .hasMessage("nodePortAddresses: primary (expected: a CIDR such as 192.0.2.0/24)");
  }

  @Test
  void change_ipv6AffinityBackendCount_repointsItsChainAndKeepsItsMap() {
    var one =
        port(56, "fd00:96::11", Protocol.TCP, 80, backend("fd00:1::11", 8080, false))
            .setAffinityTimeoutSeconds(60);
    var before = KernelPlanner.instances(one.build()).getFirst();
    var after =
        KernelPlanner.instances(one.addBackends(backend("fd00:1::12", 8080, false)).build())
            .getFirst();

    assertThat(NftRenderer.render(ElementOps.change(before, after)))
        .isEqualTo(
            """
            flush chain inet multinet aff6_56_fd00-96--11_tcp_80
            add rule inet multinet aff6_56_fd00-96--11_tcp_80 meta l4proto tcp dnat ip6 to ip6 saddr map @aff6m_56_fd00-96--11_tcp_80 : 8080
            add rule inet multinet aff6_56_fd00-96--11_tcp_80 goto lb_rand_2
            add element inet multinet ep6_tcp { 56 . fd00:96::11 . 80 . 1 : fd00:1::12 . 8080 }
            """);
  }

  private static void assertGolden(String name, String text) throws IOException {
    String[] lines = text.split("\n", -1);
    Arrays.sort(lines);
    String sorted = String.join("\n", lines).strip() + "\n";
    if (Boolean.getBoolean("golden.update")) {
      Files.writeString(Path.of("src/test/resources/golden", name), sorted);
    }
    try (InputStream in = KernelRulesetGoldenTest.class.getResourceAsStream("/golden/" + name)) {
      assertThat(in).as("golden file %s (run with -Dgolden.update=true once)", name).isNotNull();
      String expected = new String(in.readAllBytes(), StandardCharsets.UTF_8);
      assertThat(List.of(sorted.split("\n")))
          .containsExactlyElementsOf(List.of(expected.split("\n")));
    }
  }
}
