package io.multinet.kube.network;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.LabelSelectorBuilder;
import io.multinet.kube.Problem;
import io.multinet.kube.attachment.PodInterface;
import io.multinet.kube.crd.CalicoNetworkResource;
import io.multinet.kube.crd.NetworkAttachmentDefinition;
import io.multinet.kube.crd.NetworkResource;
import io.multinet.network.IpAddress;
import java.net.InetSocketAddress;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Ranges: blue 10.96.0.0/16 (services) and 10.1.0.0/16 (pods); dual-stack dns networks 10.96.0.0/16
 * and fd00:96::/112; Calico green 172.19.0.0/16; upstreams in 192.0.2.0/24 and 2001:db8::/32.
 */
class NetworkCatalogTest {

  @Test
  void build_invalidNetworks_areLeftOutWithReasons() {
    NetworkCatalog c =
        NetworkCatalog.build(
            List.of(
                net("blue", 56, List.of("10.96.0.0/16"), List.of("ns/blue-net")),
                net("dup-id", 56, List.of("10.97.0.0/16"), List.of()),
                net("bad-cidr", 58, List.of("10.96.0.0/33"), List.of()),
                net("overlap", 59, List.of("10.96.0.0/16", "10.96.1.0/24"), List.of()),
                net("dup-attach", 60, List.of(), List.of("ns/blue-net")),
                net("default", 61, List.of(), List.of())),
            List.of(),
            List.of());

    assertThat(c.networks()).extracting(NetworkDefinition::name).containsExactly("blue");
    assertThat(c.problems())
        .extracting(Problem::name, Problem::message)
        .containsExactlyInAnyOrder(
            org.assertj.core.groups.Tuple.tuple(
                "dup-id", "id: 56 (expected: unique across Networks; blue has it)"),
            org.assertj.core.groups.Tuple.tuple(
                "bad-cidr", "serviceCIDRs: prefixLength: 33 (expected: 0-32 for 10.96.0.0)"),
            org.assertj.core.groups.Tuple.tuple(
                "overlap",
                "serviceCIDRs: 10.96.0.0/16 and 10.96.1.0/24 overlap (expected: disjoint ranges within one network)"),
            org.assertj.core.groups.Tuple.tuple(
                "dup-attach",
                "attachments: ns/blue-net (expected: unique across Networks; blue has it)"),
            org.assertj.core.groups.Tuple.tuple(
                "default",
                "name: default (expected: another name; the default network is implicit)"));
  }

  @Test
  void build_calicoNetwork_findsItsAttachmentsInNadConfigs() {
    var calico = new CalicoNetworkResource();
    calico.getMetadata().setName("green");
    var spec = new CalicoNetworkResource.Spec();
    spec.vni = 77;
    spec.range = "172.19.0.0/16";
    calico.setSpec(spec);
    NetworkCatalog c =
        NetworkCatalog.build(
            List.of(),
            List.of(calico),
            List.of(
                nad(
                    "tenant",
                    "green-conf",
                    "{\"plugins\":[{\"type\":\"calico\",\"dataplane_options\":{\"network_name\":\"green\"}}]}"),
                nad("tenant", "other", "{\"type\":\"macvlan\"}"),
                nad("tenant", "broken", "{not json")));

    NetworkDefinition green = c.byName("green");
    assertThat(green).isNotNull();
    assertThat(green.network().id()).isEqualTo(77);
    assertThat(green.attachments()).containsExactly("tenant/green-conf");
    assertThat(green.network().serviceCidrs()).isEmpty();
    assertThat(c.byAttachment("tenant", "green-conf")).isSameAs(green);
  }

  @Test
  void includes_matchesQualifiedAndBareAttachments() {
    var d =
        NetworkCatalog.build(
                List.of(net("blue", 56, List.of(), List.of("ns/blue-net", "macvlan-conf"))),
                List.of(),
                List.of())
            .byName("blue");
    assertThat(d.includes(iface("blue-net"), "ns")).isTrue();
    assertThat(d.includes(iface("ns/blue-net"), "other")).isTrue();
    assertThat(d.includes(iface("blue-net"), "other")).isFalse();
    assertThat(d.includes(iface("any/macvlan-conf"), "x")).isTrue();
    assertThat(d.includes(new PodInterface("ns/blue-net", "eth0", List.of(), true), "ns"))
        .isFalse();
  }

  @Test
  void dns_requestedAddresses_oneOfEachFamilyInsideServiceCidrs() {
    NetworkDns dns =
        dnsOf(dnsNet("blue", dns(List.of("10.96.0.53", "fd00:96::35"), null, null), null));
    assertThat(dns.requested())
        .containsExactly(IpAddress.parse("10.96.0.53"), IpAddress.parse("fd00:96::35"));
    assertThat(dns.clusterIPs()).isEqualTo(dns.requested());
    assertThat(dns.clusterDomain()).isNull();
    assertThat(dns.upstreams()).isEmpty();
  }

  @Test
  void dns_noSpec_isAllocatedLater() {
    NetworkDns dns = dnsOf(dnsNet("blue", null, null));
    assertThat(dns.requested()).isEmpty();
    assertThat(dns.clusterIPs()).isEmpty();
  }

  @Test
  void dns_domainAndUpstreams_areNormalised() {
    NetworkDns dns =
        dnsOf(
            dnsNet(
                "blue",
                dns(
                    List.of(),
                    " Blue.Example. ",
                    List.of("192.0.2.1", "192.0.2.2:5353", "2001:db8::1", "[2001:db8::2]:54")),
                null));
    assertThat(dns.clusterDomain()).isEqualTo("blue.example");
    assertThat(dns.upstreams())
        .containsExactly(
            new InetSocketAddress(IpAddress.parse("192.0.2.1").toInetAddress(), 53),
            new InetSocketAddress(IpAddress.parse("192.0.2.2").toInetAddress(), 5353),
            new InetSocketAddress(IpAddress.parse("2001:db8::1").toInetAddress(), 53),
            new InetSocketAddress(IpAddress.parse("2001:db8::2").toInetAddress(), 54));
    assertThat(NetworkCatalog.upstream("[2001:db8::3]").getPort()).isEqualTo(53);
  }

  @Test
  void dns_statusAddresses_usedOnlyWhenNoneRequested() {
    var status = List.of("10.96.12.34", "fd00:96::1234", "10.96.99.99", "10.97.0.1", "bogus");
    NetworkDns allocated = dnsOf(dnsNet("blue", null, status));
    // One per family, inside serviceCIDRs; the rest of what the status says is ignored.
    assertThat(allocated.clusterIPs())
        .containsExactly(IpAddress.parse("10.96.12.34"), IpAddress.parse("fd00:96::1234"));

    NetworkDns requested =
        dnsOf(dnsNet("blue", dns(List.of("10.96.0.53"), null, null), List.of("10.96.12.34")));
    // A status that does not list the requested address: the controller could not claim it yet.
    assertThat(requested.requested()).containsExactly(IpAddress.parse("10.96.0.53"));
    assertThat(requested.clusterIPs()).isEmpty();

    NetworkDns confirmed =
        dnsOf(dnsNet("blue", dns(List.of("10.96.0.53"), null, null), List.of("10.96.0.53")));
    assertThat(confirmed.clusterIPs()).containsExactly(IpAddress.parse("10.96.0.53"));
  }

  @Test
  void dns_invalid_keepsTheNetworkValidWithAProblem() {
    String[][] cases = {
      {"10.97.0.53", null, null, "dns.clusterIPs: 10.97.0.53 (expected: inside serviceCIDRs"},
      {"10.96.0.53,10.96.0.54", null, null, "(expected: at most one per family)"},
      {"ten", null, null, "dns.clusterIPs: ten (expected: an IPv4 or IPv6 address)"},
      {null, "-bad-.local", null, "dns.clusterDomain: -bad-.local (expected: a DNS name"},
      {null, "a..b", null, "dns.clusterDomain: a..b"},
      {null, null, "192.0.2.1:0", "dns.upstreams: 192.0.2.1:0 (expected: IP, IP:port"},
      {null, null, "[2001:db8::1]x", "dns.upstreams: [2001:db8::1]x"},
      {null, null, "[2001:db8::1", "dns.upstreams: [2001:db8::1 "},
      {null, null, "dns.google", "dns.upstreams: dns.google"},
      {null, null, "192.0.2.1:70000", "dns.upstreams: 192.0.2.1:70000"},
    };
    for (String[] c : cases) {
      var d =
          dns(
              c[0] == null ? null : List.of(c[0].split(",")),
              c[1],
              c[2] == null ? null : List.of(c[2]));
      NetworkCatalog catalog =
          NetworkCatalog.build(List.of(dnsNet("blue", d, null)), List.of(), List.of());
      NetworkDefinition blue = catalog.byName("blue");
      assertThat(blue).as(java.util.Arrays.toString(c)).isNotNull();
      assertThat(blue.dns()).as(java.util.Arrays.toString(c)).isNull();
      assertThat(catalog.problems())
          .as(java.util.Arrays.toString(c))
          .singleElement()
          .satisfies(
              p -> {
                assertThat(p.reason()).isEqualTo("InvalidDNS");
                assertThat(p.kind()).isEqualTo("Network");
                assertThat(p.name()).isEqualTo("blue");
                assertThat(p.message()).contains(c[3]);
              });
    }
  }

  @Test
  void dns_networkWithoutServiceCidrs_hasNone() {
    var n = net("blue", 56, List.of(), List.of());
    n.getSpec().dns = dns(List.of("10.96.0.53"), null, null);
    NetworkCatalog catalog = NetworkCatalog.build(List.of(n), List.of(), List.of());
    assertThat(catalog.byName("blue").dns()).isNull();
    assertThat(catalog.problems()).isEmpty();
  }

  @Test
  void dns_invalidNetwork_reportsOnlyTheNetworkProblem() {
    var first = dnsNet("blue", null, null);
    var second = dnsNet("green", dns(List.of("10.97.0.1"), null, null), null); // blue's id
    NetworkCatalog catalog = NetworkCatalog.build(List.of(first, second), List.of(), List.of());
    assertThat(catalog.problems())
        .extracting(Problem::name, Problem::reason)
        .containsExactly(org.assertj.core.groups.Tuple.tuple("green", "InvalidNetwork"));
  }

  @Test
  void namespaces_invalidSelector_failsClosedWithAProblem() {
    var n = dnsNet("blue", null, null);
    n.getSpec().namespaceSelector =
        new LabelSelectorBuilder()
            .addNewMatchExpression()
            .withKey("tenant")
            .withOperator("Equals")
            .withValues("a")
            .endMatchExpression()
            .build();
    NetworkCatalog catalog = NetworkCatalog.build(List.of(n), List.of(), List.of());
    NetworkDefinition blue = catalog.byName("blue");
    assertThat(blue).isNotNull();
    assertThat(blue.namespaces().selectsAll()).isFalse();
    assertThat(blue.namespaces().admits(null)).isFalse();
    assertThat(blue.namespaces().matches(java.util.Map.of("tenant", "a"))).isFalse();
    assertThat(blue.namespaces().matches(java.util.Map.of())).isFalse();
    assertThat(catalog.problems())
        .singleElement()
        .satisfies(
            p -> {
              assertThat(p.reason()).isEqualTo("InvalidNamespaceSelector");
              assertThat(p.message()).contains("operator: Equals");
            });
  }

  @Test
  void namespaces_validSelectorOrNone() {
    var restricted = dnsNet("blue", null, null);
    restricted.getSpec().namespaceSelector =
        new LabelSelectorBuilder().withMatchLabels(java.util.Map.of("tenant", "a")).build();
    var open = net("red", 57, List.of("10.96.0.0/16"), List.of());
    NetworkCatalog catalog = NetworkCatalog.build(List.of(restricted, open), List.of(), List.of());
    assertThat(catalog.byName("blue").namespaces().matches(java.util.Map.of("tenant", "a")))
        .isTrue();
    assertThat(catalog.byName("blue").namespaces().matches(java.util.Map.of("tenant", "b")))
        .isFalse();
    assertThat(catalog.byName("red").namespaces()).isSameAs(NamespaceSelector.ALL);
    assertThat(catalog.problems()).isEmpty();
  }

  private static NetworkDns dnsOf(NetworkResource n) {
    NetworkCatalog catalog = NetworkCatalog.build(List.of(n), List.of(), List.of());
    assertThat(catalog.problems()).isEmpty();
    NetworkDns dns = catalog.byName(n.getMetadata().getName()).dns();
    assertThat(dns).isNotNull();
    return dns;
  }

  private static NetworkResource dnsNet(
      String name, NetworkResource.Dns dns, List<String> statusIps) {
    var n = net(name, 56, List.of("10.96.0.0/16", "fd00:96::/112"), List.of());
    n.getSpec().dns = dns;
    if (statusIps != null) {
      var status = new NetworkResource.Status();
      status.dns = new NetworkResource.DnsStatus();
      status.dns.clusterIPs = statusIps;
      n.setStatus(status);
    }
    return n;
  }

  private static NetworkResource.Dns dns(
      List<String> clusterIps, String domain, List<String> upstreams) {
    var d = new NetworkResource.Dns();
    d.clusterIPs = clusterIps;
    d.clusterDomain = domain;
    d.upstreams = upstreams;
    return d;
  }

  private static PodInterface iface(String name) {
    return new PodInterface(name, "net1", List.of(), false);
  }

  private static NetworkAttachmentDefinition nad(String ns, String name, String config) {
    var n = new NetworkAttachmentDefinition();
    n.getMetadata().setNamespace(ns);
    n.getMetadata().setName(name);
    var spec = new NetworkAttachmentDefinition.Spec();
    spec.config = config;
    n.setSpec(spec);
    return n;
  }

  private static NetworkResource net(
      String name, int id, List<String> serviceCidrs, List<String> attachments) {
    var n = new NetworkResource();
    n.getMetadata().setName(name);
    var spec = new NetworkResource.Spec();
    spec.id = id;
    spec.serviceCIDRs = serviceCidrs;
    spec.attachments = attachments;
    n.setSpec(spec);
    return n;
  }
}
