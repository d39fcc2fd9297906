package io.multinet.network;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** Test addresses: 10.0.0.0/8, 192.0.2.0/24 (TEST-NET-1) and 2001:db8::/32 (documentation). */
class IpAddressTest {

  @ParameterizedTest
  @CsvSource({
    "10.0.0.1, 10.0.0.1",
    "192.0.2.255, 192.0.2.255",
    "2001:db8::1, 2001:db8::1",
    "2001:DB8:0:0:1:0:0:1, 2001:db8::1:0:0:1",
    "2001:db8:0:0:0:0:2:1, 2001:db8::2:1",
    "::, ::",
    "::1, ::1",
    "fd00:96::, fd00:96::",
    "::ffff:10.0.0.1, 10.0.0.1"
  })
  void parse_roundTripsCanonicalText(String literal, String expected) {
    assertThat(IpAddress.parse(literal).toString()).isEqualTo(expected);
  }

  @Test
  void toString_ofACanonicalLiteral_isThatVeryString() {
    // Fresh instances, so sameness is not string-literal interning.
    String v4 = new String("10.1.2.3");
    String v6 = new String("2001:db8::2:1");
    String longV6 = new String("2001:db8:0:0:0:0:2:1");

    assertThat(IpAddress.parse(v4).toString()).isSameAs(v4);
    assertThat(IpAddress.parse(v6).toString()).isSameAs(v6);
    assertThat(IpAddress.parse(longV6).toString()).isEqualTo("2001:db8::2:1");
    // Equal addresses are equal whatever text they came with.
    assertThat(IpAddress.parse(v4)).isEqualTo(IpAddress.ofV4(0x0a010203));
    assertThat(IpAddress.ofV4(0x0a010203).toString()).isEqualTo(v4);
  }

  @Test
  void ofV4_isMappedIntoTheV6Space() {
    IpAddress a = IpAddress.parse("10.0.0.1");
    assertThat(a.isV4()).isTrue();
    assertThat(a.family()).isEqualTo(IpFamily.IPV4);
    assertThat(a.v4Bits()).isEqualTo(0x0a000001);
    assertThat(a).isEqualTo(IpAddress.ofV4(0x0a000001));
    assertThat(a.high()).isZero();
    assertThat(a.low()).isEqualTo(0x0000_FFFF_0A00_0001L);
  }

  @Test
  void toBytes_roundTripsBothFamilies() {
    for (String s : new String[] {"10.1.2.3", "2001:db8::abcd:1", "ff02::1"}) {
      IpAddress a = IpAddress.parse(s);
      assertThat(IpAddress.of(a.toBytes())).isEqualTo(a);
      assertThat(a.toInetAddress().getAddress()).isEqualTo(a.toBytes());
    }
  }

  @ParameterizedTest
  @ValueSource(
      strings = {
        "example.com",
        "10.0.0",
        "10.0.0.256",
        "",
        "2001:db8:::1",
        "010.0.0.1",
        "10.0.0.1.",
        "1.2.3.4.5"
      })
  void parse_rejectsNonLiterals(String text) {
    assertThatThrownBy(() -> IpAddress.parse(text))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("address: " + text + " (expected: an IPv4 or IPv6 literal)");
  }

  @Test
  void compareTo_ordersV4BeforeV6AndNumerically() {
    assertThat(IpAddress.parse("10.0.0.2")).isGreaterThan(IpAddress.parse("10.0.0.1"));
    assertThat(IpAddress.parse("10.0.0.1")).isLessThan(IpAddress.parse("2001:db8::1"));
    assertThat(IpAddress.parse("255.255.255.255")).isGreaterThan(IpAddress.parse("128.0.0.1"));
  }
}
