package io.multinet.table;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.multinet.network.IpAddress;
import io.multinet.service.Endpoint;
import java.util.ArrayList;
import java.util.List;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.Test;

/**
 * Maglev's documented guarantees, as properties over random backend sets. Backends are drawn from
 * 10.0.0.0/8 with random ports, so sets differ from try to try.
 */
class MaglevTest {

  @Test
  void tableSize_isALadderPrimeOfAtLeast100PerBackend() {
    for (int m : Maglev.ladder()) {
      assertThat(isPrime(m)).as("%d is prime", m).isTrue();
    }
    assertThat(Maglev.tableSize(1)).isEqualTo(16381);
    assertThat(Maglev.tableSize(163)).isEqualTo(16381);
    assertThat(Maglev.tableSize(164)).isEqualTo(32749);
    assertThat(Maglev.tableSize(655)).isEqualTo(65521);
    assertThat(Maglev.tableSize(6553)).isEqualTo(Maglev.MAX_TABLE_SIZE);
    assertThat(Maglev.tableSize(60000)).isEqualTo(Maglev.MAX_TABLE_SIZE);
    assertThatThrownBy(() -> Maglev.tableSize(0)).hasMessage("backends: 0 (expected: 1-65536)");
    assertThatThrownBy(() -> Maglev.build(backends(3, 1), 1000))
        .hasMessageStartingWith("tableSize: 1000 (expected: one of [16381, 32749,");
  }

  @Test
  void tableSize_withPrevious_keepsALargerRungUpTo4x() {
    assertThat(Maglev.tableSize(10, 32749)).isEqualTo(32749);
    assertThat(Maglev.tableSize(10, 65521)).isEqualTo(65521);
    assertThat(Maglev.tableSize(10, 131071)).isEqualTo(16381); // more than two rungs above
    assertThat(Maglev.tableSize(164, 16381)).isEqualTo(32749); // too small now
    assertThat(Maglev.tableSize(10, 0)).isEqualTo(16381);
  }

  /** Population is round-robin, so shares differ by at most one entry. */
  @Property(tries = 100)
  void build_sharesDifferByAtMostOne(
      @ForAll @IntRange(min = 1, max = 700) int n,
      @ForAll @IntRange(min = 0, max = 1 << 20) int seed) {
    List<Endpoint> b = backends(n, seed);
    char[] table = Maglev.build(b);
    int[] counts = new int[n];
    for (char c : table) {
      counts[c]++;
    }
    int floor = table.length / n;
    for (int c : counts) {
      assertThat(c).isBetween(floor, floor + 1);
    }
  }

  /**
   * Removing one of N backends moves at most 1/N + DISRUPTION_SLACK of the table. The bound is
   * statistical (the largest collateral seen while choosing it was 3%), so the seed is fixed: the
   * same 300 random sets every run, and a change that worsens disruption fails reproducibly.
   */
  @Property(tries = 300, seed = "20261123")
  void build_removingOneBackend_movesAtMostItsShareAndSlack(
      @ForAll @IntRange(min = 2, max = 500) int n,
      @ForAll @IntRange(min = 0, max = 1 << 20) int seed,
      @ForAll @IntRange(min = 0, max = 499) int victimIndex) {
    List<Endpoint> before = backends(n, seed);
    int victim = victimIndex % n;
    List<Endpoint> after = new ArrayList<>(before);
    after.remove(victim);
    int m = Maglev.tableSize(n);
    char[] t1 = Maglev.build(before, m);
    char[] t2 = Maglev.build(after, Maglev.tableSize(n - 1, m));
    assertThat(t2).hasSize(m);

    int moved = 0;
    for (int i = 0; i < m; i++) {
      if (!before.get(t1[i]).equals(after.get(t2[i]))) {
        moved++;
      }
    }
    double bound = 1.0 / n + Maglev.DISRUPTION_SLACK;
    assertThat((double) moved / m).as("moved share for n=%d", n).isLessThanOrEqualTo(bound);
  }

  @Property(tries = 100)
  void build_isDeterministicAndOrderSensitiveOnlyThroughIndices(
      @ForAll @IntRange(min = 1, max = 50) int n,
      @ForAll @IntRange(min = 0, max = 1 << 20) int seed) {
    List<Endpoint> b = backends(n, seed);
    assertThat(Maglev.build(b)).isEqualTo(Maglev.build(List.copyOf(b)));
  }

  static List<Endpoint> backends(int n, int seed) {
    var out = new ArrayList<Endpoint>(n);
    var rnd = new java.util.SplittableRandom(seed);
    var seen = new java.util.HashSet<String>();
    while (out.size() < n) {
      int addr = 0x0A000000 | rnd.nextInt(1 << 24);
      int port = 1 + rnd.nextInt(65535);
      Endpoint e = Endpoint.builder(IpAddress.ofV4(addr), port).build();
      if (seen.add(e.hostPort())) {
        out.add(e);
      }
    }
    out.sort(null);
    return out;
  }

  private static boolean isPrime(int v) {
    for (int d = 2; (long) d * d <= v; d++) {
      if (v % d == 0) {
        return false;
      }
    }
    return v > 1;
  }
}
