package io.multinet.kube.network;

import static org.assertj.core.api.Assertions.assertThat;

import io.multinet.kube.Problem;
import io.multinet.kube.attachment.PodInterface;
import io.multinet.kube.crd.CalicoNetworkResource;
import io.multinet.kube.crd.NetworkAttachmentDefinition;
import io.multinet.kube.crd.NetworkResource;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Ranges: blue 10.96.0.0/16 (services) and 10.1.0.0/16 (pods); Calico green 172.19.0.0/16. */
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
