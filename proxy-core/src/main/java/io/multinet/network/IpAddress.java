package io.multinet.network;

import static java.util.Objects.requireNonNull;

import java.net.Inet4Address;
import java.net.InetAddress;
import java.net.UnknownHostException;
import org.jspecify.annotations.Nullable;

/**
 * An IPv4 or IPv6 address held as two longs, so that tables can store and compare addresses without
 * objects. IPv4 addresses are kept in their IPv4-mapped IPv6 form ({@code ::ffff:a.b.c.d}), which
 * gives both families one key space without collisions.
 */
public final class IpAddress implements Comparable<IpAddress> {

  /** The high 64 bits every IPv4-mapped address has: {@code ::ffff:0:0/96} with zeroes below. */
  static final long V4_MAPPED_HIGH = 0L;

  /** The low 64 bits of {@code ::ffff:0.0.0.0}. */
  static final long V4_MAPPED_LOW_PREFIX = 0x0000_FFFF_0000_0000L;

  private final long high;
  private final long low;

  /**
   * The literal this address was parsed from when it is exactly what {@link #toString()} writes:
   * returned instead of a new string, so the protos and text made from a parsed address share the
   * informer's string (100k fewer strings at 10k services). Free: the object stays 32 bytes.
   */
  private final @Nullable String text;

  private IpAddress(long high, long low) {
    this(high, low, null);
  }

  private IpAddress(long high, long low, @Nullable String text) {
    this.high = high;
    this.low = low;
    this.text = text;
  }

  /** An address from its 128 bits; an IPv4-mapped value is an IPv4 address. */
  public static IpAddress of(long high, long low) {
    return new IpAddress(high, low);
  }

  /** An IPv4 address from its 32 bits in network order ({@code 10.0.0.1} is {@code 0x0a000001}). */
  public static IpAddress ofV4(int bits) {
    return v4(bits, null);
  }

  private static IpAddress v4(int bits, @Nullable String text) {
    return new IpAddress(V4_MAPPED_HIGH, V4_MAPPED_LOW_PREFIX | (bits & 0xFFFF_FFFFL), text);
  }

  /** An address from 4 or 16 bytes in network order. */
  public static IpAddress of(byte[] bytes) {
    requireNonNull(bytes, "bytes");
    if (bytes.length == 4) {
      return ofV4(
          (bytes[0] & 0xFF) << 24
              | (bytes[1] & 0xFF) << 16
              | (bytes[2] & 0xFF) << 8
              | (bytes[3] & 0xFF));
    }
    if (bytes.length != 16) {
      throw new IllegalArgumentException("bytes: " + bytes.length + " (expected: 4 or 16)");
    }
    long high = 0;
    long low = 0;
    for (int i = 0; i < 8; i++) {
      high = high << 8 | (bytes[i] & 0xFF);
      low = low << 8 | (bytes[i + 8] & 0xFF);
    }
    return new IpAddress(high, low);
  }

  /**
   * Parses an IPv4 or IPv6 literal. Never resolves names: {@code "example.com"} is rejected, not
   * looked up.
   */
  public static IpAddress parse(String literal) {
    requireNonNull(literal, "literal");
    if (literal.indexOf(':') < 0) {
      return parseDottedQuad(literal);
    }
    try {
      IpAddress a = of(InetAddress.ofLiteral(literal).getAddress());
      return literal.equals(a.toString()) ? new IpAddress(a.high, a.low, literal) : a;
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(
          "address: " + literal + " (expected: an IPv4 or IPv6 literal)", e);
    }
  }

  // Strict: four decimal octets, no leading zeros (which some parsers read as octal), as
  // Kubernetes validates addresses.
  private static IpAddress parseDottedQuad(String literal) {
    int bits = 0;
    int octets = 0;
    int i = 0;
    int n = literal.length();
    while (i < n && octets < 4) {
      int start = i;
      int value = 0;
      while (i < n && i - start < 4 && literal.charAt(i) >= '0' && literal.charAt(i) <= '9') {
        value = value * 10 + (literal.charAt(i) - '0');
        i++;
      }
      int digits = i - start;
      if (digits == 0
          || digits > 3
          || value > 255
          || (digits > 1 && literal.charAt(start) == '0')) {
        break;
      }
      bits = bits << 8 | value;
      octets++;
      if (octets < 4) {
        if (i >= n || literal.charAt(i) != '.') {
          break;
        }
        i++;
      }
    }
    if (octets != 4 || i != n) {
      throw new IllegalArgumentException(
          "address: " + literal + " (expected: an IPv4 or IPv6 literal)");
    }
    // Strictly parsed, the literal is the canonical dotted quad.
    return v4(bits, literal);
  }

  public long high() {
    return high;
  }

  public long low() {
    return low;
  }

  public boolean isV4() {
    return high == V4_MAPPED_HIGH && (low & 0xFFFF_FFFF_0000_0000L) == V4_MAPPED_LOW_PREFIX;
  }

  public IpFamily family() {
    return isV4() ? IpFamily.IPV4 : IpFamily.IPV6;
  }

  /** The 32 bits of an IPv4 address. */
  public int v4Bits() {
    if (!isV4()) {
      throw new IllegalStateException("not an IPv4 address: " + this);
    }
    return (int) low;
  }

  /** 4 bytes for IPv4, 16 for IPv6, in network order. */
  public byte[] toBytes() {
    if (isV4()) {
      int v = (int) low;
      return new byte[] {(byte) (v >>> 24), (byte) (v >>> 16), (byte) (v >>> 8), (byte) v};
    }
    byte[] out = new byte[16];
    for (int i = 0; i < 8; i++) {
      out[i] = (byte) (high >>> (56 - 8 * i));
      out[i + 8] = (byte) (low >>> (56 - 8 * i));
    }
    return out;
  }

  public InetAddress toInetAddress() {
    try {
      return InetAddress.getByAddress(toBytes());
    } catch (UnknownHostException e) {
      throw new AssertionError("4 or 16 bytes are always accepted", e);
    }
  }

  @Override
  public int compareTo(IpAddress o) {
    int c = Long.compareUnsigned(high, o.high);
    return c != 0 ? c : Long.compareUnsigned(low, o.low);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof IpAddress a && a.high == high && a.low == low;
  }

  @Override
  public int hashCode() {
    return Long.hashCode(high * 31 + low);
  }

  /** Dotted quad for IPv4; RFC 5952 text (lower case, longest zero run compressed) for IPv6. */
  @Override
  public String toString() {
    if (text != null) {
      return text;
    }
    if (isV4()) {
      InetAddress a = toInetAddress();
      return ((Inet4Address) a).getHostAddress();
    }
    int[] groups = new int[8];
    for (int i = 0; i < 4; i++) {
      groups[i] = (int) (high >>> (48 - 16 * i)) & 0xFFFF;
      groups[i + 4] = (int) (low >>> (48 - 16 * i)) & 0xFFFF;
    }
    // RFC 5952 4.2: compress the longest run of two or more zero groups, the first on a tie.
    int bestStart = -1;
    int bestLen = 1;
    for (int i = 0; i < 8; ) {
      if (groups[i] != 0) {
        i++;
        continue;
      }
      int j = i;
      while (j < 8 && groups[j] == 0) {
        j++;
      }
      if (j - i > bestLen) {
        bestStart = i;
        bestLen = j - i;
      }
      i = j;
    }
    var sb = new StringBuilder(39);
    for (int i = 0; i < 8; i++) {
      if (i == bestStart) {
        sb.append("::");
        i += bestLen - 1;
        continue;
      }
      if (sb.length() > 0 && sb.charAt(sb.length() - 1) != ':') {
        sb.append(':');
      }
      sb.append(Integer.toHexString(groups[i]));
    }
    return sb.toString();
  }
}
