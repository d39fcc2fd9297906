package io.multinet.table;

import static io.multinet.table.TestTables.BLUE;
import static io.multinet.table.TestTables.NODE;
import static io.multinet.table.TestTables.RED;
import static io.multinet.table.TestTables.port;
import static io.multinet.table.TestTables.twoNetworks;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.multinet.network.IpAddress;
import io.multinet.network.Network;
import io.multinet.network.Protocol;
import io.multinet.service.Endpoint;
import io.multinet.service.LoadBalancing;
import io.multinet.service.NodeInfo;
import io.multinet.service.ServicePort;
import io.multinet.service.ServicePortKey;
import io.multinet.service.ServicePortName;
import io.multinet.service.ServicePortPolicy;
import io.multinet.service.TrafficPolicy;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Address ranges: see {@link TestTables}. */
class ServiceTableTest {

  @Test
  void lookup_sameVipInTwoNetworks_findsEachNetworksOwnBackends() {
    var b = twoNetworks();
    assertThat(b.add(port("web", 56, "10.96.0.10", 80, 3, 8080))).isTrue();
    assertThat(b.add(port("web", 57, "10.96.0.10", 80, 2, 9090))).isTrue();
    ServiceTable t = b.build();

    IpAddress vip = IpAddress.parse("10.96.0.10");
    ServiceEntry blue = t.lookup(56, vip, Protocol.TCP, 80);
    ServiceEntry red = t.lookup(57, vip, Protocol.TCP, 80);
    assertThat(blue).isNotNull();
    assertThat(red).isNotNull();
    assertThat(blue.backends()).hasSize(3).allMatch(e -> e.port() == 8080);
    assertThat(red.backends()).hasSize(2).allMatch(e -> e.port() == 9090);
    assertThat(t.lookup(0, vip, Protocol.TCP, 80)).isNull();
    assertThat(t.lookup(56, vip, Protocol.UDP, 80)).isNull();
    assertThat(t.lookup(56, vip, Protocol.TCP, 81)).isNull();
    assertThat(t.lookup(58, vip, Protocol.TCP, 80)).isNull();
  }

  @Test
  void lookup_ipv6_andOutOfRangeArguments() {
    var b = twoNetworks();
    b.add(port("v6", 56, "fd00:96::a", 443, 2, 8443));
    ServiceTable t = b.build();
    ServiceEntry e = t.lookup(56, IpAddress.parse("fd00:96::a"), Protocol.TCP, 443);
    assertThat(e).isNotNull();
    assertThat(e.backends())
        .extracting(Endpoint::hostPort)
        .containsExactly("[fd00:1::1]:8443", "[fd00:1::2]:8443");
    // Out-of-range values must not alias port 443 (65536 + 443) or network 56 (65536 + 56).
    assertThat(t.lookup(56, IpAddress.parse("fd00:96::a"), Protocol.TCP, 65536 + 443)).isNull();
    assertThat(t.lookup(65536 + 56, IpAddress.parse("fd00:96::a"), Protocol.TCP, 443)).isNull();
  }

  @Test
  void lookup_externalAddress_usesExternalPolicy() {
    ServicePort sp =
        port("lb", 0, "172.30.0.5", 80, 4, 8080)
            .withPolicy(ServicePortPolicy.DEFAULT.withExternalTrafficPolicy(TrafficPolicy.LOCAL))
            .withExternal(30080, List.of(IpAddress.parse("203.0.113.7")));
    var b = twoNetworks();
    assertThat(b.add(sp)).isTrue();
    ServiceTable t = b.build();

    ServiceEntry internal = t.lookup(0, IpAddress.parse("172.30.0.5"), Protocol.TCP, 80);
    ServiceEntry external = t.lookup(0, IpAddress.parse("203.0.113.7"), Protocol.TCP, 80);
    assertThat(internal).isNotNull();
    assertThat(external).isNotNull();
    assertThat(internal.isExternal()).isFalse();
    assertThat(internal.backends()).hasSize(4);
    assertThat(external.isExternal()).isTrue();
    // Local: only node-a's endpoints (the even ones).
    assertThat(external.backends())
        .extracting(Endpoint::nodeName)
        .containsOnly("node-a")
        .hasSize(2);
    assertThat(t.size()).isEqualTo(1);
    assertThat(t.indexedKeys()).isEqualTo(2);
  }

  @Test
  void externalEntry_nodePortWithoutExternalAddresses_followsExternalPolicy() {
    ServicePort cluster = port("np", 0, "172.30.0.6", 80, 4, 8080).withExternal(30080, List.of());
    ServicePort local =
        port("np-local", 0, "172.30.0.7", 80, 4, 8080)
            .withPolicy(ServicePortPolicy.DEFAULT.withExternalTrafficPolicy(TrafficPolicy.LOCAL))
            .withExternal(30081, List.of());
    var b = twoNetworks();
    assertThat(b.add(cluster)).isTrue();
    assertThat(b.add(local)).isTrue();
    ServiceTable t = b.build();

    ServiceEntry c = t.externalEntry(cluster.key());
    ServiceEntry l = t.externalEntry(local.key());
    assertThat(c).isNotNull();
    assertThat(l).isNotNull();
    assertThat(c.isExternal()).isTrue();
    assertThat(c.backends()).hasSize(4);
    // Local: only node-a's endpoints (the even ones).
    assertThat(l.backends()).extracting(Endpoint::nodeName).containsOnly("node-a").hasSize(2);
    // A NodePort adds no address to the index: only the cluster IPs are keyed.
    assertThat(t.indexedKeys()).isEqualTo(2);
  }

  @Test
  void externalEntry_clusterIpOnly_isNull() {
    ServicePort plain = port("plain", 0, "172.30.0.8", 80, 2, 8080);
    var b = twoNetworks();
    assertThat(b.add(plain)).isTrue();
    assertThat(b.build().externalEntry(plain.key())).isNull();
  }

  @Test
  void add_invalidPorts_areRejectedWithReasonsAndOthersKept() {
    var b = twoNetworks();
    assertThat(b.add(port("unknown-net", 99, "10.96.0.1", 80, 1, 80))).isFalse();
    assertThat(b.add(port("outside", 56, "10.97.0.1", 80, 1, 80))).isFalse();
    assertThat(b.add(port("first", 56, "10.96.0.1", 80, 1, 80))).isTrue();
    assertThat(b.add(port("second", 56, "10.96.0.1", 80, 1, 80))).isFalse();
    ServiceTable t = b.build();

    assertThat(t.size()).isEqualTo(1);
    assertThat(t.rejections())
        .extracting(Rejection::toString)
        .containsExactly(
            "ns/unknown-net:p80: network: 99 (expected: one of [0, 56, 57])",
            "ns/outside:p80: address: 10.97.0.1 (expected: within network blue's service CIDRs [10.96.0.0/16, fd00:96::/112])",
            "ns/second:p80: key: 56/10.96.0.1:80/TCP (expected: unique; service ns/first:p80 has it)");
  }

  @Test
  void add_endpointOutsidePodCidrs_isDroppedAndReported() {
    ServicePort sp =
        port("web", 56, "10.96.0.10", 80, 1, 8080)
            .withEndpoints(
                List.of(
                    Endpoint.builder("10.1.0.1", 8080).build(),
                    Endpoint.builder("10.9.0.1", 8080).build()));
    var b = twoNetworks();
    assertThat(b.add(sp)).isTrue();
    ServiceTable t = b.build();
    assertThat(t.entry(sp.key()).backends())
        .extracting(Endpoint::hostPort)
        .containsExactly("10.1.0.1:8080");
    assertThat(t.rejections())
        .extracting(Rejection::reason)
        .containsExactly(
            "endpoint: 10.9.0.1:8080 (expected: within network blue's pod CIDRs [10.1.0.0/16, fd00:1::/64])");
  }

  @Test
  void add_nodeLocalPortOutsidePodCidrs_keepsItsEndpoint() {
    Endpoint listener = Endpoint.builder("169.254.53.53", 35353).build();
    ServicePort dns =
        new ServicePort(
            new ServicePortName(ServicePortName.NODE_LOCAL_NAMESPACE, "dns-blue", "dns"),
            new ServicePortKey(56, IpAddress.parse("10.96.0.53"), Protocol.UDP, 53),
            ServicePortPolicy.DEFAULT,
            0,
            List.of(),
            List.of(listener));
    ServicePort web = port("web", 56, "10.96.0.10", 80, 1, 8080).withEndpoints(List.of(listener));
    var b = twoNetworks();
    assertThat(b.add(dns)).isTrue();
    assertThat(b.add(web)).isTrue();
    ServiceTable t = b.build();
    assertThat(t.entry(dns.key()).backends()).containsExactly(listener);
    assertThat(t.entry(web.key()).backends()).isEmpty();
    assertThat(t.rejections())
        .extracting(Rejection::toString)
        .containsExactly(
            "ns/web:p80: endpoint: 169.254.53.53:35353 (expected: within network blue's pod CIDRs [10.1.0.0/16, fd00:1::/64])");
  }

  @Test
  void add_externalAddressClashingWithAnotherCluserIp_isRejected() {
    var b = twoNetworks();
    assertThat(b.add(port("a", 0, "172.30.0.5", 80, 1, 80))).isTrue();
    ServicePort clash =
        port("b", 0, "172.30.0.6", 80, 1, 80)
            .withExternal(0, List.of(IpAddress.parse("172.30.0.5")));
    assertThat(b.add(clash)).isFalse();
    assertThat(b.build().rejections())
        .extracting(Rejection::reason)
        .containsExactly(
            "externalAddresses: 172.30.0.5 (expected: unique; service ns/a:p80 has it)");
  }

  @Test
  void network_duplicateId_fails() {
    assertThatThrownBy(() -> twoNetworks().network(Network.of("green", 56, List.of(), List.of())))
        .hasMessage("network: green id 56 (expected: unique id; blue has it)");
  }

  @Test
  void select_noBackends_returnsNull_andReportsWhetherAnyExist() {
    var b = twoNetworks();
    ServicePort none = port("empty", 56, "10.96.0.20", 80, 0, 80);
    ServicePort remoteOnly =
        port("remote", 56, "10.96.0.21", 80, 1, 80)
            .withPolicy(ServicePortPolicy.DEFAULT.withInternalTrafficPolicy(TrafficPolicy.LOCAL));
    b.add(none);
    b.add(remoteOnly);
    ServiceTable t = b.build();

    assertThat(t.entry(none.key()).select(12345)).isNull();
    assertThat(t.entry(none.key()).hasAnyEndpoints()).isFalse(); // reject
    assertThat(t.entry(remoteOnly.key()).select(12345)).isNull();
    assertThat(t.entry(remoteOnly.key()).hasAnyEndpoints()).isTrue(); // drop, not reject
  }

  @Test
  void diff_rebuildOfSameInput_isEmpty() {
    ServiceTable a =
        table(port("web", 56, "10.96.0.10", 80, 3, 8080), port("dns", 57, "10.96.0.10", 80, 2, 53));
    ServiceTable b =
        table(port("web", 56, "10.96.0.10", 80, 3, 8080), port("dns", 57, "10.96.0.10", 80, 2, 53));
    assertThat(ServiceTable.diff(a, b).isEmpty()).isTrue();
  }

  @Test
  void diff_reportsExactlyAddedRemovedAndChanged() {
    ServicePort keep = port("keep", 56, "10.96.0.1", 80, 2, 80);
    ServicePort change = port("change", 56, "10.96.0.2", 80, 2, 80);
    ServicePort gone = port("gone", 57, "10.96.0.1", 80, 2, 80);
    ServicePort fresh = port("fresh", 57, "10.96.0.3", 80, 2, 80);
    ServiceTable before = table(keep, change, gone);
    ServiceTable after = table(keep, change.withEndpoints(change.endpoints().subList(0, 1)), fresh);

    TableDiff d = ServiceTable.diff(before, after);

    assertThat(d.added()).containsExactly(fresh.key());
    assertThat(d.removed()).containsExactly(gone.key());
    assertThat(d.changed()).containsExactly(change.key());
    assertThat(d.size()).isEqualTo(3);
  }

  @Test
  void diff_nodeZoneChangeThatMovesHints_isAChange() {
    ServicePort sp =
        port("web", 0, "172.30.0.1", 80, 0, 80)
            .withEndpoints(
                List.of(
                    Endpoint.builder("10.0.0.1", 80).zoneHints("zone-a").build(),
                    Endpoint.builder("10.0.0.2", 80).zoneHints("zone-b").build()));
    var a = ServiceTable.builder(new NodeInfo("node-a", "zone-a"));
    a.add(sp);
    var b = ServiceTable.builder(new NodeInfo("node-a", "zone-b"));
    b.add(sp);
    assertThat(ServiceTable.diff(a.build(), b.build()).changed()).containsExactly(sp.key());
  }

  @Test
  void previous_reusesUnchangedEntries() {
    ServicePort web =
        port("web", 56, "10.96.0.10", 80, 3, 8080)
            .withPolicy(ServicePortPolicy.DEFAULT.withLoadBalancing(LoadBalancing.MAGLEV));
    ServicePort api = port("api", 56, "10.96.0.11", 80, 3, 8080);
    ServiceTable first = table(web, api);

    var b = twoNetworks().previous(first);
    b.add(web);
    b.add(api.withEndpoints(api.endpoints().subList(0, 2)));
    ServiceTable second = b.build();

    assertThat(second.entry(web.key())).isSameAs(first.entry(web.key()));
    assertThat(second.entry(api.key())).isNotSameAs(first.entry(api.key()));
    assertThat(ServiceTable.diff(first, second).changed()).containsExactly(api.key());
  }

  @Test
  void previous_shrinkingMaglevService_keepsItsTableSize() {
    ServicePort big =
        port("web", 56, "10.96.0.10", 80, 164, 8080)
            .withPolicy(ServicePortPolicy.DEFAULT.withLoadBalancing(LoadBalancing.MAGLEV));
    ServiceTable first = table(big);
    assertThat(first.entry(big.key()).maglevTableSize()).isEqualTo(32749);

    var b = twoNetworks().previous(first);
    b.add(big.withEndpoints(big.endpoints().subList(0, 163)));
    assertThat(b.build().entry(big.key()).maglevTableSize()).isEqualTo(32749);
    // Built fresh, 163 backends fit the smaller rung.
    assertThat(
            table(big.withEndpoints(big.endpoints().subList(0, 163)))
                .entry(big.key())
                .maglevTableSize())
        .isEqualTo(16381);
  }

  @Test
  void empty_findsNothing() {
    ServiceTable t = ServiceTable.empty(NODE);
    assertThat(t.size()).isZero();
    assertThat(t.lookup(0, IpAddress.parse("10.0.0.1"), Protocol.TCP, 80)).isNull();
    assertThat(t.networks()).containsOnlyKeys(0);
  }

  @Test
  void lookup_manyKeys_allFound() {
    var b = twoNetworks();
    for (int i = 0; i < 5000; i++) {
      String vip = "10.96." + (i >> 8) + "." + (i & 0xFF);
      assertThat(b.add(port("s" + i, 56 + (i & 1), vip, 80 + (i % 7), 1, 8080))).isTrue();
    }
    ServiceTable t = b.build();
    for (int i = 0; i < 5000; i++) {
      var key =
          ServicePortKey.of(
              56 + (i & 1), "10.96." + (i >> 8) + "." + (i & 0xFF), Protocol.TCP, 80 + (i % 7));
      assertThat(t.lookup(key.networkId(), key.address(), key.protocol(), key.port()))
          .isSameAs(t.entry(key));
      assertThat(t.lookup(57 - (i & 1), key.address(), key.protocol(), key.port())).isNull();
    }
    assertThat(BLUE.id()).isNotEqualTo(RED.id());
  }

  private static ServiceTable table(ServicePort... ports) {
    var b = twoNetworks();
    for (ServicePort p : ports) {
      assertThat(b.add(p)).as("accepted %s", p.name()).isTrue();
    }
    return b.build();
  }
}
