package io.multinet.network;

import static java.util.Objects.requireNonNull;

/**
 * An IPv4 or IPv6 prefix such as {@code 10.96.0.0/16}. Host bits must be zero, as Kubernetes
 * requires for service and pod CIDRs, so a typo never silently widens a range.
 */
public record Cidr(IpAddress address, int prefixLength) {

  public Cidr {
    requireNonNull(address, "address");
    int max = address.family().bits();
    if (prefixLength < 0 || prefixLength > max) {
      throw new IllegalArgumentException(
          "prefixLength: " + prefixLength + " (expected: 0-" + max + " for " + address + ")");
    }
    long[] masked = mask(address, prefixLength);
    if (masked[0] != address.high() || masked[1] != address.low()) {
      throw new IllegalArgumentException(
          "cidr: "
              + address
              + "/"
              + prefixLength
              + " (expected: no host bits set, i.e. "
              + IpAddress.of(masked[0], masked[1])
              + "/"
              + prefixLength
              + ")");
    }
  }

  /** Parses {@code "10.96.0.0/16"} or {@code "fd00:96::/112"}. */
  public static Cidr parse(String text) {
    requireNonNull(text, "text");
    int slash = text.indexOf('/');
    if (slash < 0) {
      throw new IllegalArgumentException("cidr: " + text + " (expected: address/prefixLength)");
    }
    int prefix;
    try {
      prefix = Integer.parseInt(text.substring(slash + 1));
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(
          "cidr: " + text + " (expected: a decimal prefix length after '/')", e);
    }
    return new Cidr(IpAddress.parse(text.substring(0, slash)), prefix);
  }

  public IpFamily family() {
    return address.family();
  }

  public boolean contains(IpAddress candidate) {
    requireNonNull(candidate, "candidate");
    if (candidate.family() != family()) {
      return false;
    }
    long[] masked = mask(candidate, prefixLength);
    return masked[0] == address.high() && masked[1] == address.low();
  }

  /** Whether this prefix and {@code other} share any address. */
  public boolean overlaps(Cidr other) {
    requireNonNull(other, "other");
    return prefixLength <= other.prefixLength ? contains(other.address) : other.contains(address);
  }

  private static long[] mask(IpAddress a, int prefixLength) {
    // IPv4 prefixes apply to the low 32 bits of the mapped form.
    int bits = a.isV4() ? 96 + prefixLength : prefixLength;
    long highMask = bits >= 64 ? -1L : bits == 0 ? 0L : -1L << (64 - bits);
    long lowMask = bits <= 64 ? 0L : bits == 128 ? -1L : -1L << (128 - bits);
    return new long[] {a.high() & highMask, a.low() & lowMask};
  }

  @Override
  public String toString() {
    return address + "/" + prefixLength;
  }
}
