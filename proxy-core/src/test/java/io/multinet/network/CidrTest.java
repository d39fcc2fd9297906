package io.multinet.network;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.Test;

/** Test ranges: 10.96.0.0/16 and 10.1.0.0/16 (IPv4), fd00:96::/112 and fd00:1::/64 (IPv6). */
class CidrTest {

  @Test
  void contains_v4() {
    Cidr c = Cidr.parse("10.96.0.0/16");
    assertThat(c.contains(IpAddress.parse("10.96.255.255"))).isTrue();
    assertThat(c.contains(IpAddress.parse("10.97.0.0"))).isFalse();
    assertThat(c.contains(IpAddress.parse("::ffff:10.96.0.1"))).isTrue();
    assertThat(c.contains(IpAddress.parse("fd00:96::1"))).isFalse();
  }

  @Test
  void contains_v6() {
    Cidr c = Cidr.parse("fd00:96::/112");
    assertThat(c.contains(IpAddress.parse("fd00:96::ffff"))).isTrue();
    assertThat(c.contains(IpAddress.parse("fd00:96::1:0"))).isFalse();
    assertThat(c.contains(IpAddress.parse("10.96.0.1"))).isFalse();
  }

  @Test
  void contains_edgePrefixes() {
    assertThat(Cidr.parse("0.0.0.0/0").contains(IpAddress.parse("203.0.113.9"))).isTrue();
    assertThat(Cidr.parse("0.0.0.0/0").contains(IpAddress.parse("2001:db8::1"))).isFalse();
    assertThat(Cidr.parse("::/0").contains(IpAddress.parse("2001:db8::1"))).isTrue();
    assertThat(Cidr.parse("10.0.0.1/32").contains(IpAddress.parse("10.0.0.1"))).isTrue();
    assertThat(Cidr.parse("fd00::1/128").contains(IpAddress.parse("fd00::2"))).isFalse();
    assertThat(Cidr.parse("fd00::/64").contains(IpAddress.parse("fd00::ffff:ffff:ffff:ffff")))
        .isTrue();
  }

  @Test
  void new_hostBitsSet_namesTheIntendedPrefix() {
    assertThatThrownBy(() -> Cidr.parse("10.96.0.1/16"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("cidr: 10.96.0.1/16 (expected: no host bits set, i.e. 10.96.0.0/16)");
  }

  @Test
  void new_prefixOutOfRange_fails() {
    assertThatThrownBy(() -> Cidr.parse("10.0.0.0/33"))
        .hasMessage("prefixLength: 33 (expected: 0-32 for 10.0.0.0)");
    assertThatThrownBy(() -> Cidr.parse("fd00::/129"))
        .hasMessage("prefixLength: 129 (expected: 0-128 for fd00::)");
    assertThatThrownBy(() -> Cidr.parse("10.0.0.0"))
        .hasMessageContaining("expected: address/prefixLength");
    assertThatThrownBy(() -> Cidr.parse("10.0.0.0/x"))
        .hasMessageContaining("decimal prefix length");
  }

  @Test
  void overlaps_isSymmetric() {
    Cidr wide = Cidr.parse("10.0.0.0/8");
    Cidr narrow = Cidr.parse("10.1.0.0/16");
    assertThat(wide.overlaps(narrow)).isTrue();
    assertThat(narrow.overlaps(wide)).isTrue();
    assertThat(narrow.overlaps(Cidr.parse("10.2.0.0/16"))).isFalse();
    assertThat(List.of(wide, narrow)).hasSize(2);
  }
}
