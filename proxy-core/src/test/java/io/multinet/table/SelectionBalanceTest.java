package io.multinet.table;

import static org.assertj.core.api.Assertions.assertThat;

import io.multinet.network.IpAddress;
import io.multinet.service.Endpoint;
import io.multinet.service.LoadBalancing;
import io.multinet.service.ServicePort;
import io.multinet.service.ServicePortPolicy;
import java.util.HashMap;
import java.util.Map;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;

/**
 * Balance of backend choice over real flow hashes. Flows are clients 192.0.2.0/24 (TEST-NET-1) with
 * sequential source ports towards one VIP, hashed with {@link FlowHash}: the flows are fixed, so
 * the counts are reproducible. Bound: with 2,000 flows a backend, every backend's count is within
 * 15% of the mean (over 6 standard deviations of a binomial count for uniform hashes, so a failure
 * means the hash or the selection is skewed, not bad luck).
 */
class SelectionBalanceTest {

  static final int FLOWS_PER_BACKEND = 2_000;
  static final double BOUND = 0.15;

  @Property(tries = 40)
  void select_random_isBalanced(@ForAll @IntRange(min = 1, max = 64) int n) {
    assertBalanced(n, LoadBalancing.RANDOM);
  }

  @Property(tries = 40)
  void select_maglev_isBalanced(@ForAll @IntRange(min = 1, max = 64) int n) {
    assertBalanced(n, LoadBalancing.MAGLEV);
  }

  private static void assertBalanced(int n, LoadBalancing lb) {
    ServicePort sp =
        TestTables.port("web", 0, "172.30.0.10", 80, n, 8080)
            .withPolicy(ServicePortPolicy.DEFAULT.withLoadBalancing(lb));
    var b = TestTables.twoNetworks();
    assertThat(b.add(sp)).isTrue();
    ServiceEntry entry = b.build().entry(sp.key());
    assertThat(entry).isNotNull();

    Map<Endpoint, Integer> counts = new HashMap<>();
    int flows = n * FLOWS_PER_BACKEND;
    for (int f = 0; f < flows; f++) {
      IpAddress client = IpAddress.ofV4(0xC0000200 | (f & 0xFF));
      int hash = FlowHash.of(client, 1024 + (f >>> 8));
      Endpoint chosen = entry.select(hash);
      assertThat(chosen).isNotNull();
      counts.merge(chosen, 1, Integer::sum);
    }
    assertThat(counts).hasSize(n);
    for (int c : counts.values()) {
      assertThat(Math.abs(c - FLOWS_PER_BACKEND) / (double) FLOWS_PER_BACKEND)
          .isLessThanOrEqualTo(BOUND);
    }
  }
}
