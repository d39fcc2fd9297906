package io.multinet.table;

import static org.assertj.core.api.Assertions.assertThat;

import io.multinet.network.IpAddress;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * Vectors read from the kernel (6.18, nft 1.0.6): connections from the source address and port
 * through {@code ct mark set jhash ip saddr . tcp sport mod 4294967295 seed 0x5eed} (ip6 alike),
 * the mark read back with {@code conntrack -L}. KernelMaglevDifferentialTest checks the same
 * against the dataplane's own rules with real traffic.
 */
class FlowHashTest {

  @ParameterizedTest
  @CsvSource({
    "10.9.0.7, 1, 2057395872",
    "10.9.0.7, 4242, 1927036867",
    "10.9.0.7, 40000, 2266493159",
    "10.9.0.7, 65535, 2748321901",
    "127.0.0.1, 1, 2235938372",
    "127.0.0.1, 65535, 379444243",
    "::1, 4242, 1055324052",
    "::1, 65535, 3010406631",
    "fd00:9::7, 1, 475513574",
    "fd00:9::7, 40000, 2348987781",
    "fd00:9::7, 4242, 68375072",
  })
  void of_matchesTheKernelsJhash(String src, int port, long mark) {
    int hash = FlowHash.of(IpAddress.parse(src), port);
    // reciprocal_scale(hash, 2^32 - 1), in long arithmetic: the modulus does not fit an int.
    assertThat(((hash & 0xFFFF_FFFFL) * 0xFFFF_FFFFL) >>> 32).isEqualTo(mark);
  }

  @ParameterizedTest
  @CsvSource({"10.9.0.7, 5353, 8780", "127.0.0.1, 5353, 13360"})
  void of_scaledOntoAMaglevTable_matchesTheKernelsSlot(String src, int port, int slot) {
    assertThat(Hashing.range(FlowHash.of(IpAddress.parse(src), port), 16_381)).isEqualTo(slot);
  }
}
