package io.multinet.nodeproxy.dns;

import static io.multinet.nodeproxy.dns.DnsFixtures.caches;
import static io.multinet.nodeproxy.dns.DnsFixtures.network;
import static io.multinet.nodeproxy.dns.DnsFixtures.service;
import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.LabelSelectorBuilder;
import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.Service;
import io.multinet.kube.crd.NetworkResource;
import io.multinet.nodeproxy.Caches;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * The records builder without sockets. Ranges: network blue (56) VIPs 10.96.0.0/16 (see {@link
 * DnsFixtures}).
 */
class DnsRecordsTest {

  private static final List<NetworkResource> BLUE = List.of(network("blue", 56));
  private static final DnsOptions OPTIONS = DnsOptions.defaults().withNodeUpstreams(List.of());

  private static List<Service> services(int n, String changedVip) {
    List<Service> out = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      String vip = i == 7 ? changedVip : "10.96." + (i / 250) + "." + (i % 250 + 1);
      out.add(service("demo", "svc-" + i, "blue", vip));
    }
    return out;
  }

  @Test
  @SuppressWarnings("ReferenceEquality") // sharing the very same shard objects is the point
  void update_ofOneChangedService_rebuildsOnlyItsNamesAndSharesEveryOtherShard() {
    var records = new DnsRecords(OPTIONS);
    DnsSnapshot first = records.update(caches(BLUE, services(500, "10.96.0.8"), List.of()), null);
    assertThat(records.rebuilt()).isEqualTo(500);
    Zone before = first.zone(56);

    DnsSnapshot second =
        records.update(caches(BLUE, services(500, "10.96.9.9"), List.of()), Set.of("demo/svc-7"));

    assertThat(records.rebuilt()).isEqualTo(1);
    Zone after = second.zone(56);
    int copied = 0;
    for (int i = 0; i < Zone.SHARDS; i++) {
      if (before.shards()[i] != after.shards()[i]) {
        copied++;
      }
    }
    // Its name (new address), its old and new reverse names and the new reverse name's parent
    // 9.96.10.in-addr.arpa (no other Service is in 10.96.9.0/24); its SRV name is unchanged.
    assertThat(copied).isBetween(1, 4);
    assertThat(after.lookup("9.96.10.in-addr.arpa")).isEqualTo(Entry.EMPTY);
    assertThat(after.lookup("svc-7.demo.svc.cluster.local")).isNotNull();
    assertThat(after.lookup("8.0.96.10.in-addr.arpa")).isNull();
    assertThat(after.lookup("9.9.96.10.in-addr.arpa")).isNotNull();
    assertThat(after.lookup("1.0.96.10.in-addr.arpa"))
        .as("an untouched Service's entry is the same object")
        .isSameAs(before.lookup("1.0.96.10.in-addr.arpa"));
    assertThat(after.serial).isGreaterThan(before.serial);
  }

  @Test
  void update_fullWithNothingChanged_recomputesEveryServiceButKeepsTheZone() {
    var records = new DnsRecords(OPTIONS);
    Caches caches = caches(BLUE, services(50, "10.96.0.8"), List.of());
    Zone before = records.update(caches, null).zone(56);

    Zone after = records.update(caches, null).zone(56);

    assertThat(records.rebuilt()).isEqualTo(50);
    assertThat(after).isSameAs(before);
  }

  @Test
  void update_serviceDeleted_removesItsNamesAndEmptyAncestors() {
    var records = new DnsRecords(OPTIONS);
    records.update(
        caches(BLUE, List.of(service("demo", "web", "blue", "10.96.0.10")), List.of()), null);

    Zone after = records.update(caches(BLUE, List.of(), List.of()), Set.of("demo/web")).zone(56);

    assertThat(after.lookup("web.demo.svc.cluster.local")).isNull();
    assertThat(after.lookup("_http._tcp.web.demo.svc.cluster.local")).isNull();
    assertThat(after.lookup("demo.svc.cluster.local")).isNull();
    assertThat(after.size()).isZero();
  }

  @Test
  void update_namespaceOutsideTheNetworksSelector_publishesNothing() {
    NetworkResource blue = network("blue", 56);
    blue.getSpec().namespaceSelector =
        new LabelSelectorBuilder().withMatchLabels(Map.of("tenant", "blue")).build();
    Namespace in = namespace("in", Map.of("tenant", "blue"));
    Namespace out = namespace("out", Map.of());
    var records = new DnsRecords(OPTIONS);

    Zone zone =
        records
            .update(
                Caches.of(
                    List.of(
                        service("in", "web", "blue", "10.96.0.10"),
                        service("out", "web", "blue", "10.96.0.11")),
                    List.of(),
                    List.of(in, out),
                    List.of(blue),
                    List.of(),
                    List.of(),
                    null),
                null)
            .zone(56);

    assertThat(zone.lookup("web.in.svc.cluster.local")).isNotNull();
    assertThat(zone.lookup("web.out.svc.cluster.local")).isNull();
    assertThat(zone.lookup("11.0.96.10.in-addr.arpa")).isNull();
  }

  @Test
  void update_networkWithItsOwnDomainAndUpstreams_usesThem() {
    NetworkResource blue = network("blue", 56, List.of("192.0.2.53:5353"));
    blue.getSpec().dns.clusterDomain = "Blue.Example.";
    var records = new DnsRecords(OPTIONS);

    DnsSnapshot s =
        records.update(
            caches(List.of(blue), List.of(service("demo", "web", "blue", "10.96.0.10")), List.of()),
            null);

    assertThat(s.clusterDomain(56)).isEqualTo("blue.example");
    Zone z = s.zone(56);
    assertThat(z.lookup("web.demo.svc.blue.example")).isNotNull();
    assertThat(z.ownUpstreams).isTrue();
    assertThat(z.upstreams).extracting(a -> a.getPort()).containsExactly(5353);
  }

  private static Namespace namespace(String name, Map<String, String> labels) {
    return new NamespaceBuilder()
        .withNewMetadata()
        .withName(name)
        .withLabels(labels)
        .endMetadata()
        .build();
  }
}
