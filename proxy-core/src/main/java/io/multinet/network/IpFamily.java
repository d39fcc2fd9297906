package io.multinet.network;

/** The address family of an address, CIDR or Service cluster IP. */
public enum IpFamily {
  IPV4(32),
  IPV6(128);

  private final int bits;

  IpFamily(int bits) {
    this.bits = bits;
  }

  /** Address length in bits: the largest valid prefix length. */
  public int bits() {
    return bits;
  }
}
