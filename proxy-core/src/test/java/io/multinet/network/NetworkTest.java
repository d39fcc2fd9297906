package io.multinet.network;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

/** Test ranges: blue and red both use 10.96.0.0/16 for services and 10.1.0.0/16 for pods. */
class NetworkTest {

  private static final List<Cidr> SVC =
      List.of(Cidr.parse("10.96.0.0/16"), Cidr.parse("fd00:96::/112"));
  private static final List<Cidr> PODS = List.of(Cidr.parse("10.1.0.0/16"));

  @Test
  void of_validNetwork_checksRanges() {
    Network blue = Network.of("blue", 56, SVC, PODS);
    assertThat(blue.isServiceAddress(IpAddress.parse("10.96.0.10"))).isTrue();
    assertThat(blue.isServiceAddress(IpAddress.parse("fd00:96::a"))).isTrue();
    assertThat(blue.isServiceAddress(IpAddress.parse("10.97.0.10"))).isFalse();
    assertThat(blue.isPodAddress(IpAddress.parse("10.1.3.4"))).isTrue();
    assertThat(blue.isPodAddress(IpAddress.parse("10.2.3.4"))).isFalse();
  }

  @Test
  void default_acceptsAnyAddress() {
    assertThat(Network.DEFAULT.isDefault()).isTrue();
    assertThat(Network.DEFAULT.isServiceAddress(IpAddress.parse("172.30.0.1"))).isTrue();
    assertThat(Network.DEFAULT.isPodAddress(IpAddress.parse("2001:db8::1"))).isTrue();
  }

  @Test
  void of_idOutOfRange_fails() {
    assertThatThrownBy(() -> Network.of("blue", 70000, SVC, PODS))
        .hasMessage("id: 70000 (expected: 1-65535)");
    assertThatThrownBy(() -> Network.of("blue", 0, SVC, PODS))
        .hasMessage("id: 0 (expected: 1-65535; 0 is reserved for the default network)");
    assertThatThrownBy(() -> Network.of("default", 3, SVC, PODS))
        .hasMessage("name: default with id 3 (expected: id 0; the default network is implicit)");
  }

  @Test
  void of_badName_fails() {
    assertThatThrownBy(() -> Network.of("Blue_Net", 1, SVC, PODS))
        .hasMessage("name: Blue_Net (expected: a DNS-1123 label, e.g. blue or tenant-a)");
  }

  @Test
  void of_overlappingRangesWithinOneNetwork_fails() {
    assertThatThrownBy(
            () ->
                Network.of(
                    "blue",
                    1,
                    List.of(Cidr.parse("10.96.0.0/16"), Cidr.parse("10.96.8.0/24")),
                    PODS))
        .hasMessage(
            "serviceCidrs: 10.96.0.0/16 and 10.96.8.0/24 overlap (expected: disjoint ranges within one network)");
  }

  @Test
  void protocol_parse_isCaseInsensitive() {
    assertThat(Protocol.parse("tcp")).isEqualTo(Protocol.TCP);
    assertThat(Protocol.parse("SCTP").number()).isEqualTo(132);
    assertThatThrownBy(() -> Protocol.parse("ICMP"))
        .hasMessage("protocol: ICMP (expected: TCP, UDP or SCTP)");
  }
}
