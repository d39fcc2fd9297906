package io.multinet.table;

/** The mixing functions tables and flow hashes share; all allocation-free. */
final class Hashing {

  private Hashing() {}

  /** MurmurHash3's 64-bit finalizer: every input bit affects every output bit. */
  static long fmix64(long k) {
    k ^= k >>> 33;
    k *= 0xff51afd7ed558ccdL;
    k ^= k >>> 33;
    k *= 0xc4ceb9fe1a85ec53L;
    k ^= k >>> 33;
    return k;
  }

  /** Combines three words; distinct odd multipliers keep (a, b) and (b, a) apart. */
  static long mix(long a, long b, long c) {
    return fmix64(a * 0x9E3779B97F4A7C15L + fmix64(b * 0xC2B2AE3D27D4EB4FL + c));
  }

  /**
   * Maps a 32-bit hash uniformly onto {@code [0, n)} without division: the kernel's {@code
   * reciprocal_scale}, which nft's {@code jhash ... mod n} applies (Lemire's fast range).
   */
  static int range(int hash, int n) {
    return (int) (((hash & 0xFFFF_FFFFL) * n) >>> 32);
  }
}
