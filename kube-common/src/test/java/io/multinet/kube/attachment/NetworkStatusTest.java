package io.multinet.kube.attachment;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.multinet.network.IpAddress;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.ObjectMapper;

/**
 * network-status parsing on real annotations: the fixtures under {@code fixtures/} are copied
 * unchanged from shared/fixtures (see its SOURCES.md). Addresses are whatever those projects used:
 * 10.244.0.0/16, 200.203.0.0/16 and 100.10.0.0/16 (OVN-Kubernetes docs), 10.1.1.0/24
 * (multus-service tests), 192.0.2.0/24 and 2001:db8::/32 (documentation ranges).
 */
class NetworkStatusTest {

  @Test
  void parse_ovnUserDefinedNetworkSample_readsEveryInterface() throws IOException {
    String json =
        resource(
            "fixtures/ovn-kubernetes/docs/features/user-defined-networks/user-defined-networks.md.d/L323-348_network-status-green.json");

    List<PodInterface> got = NetworkStatus.parse(NetworkStatus.ANNOTATION, json);

    assertThat(got).hasSize(3);
    assertThat(got.get(0))
        .isEqualTo(
            new PodInterface(
                "ovn-kubernetes", "eth0", List.of(IpAddress.parse("10.244.0.6")), false));
    assertThat(got.get(1).isDefault()).isTrue();
    assertThat(got.get(1).interfaceName()).isEqualTo("ovn-udn1");
    assertThat(got.get(2).attachment()).isEqualTo("green/green-secondary-network");
    assertThat(got.get(2).matches("green-secondary-network", "green")).isTrue();
    assertThat(got.get(2).matches("green-secondary-network", "blue")).isFalse();
  }

  @Test
  void parse_multusServiceTemplate_readsNamespacedName() throws IOException {
    JsonNode sample =
        samples("fixtures/multus-service/pkg/service-controller/utils_test.go.literals.json")
            .get(0);
    // The literal is a Go format template: %s is the namespace, %d the pod index.
    String value = sample.get("value").asString().replace("%s", "ns1").replace("%d", "7");

    List<PodInterface> got =
        NetworkStatus.fromAnnotations(Map.of(sample.get("annotation_key").asString(), value));

    assertThat(got)
        .singleElement()
        .satisfies(
            i -> {
              assertThat(i.attachment()).isEqualTo("ns1/testnet1");
              assertThat(i.interfaceName()).isEqualTo("net1");
              assertThat(i.addresses()).containsExactly(IpAddress.parse("10.1.1.7"));
              assertThat(i.matches("testnet1", "ns1")).isTrue();
            });
  }

  @Test
  void parse_prefixLengthsAndBothFamilies() {
    String json =
        "[{\"name\":\"ns-b/some-network\",\"interface\":\"eth1\",\"ips\":[\"192.0.2.2/24\",\"2001:db8::2234/32\"]}]";
    assertThat(NetworkStatus.parse("k", json).getFirst().addresses())
        .containsExactly(IpAddress.parse("192.0.2.2"), IpAddress.parse("2001:db8::2234"));
  }

  @Test
  void fromAnnotations_prefersCurrentKeyAndFallsBackToLegacy() {
    String current = "[{\"name\":\"a\",\"ips\":[\"10.1.0.1\"]}]";
    String legacy = "[{\"name\":\"b\",\"ips\":[\"10.1.0.2\"]}]";
    assertThat(
            NetworkStatus.fromAnnotations(
                    Map.of(
                        NetworkStatus.ANNOTATION, current, NetworkStatus.LEGACY_ANNOTATION, legacy))
                .getFirst()
                .attachment())
        .isEqualTo("a");
    assertThat(
            NetworkStatus.fromAnnotations(Map.of(NetworkStatus.LEGACY_ANNOTATION, legacy))
                .getFirst()
                .attachment())
        .isEqualTo("b");
    assertThat(NetworkStatus.fromAnnotations(Map.of())).isEmpty();
  }

  @Test
  void parse_entryWithoutIps_hasNoAddresses() {
    assertThat(
            NetworkStatus.parse("k", "[{\"name\":\"sriov\",\"interface\":\"net1\"}]")
                .getFirst()
                .addresses())
        .isEmpty();
  }

  @Test
  void parse_malformed_explainsWhere() {
    // The multi-net spec's own example has typographic quotes, which is not JSON.
    assertThatThrownBy(
            () ->
                NetworkStatus.parse(
                    "k", "[{\"name\": \"a\", \"default-route\": [\"192.0.2.1\u201d]}]"))
        .isInstanceOf(InvalidNetworkStatusException.class)
        .hasMessageStartingWith("k: malformed JSON at line 1");
    assertThatThrownBy(() -> NetworkStatus.parse("k", "{\"name\":\"a\"}"))
        .hasMessage("k: not a list (expected: a JSON list of maps)");
    assertThatThrownBy(() -> NetworkStatus.parse("k", "[{\"interface\":\"net1\"}]"))
        .hasMessage("k[0].name: missing (expected: a non-empty string)");
    assertThatThrownBy(
            () -> NetworkStatus.parse("k", "[{\"name\":\"a\",\"ips\":[\"10.1.0.300\"]}]"))
        .hasMessage("k[0].ips: 10.1.0.300 (expected: an IPv4 or IPv6 address)");
    assertThatThrownBy(() -> NetworkStatus.parse("k", "[{\"name\":\"a\",\"ips\":\"10.1.0.3\"}]"))
        .hasMessage("k[0].ips: not a list (expected: a list of IP strings)");
  }

  static String resource(String path) throws IOException {
    try (InputStream in = NetworkStatusTest.class.getClassLoader().getResourceAsStream(path)) {
      assertThat(in).as(path).isNotNull();
      return new String(in.readAllBytes(), StandardCharsets.UTF_8);
    }
  }

  private static JsonNode samples(String path) throws IOException {
    return new ObjectMapper().readTree(resource(path)).get("samples");
  }
}
