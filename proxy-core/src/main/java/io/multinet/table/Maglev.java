package io.multinet.table;

import static java.util.Objects.requireNonNull;

import io.multinet.service.Endpoint;
import java.util.Arrays;
import java.util.List;

/**
 * Maglev consistent hashing (Eisenbud et al., NSDI 2016, section 3.4).
 *
 * <p>Table size M: the smallest prime of a fixed ladder (16381, 32749, 65521, … 524287, roughly
 * doubling, then the cap) that is at least {@value #SLOTS_PER_BACKEND} times the backend count; the
 * paper gives M &gt; 100 N as the bound for about 1% difference between backends' shares.
 *
 * <ul>
 *   <li>Sizes come from a ladder, not from N itself, because a flow's slot depends on M: were M to
 *       follow N exactly, every backend change would remap every flow. When a shrinking service
 *       would drop a rung, {@link ServiceTable} keeps the larger size (up to two rungs, about 4×).
 *   <li>The floor is {@value #MIN_TABLE_SIZE} because collateral disruption grows as the table
 *       shrinks: measured over random backend sets, removing one of N backends moved up to 16% of a
 *       509-entry table beyond the removed share for N = 5, and at most 3% from 16381 entries on
 *       (MaglevTest checks {@code 1/N + }{@value #DISRUPTION_SLACK}).
 *   <li>Memory: entries are chars, so a table costs 2 bytes × M: 32 KiB for any service up to 163
 *       backends, 128 KiB at 655 backends, and at the cap of {@value #MAX_TABLE_SIZE} entries 1.25
 *       MiB, reached from 6553 backends on. Past the cap, shares still differ by at most one entry,
 *       so imbalance grows as {@code N / MAX_TABLE_SIZE}. Random selection needs no table, which is
 *       why it is the default: 10,000 Maglev services cost at least 320 MiB.
 * </ul>
 *
 * <p>Population fills the table round-robin, one preferred free slot per backend per turn, so every
 * backend gets {@code floor(M/N)} or {@code ceil(M/N)} entries. A backend's preference list depends
 * only on its own address and port and on M.
 */
public final class Maglev {

  /** Slots per backend before the cap: the paper's M &gt; 100 N. */
  public static final int SLOTS_PER_BACKEND = 100;

  /** The smallest table: below it, one removal moves too much beyond its own share. */
  public static final int MIN_TABLE_SIZE = 16_381;

  /** The largest table: a prime (also go-maglev's "BigM"). */
  public static final int MAX_TABLE_SIZE = 655_373;

  /** Table entries are chars, so a table indexes at most this many backends. */
  public static final int MAX_BACKENDS = 65_536;

  /** Documented bound on entries moved beyond the removed backend's own share. */
  public static final double DISRUPTION_SLACK = 0.04;

  /** Primes just below powers of two, then the cap. */
  private static final int[] SIZES = {
    MIN_TABLE_SIZE, 32749, 65521, 131071, 262139, 524287, MAX_TABLE_SIZE
  };

  private Maglev() {}

  /**
   * The smallest ladder prime &ge; 100 × {@code backends}: at least {@link #MIN_TABLE_SIZE}, at
   * most {@link #MAX_TABLE_SIZE}.
   */
  public static int tableSize(int backends) {
    checkBackends(backends);
    long want = (long) backends * SLOTS_PER_BACKEND;
    for (int size : SIZES) {
      if (size >= want) {
        return size;
      }
    }
    return MAX_TABLE_SIZE;
  }

  /**
   * The size to rebuild with when a service had a table of {@code previousSize}: kept while it
   * still holds 100 entries a backend and is at most two rungs (about 4×) above the minimum, so
   * shrinking services keep their flows where they were.
   */
  public static int tableSize(int backends, int previousSize) {
    int min = tableSize(backends);
    int minRung = rung(min);
    int prevRung = rung(previousSize);
    return prevRung >= minRung && prevRung <= minRung + 2 ? previousSize : min;
  }

  /** {@link #build(List, int)} at {@link #tableSize(int)}. */
  public static char[] build(List<Endpoint> backends) {
    return build(backends, tableSize(backends.size()));
  }

  /** Builds the lookup table: entry i is the index into {@code backends} that slot i maps to. */
  public static char[] build(List<Endpoint> backends, int m) {
    requireNonNull(backends, "backends");
    int n = backends.size();
    checkBackends(n);
    if (!isLadderSize(m)) {
      throw new IllegalArgumentException(
          "tableSize: " + m + " (expected: one of " + Arrays.toString(SIZES) + ")");
    }
    int[] offset = new int[n];
    int[] skip = new int[n];
    for (int i = 0; i < n; i++) {
      Endpoint e = backends.get(i);
      long id = Hashing.mix(e.address().high(), e.address().low(), e.port());
      offset[i] = (int) Long.remainderUnsigned(Hashing.fmix64(id ^ 0x6D61676C6576L), m);
      skip[i] = (int) Long.remainderUnsigned(Hashing.fmix64(id + 0x736B6970L), m - 1) + 1;
    }
    char[] table = new char[m];
    boolean[] taken = new boolean[m];
    long[] next = new long[n];
    int filled = 0;
    while (true) {
      for (int i = 0; i < n; i++) {
        int slot;
        do {
          // permutation[i][j] = (offset + j * skip) mod M; j only grows, so each slot is tried
          // once.
          slot = (int) ((offset[i] + next[i] * skip[i]) % m);
          next[i]++;
        } while (taken[slot]);
        taken[slot] = true;
        table[slot] = (char) i;
        if (++filled == m) {
          return table;
        }
      }
    }
  }

  static boolean isLadderSize(int m) {
    return rung(m) >= 0;
  }

  private static int rung(int m) {
    for (int i = 0; i < SIZES.length; i++) {
      if (SIZES[i] == m) {
        return i;
      }
    }
    return -1;
  }

  static int[] ladder() {
    return SIZES.clone();
  }

  private static void checkBackends(int backends) {
    if (backends < 1 || backends > MAX_BACKENDS) {
      throw new IllegalArgumentException(
          "backends: " + backends + " (expected: 1-" + MAX_BACKENDS + ")");
    }
  }
}
