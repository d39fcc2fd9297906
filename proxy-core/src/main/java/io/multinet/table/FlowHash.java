package io.multinet.table;

import io.multinet.network.IpAddress;
import java.nio.ByteOrder;

/**
 * The flow hash the kernel dataplane chooses Maglev slots by: nftables' {@code jhash ip saddr . tcp
 * sport mod M seed 0x5eed} ({@code ip6 saddr}, {@code udp sport}, {@code sctp sport} alike), which
 * the kernel's {@code nft_hash.c} evaluates as Bob Jenkins' lookup3 {@code jhash()} of {@code
 * include/linux/jhash.h} over the key's register bytes. {@link ServiceEntry#select} then scales the
 * hash onto the table as the kernel's {@code reciprocal_scale} does, so {@code
 * lookup(...).select(FlowHash.of(...))} is the backend the kernel picks for the flow's first
 * packet. Allocation-free.
 *
 * <p>The key, as nftables lays a concatenation out in 32-bit registers: the source address in
 * network order (4 bytes, or 16 for IPv6), then the source port in network order padded with two
 * zero bytes to its own register, {@code len} 8 or 20. KernelMaglevDifferentialTest checks this
 * against real rules. Only the client's address and port count: every node picks the same backend
 * for a flow, wherever it lands, and a client address behind one source port always gets one slot.
 */
public final class FlowHash {

  /** The seed the kernel's Maglev rules give {@code jhash}. */
  public static final int SEED = 0x5eed;

  private static final int INITVAL = 0xdeadbeef;

  // jhash reads whole 12-byte blocks as host-order words (get_unaligned_cpu32) but assembles its
  // tail bytes little-endian on every host.
  private static final boolean LITTLE_ENDIAN = ByteOrder.nativeOrder() == ByteOrder.LITTLE_ENDIAN;

  private FlowHash() {}

  /**
   * The kernel's hash of a flow from {@code srcPort} of the address ({@link IpAddress#high()},
   * {@link IpAddress#low()}; IPv4 in mapped form).
   */
  public static int of(long srcHigh, long srcLow, int srcPort) {
    int port = srcPort << 16; // bytes: port high, port low, 0, 0
    if (srcHigh == 0 && (srcLow >>> 32) == 0xFFFF) {
      int a = INITVAL + 8 + SEED;
      int b = a;
      int c = a;
      b += Integer.reverseBytes(port);
      a += Integer.reverseBytes((int) srcLow);
      return finalMix(a, b, c);
    }
    int a = INITVAL + 20 + SEED;
    int b = a;
    int c = a;
    a += block((int) (srcHigh >>> 32));
    b += block((int) srcHigh);
    c += block((int) (srcLow >>> 32));
    // __jhash_mix
    a -= c;
    a ^= Integer.rotateLeft(c, 4);
    c += b;
    b -= a;
    b ^= Integer.rotateLeft(a, 6);
    a += c;
    c -= b;
    c ^= Integer.rotateLeft(b, 8);
    b += a;
    a -= c;
    a ^= Integer.rotateLeft(c, 16);
    c += b;
    b -= a;
    b ^= Integer.rotateLeft(a, 19);
    a += c;
    c -= b;
    c ^= Integer.rotateLeft(b, 4);
    b += a;
    // the 8-byte tail
    b += Integer.reverseBytes(port);
    a += Integer.reverseBytes((int) srcLow);
    return finalMix(a, b, c);
  }

  /** {@link #of(long, long, int)} for an address object (tools and tests; not the hot path). */
  public static int of(IpAddress src, int srcPort) {
    return of(src.high(), src.low(), srcPort);
  }

  /** Four key bytes (network order in {@code bigEndian}) as jhash's block loop reads them. */
  private static int block(int bigEndian) {
    return LITTLE_ENDIAN ? Integer.reverseBytes(bigEndian) : bigEndian;
  }

  /** {@code __jhash_final}: the result is c. */
  private static int finalMix(int a, int b, int c) {
    c ^= b;
    c -= Integer.rotateLeft(b, 14);
    a ^= c;
    a -= Integer.rotateLeft(c, 11);
    b ^= a;
    b -= Integer.rotateLeft(a, 25);
    c ^= b;
    c -= Integer.rotateLeft(b, 16);
    a ^= c;
    a -= Integer.rotateLeft(c, 4);
    b ^= a;
    b -= Integer.rotateLeft(a, 14);
    c ^= b;
    c -= Integer.rotateLeft(b, 24);
    return c;
  }
}
