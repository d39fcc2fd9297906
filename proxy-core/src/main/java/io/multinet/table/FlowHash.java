package io.multinet.table;

import io.multinet.network.IpAddress;

/**
 * The flow hash backends are chosen by. Allocation-free, and the same on every node, so Maglev
 * sends a flow to the same backend wherever it lands.
 */
public final class FlowHash {

  private FlowHash() {}

  /** Hashes a connection's 5-tuple; the destination is the VIP the client addressed. */
  public static int of(
      long srcHigh,
      long srcLow,
      int srcPort,
      long dstHigh,
      long dstLow,
      int dstPort,
      int protocolNumber) {
    long ports = (long) srcPort << 32 | (long) dstPort << 8 | protocolNumber;
    long h = Hashing.mix(srcHigh ^ Long.rotateLeft(dstHigh, 17), srcLow, dstLow);
    return (int) Hashing.fmix64(h ^ ports * 0x9E3779B97F4A7C15L);
  }

  /** Hashes the client address alone: session affinity ClientIP keeps a client on one backend. */
  public static int ofClient(long srcHigh, long srcLow) {
    return (int) Hashing.mix(srcHigh, srcLow, 0x5EED);
  }

  /** {@link #of} for addresses held as objects (tests and tools; not the hot path). */
  public static int of(IpAddress src, int srcPort, IpAddress dst, int dstPort, int protocolNumber) {
    return of(src.high(), src.low(), srcPort, dst.high(), dst.low(), dstPort, protocolNumber);
  }
}
