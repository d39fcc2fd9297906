package io.multinet.table;

import static io.multinet.table.TestTables.NODE;
import static io.multinet.table.TestTables.port;
import static io.multinet.table.TestTables.twoNetworks;
import static org.assertj.core.api.Assertions.assertThat;

import io.multinet.network.IpAddress;
import io.multinet.network.Protocol;
import io.multinet.service.Endpoint;
import io.multinet.service.LoadBalancing;
import io.multinet.service.ServicePort;
import io.multinet.service.ServicePortKey;
import io.multinet.service.ServicePortName;
import io.multinet.service.ServicePortPolicy;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;

/**
 * {@link ServiceTable#patch} against tables built from scratch. Address ranges: {@link TestTables}
 * (networks blue 56 and red 57 share 10.96.0.0/16 and pods 10.1.0.0/16; the default network uses
 * 172.30.0.0/16 and pods 10.0.0.0/16; external addresses 203.0.113.0/24); a few endpoints come from
 * 192.0.2.0/24 (TEST-NET-1), outside every pod range, so that the table drops and reports them.
 */
class ServiceTablePatchTest {

  private static final int[] NETWORKS = {0, 56, 57};

  /**
   * Services keyed by name, each a list of ports, changed at random: endpoints move, ports come and
   * go, external addresses appear (from a small pool, so they sometimes clash), Services go away.
   * After each step the table patched from the previous one (rebuilt from scratch in the order of
   * names when the patch reports a clash, as the node proxy does) equals the table built from
   * scratch over the same Services in the same order.
   */
  @Property(tries = 60)
  void patch_randomChanges_equalsTableBuiltFromScratch(@ForAll long seed) {
    var rnd = new SplittableRandom(seed);
    TreeMap<String, List<ServicePort>> services = new TreeMap<>();
    ServiceTable table = scratch(services, null);
    int steps = 1 + rnd.nextInt(40);
    for (int step = 0; step < steps; step++) {
      Map<String, List<ServicePort>> before = new HashMap<>();
      int changes = 1 + rnd.nextInt(rnd.nextInt(10) == 0 ? 60 : 4);
      for (int c = 0; c < changes; c++) {
        String name = "s" + rnd.nextInt(80);
        before.putIfAbsent(name, services.getOrDefault(name, List.of()));
        if (rnd.nextInt(6) == 0) {
          services.remove(name);
        } else {
          services.put(name, randomPorts(rnd, name));
        }
      }
      var patch = ServiceTable.patch(table);
      var changed = new TreeMap<>(before);
      changed.values().forEach(ports -> ports.forEach(patch::remove));
      changed.keySet().forEach(n -> services.getOrDefault(n, List.of()).forEach(patch::add));
      ServiceTable expected = scratch(services, table);
      ServiceTable next = patch.clashed() ? scratch(services, table) : patch.build();
      assertSameTable(next, expected);
      assertThat(ServiceTable.diff(table, next)).isEqualTo(ServiceTable.diff(table, expected));
      table = next;
    }
  }

  @Test
  void remove_everyPortOfAFullTable_leavesAnEmptyTableThatFindsNothing() {
    var b = twoNetworks();
    List<ServicePort> ports = new ArrayList<>();
    for (int i = 0; i < 2_000; i++) {
      ports.add(
          port("s" + i, i % 2 == 0 ? 56 : 57, "10.96." + (i >> 8) + "." + (i & 255), 80, 2, 8080));
    }
    ports.forEach(b::add);
    ServiceTable full = b.build();
    var patch = ServiceTable.patch(full);
    ports.forEach(p -> assertThat(patch.remove(p)).isTrue());
    ServiceTable empty = patch.build();

    assertThat(empty.size()).isZero();
    assertThat(empty.indexedKeys()).isZero();
    for (ServicePort p : ports) {
      assertThat(empty.lookup(p.key().networkId(), p.key().address(), Protocol.TCP, 80)).isNull();
      assertThat(full.entry(p.key())).isNotNull(); // the base is untouched
    }
    assertThat(ServiceTable.diff(full, empty).removed()).hasSize(2_000);
  }

  @Test
  void remove_halfTheKeysOfCollidingRuns_keepsTheOthersReachable() {
    var b = twoNetworks();
    List<ServicePort> ports = new ArrayList<>();
    for (int i = 0; i < 500; i++) {
      ports.add(port("s" + i, 56, "10.96.1." + (i % 250), 1 + i / 250, 1, 8080));
    }
    ports.forEach(b::add);
    var patch = ServiceTable.patch(b.build());
    var rnd = new SplittableRandom(7);
    List<ServicePort> kept = new ArrayList<>();
    for (ServicePort p : ports) {
      if (rnd.nextBoolean()) {
        patch.remove(p);
      } else {
        kept.add(p);
      }
    }
    ServiceTable t = patch.build();

    assertThat(t.size()).isEqualTo(kept.size());
    for (ServicePort p : kept) {
      ServiceEntry e = t.lookup(56, p.key().address(), Protocol.TCP, p.key().port());
      assertThat(e).isNotNull();
      assertThat(e.servicePort()).isEqualTo(p);
    }
  }

  @Test
  void remove_portRejectedForAClash_keepsTheWinnerAndDropsTheRejection() {
    ServicePort winner = port("a", 56, "10.96.0.1", 80, 2, 8080);
    ServicePort loser = port("b", 56, "10.96.0.1", 80, 3, 8080);
    var b = twoNetworks();
    b.add(winner);
    b.add(loser);
    ServiceTable before = b.build();
    assertThat(before.rejections()).hasSize(1);

    var patch = ServiceTable.patch(before);
    assertThat(patch.remove(loser)).isFalse();
    ServiceTable after = patch.build();

    assertThat(patch.clashed()).isFalse();
    assertThat(after.rejections()).isEmpty();
    assertThat(after.servicePort(winner.key())).isEqualTo(winner);
    assertThat(ServiceTable.diff(before, after).isEmpty()).isTrue();
  }

  @Test
  void remove_clashWinner_reportsClashedForTheLoserToBeReconsidered() {
    ServicePort winner = port("a", 56, "10.96.0.1", 80, 2, 8080);
    ServicePort loser = port("b", 56, "10.96.0.1", 80, 3, 8080);
    var b = twoNetworks();
    b.add(winner);
    b.add(loser);
    var patch = ServiceTable.patch(b.build());

    assertThat(patch.remove(winner)).isTrue();
    assertThat(patch.clashed()).isTrue();
  }

  @Test
  void add_clashingWithAnUnchangedPort_reportsClashed() {
    var b = twoNetworks();
    b.add(port("a", 56, "10.96.0.1", 80, 2, 8080));
    var patch = ServiceTable.patch(b.build());

    assertThat(patch.add(port("b", 56, "10.96.0.1", 80, 1, 8080))).isFalse();
    assertThat(patch.clashed()).isTrue();
  }

  @Test
  void patch_unchangedPortAddedAgain_keepsItsEntriesAndDiffsEmpty() {
    ServicePort p = port("a", 56, "10.96.0.1", 80, 4, 8080);
    var b = twoNetworks();
    b.add(p);
    b.add(port("b", 57, "10.96.0.1", 80, 4, 8080));
    ServiceTable before = b.build();
    var patch = ServiceTable.patch(before);
    patch.remove(p);
    patch.add(p);
    ServiceTable after = patch.build();

    assertThat(after.entry(p.key())).isSameAs(before.entry(p.key()));
    assertThat(ServiceTable.diff(before, after).isEmpty()).isTrue();
  }

  @Test
  void patch_lookupAfterPatches_findsTheNewBackendsAndTheOldTableTheOld() {
    ServicePort v1 = port("a", 56, "10.96.0.1", 80, 1, 8080);
    ServicePort v2 = port("a", 56, "10.96.0.1", 80, 1, 9090);
    var b = twoNetworks();
    b.add(v1);
    ServiceTable t1 = b.build();
    var patch = ServiceTable.patch(t1);
    patch.remove(v1);
    patch.add(v2);
    ServiceTable t2 = patch.build();

    IpAddress vip = IpAddress.parse("10.96.0.1");
    ServiceEntry now = t2.lookup(56, vip, Protocol.TCP, 80);
    ServiceEntry then = t1.lookup(56, vip, Protocol.TCP, 80);
    assertThat(now).isNotNull();
    assertThat(then).isNotNull();
    assertThat(now.backend(0).port()).isEqualTo(9090);
    assertThat(then.backend(0).port()).isEqualTo(8080);
    assertThat(ServiceTable.diff(t1, t2).changed()).containsExactly(v1.key());
  }

  private static List<ServicePort> randomPorts(SplittableRandom rnd, String name) {
    List<ServicePort> out = new ArrayList<>();
    int count = rnd.nextInt(4);
    for (int i = 0; i < count; i++) {
      int network = NETWORKS[rnd.nextInt(NETWORKS.length)];
      boolean defaultNetwork = network == 0;
      // A VIP of its own most of the time; one in 30 takes another Service's.
      int n = rnd.nextInt(30) == 0 ? rnd.nextInt(80) : Integer.parseInt(name.substring(1));
      String vip = (defaultNetwork ? "172.30.0." : "10.96.0.") + (n * 3 + i);
      String pods = defaultNetwork ? "10.0.0." : "10.1.0.";
      List<Endpoint> eps = new ArrayList<>();
      int endpoints = rnd.nextInt(5);
      for (int e = 0; e < endpoints; e++) {
        String address = rnd.nextInt(25) == 0 ? "192.0.2." + (1 + e) : pods + (1 + e);
        eps.add(
            Endpoint.builder(address, 8000 + rnd.nextInt(3))
                .node(rnd.nextBoolean() ? NODE.name() : "node-b")
                .conditions(rnd.nextInt(5) != 0, true, false)
                .build());
      }
      List<IpAddress> external = new ArrayList<>();
      if (rnd.nextInt(4) == 0) {
        // Its own address most of the time; one in ten anyone's.
        int a = rnd.nextInt(10) == 0 ? rnd.nextInt(240) : n * 3 + i;
        external.add(IpAddress.parse("203.0.113." + a));
      }
      var policy =
          ServicePortPolicy.DEFAULT.withLoadBalancing(
              rnd.nextBoolean() ? LoadBalancing.MAGLEV : LoadBalancing.RANDOM);
      out.add(
          new ServicePort(
              new ServicePortName("ns", name, "p" + i),
              ServicePortKey.of(network, vip, Protocol.TCP, 80 + rnd.nextInt(2)),
              policy,
              defaultNetwork && rnd.nextInt(5) == 0 ? 30_000 + n : 0,
              external,
              eps));
    }
    return out;
  }

  /** The table a full build makes: every Service's ports in the order of names (a TreeMap's). */
  private static ServiceTable scratch(
      Map<String, List<ServicePort>> services, @Nullable ServiceTable previous) {
    var b = twoNetworks().previous(previous);
    services.values().forEach(ports -> ports.forEach(b::add));
    return b.build();
  }

  private static void assertSameTable(ServiceTable actual, ServiceTable expected) {
    assertThat(actual.size()).isEqualTo(expected.size());
    assertThat(actual.indexedKeys()).isEqualTo(expected.indexedKeys());
    assertThat(actual.networks()).isEqualTo(expected.networks());
    assertThat(actual.rejections()).containsExactlyInAnyOrderElementsOf(expected.rejections());
    assertThat(actual.servicePorts()).containsExactlyInAnyOrderElementsOf(expected.servicePorts());
    expected.forEachPort(
        (sp, internal, external) -> {
          ServicePortKey k = sp.key();
          assertSameEntry(actual.entry(k), internal);
          assertSameEntry(actual.externalEntry(k), external);
          assertSameEntry(
              actual.lookup(k.networkId(), k.address(), k.protocol(), k.port()), internal);
          for (IpAddress a : sp.externalAddresses()) {
            assertSameEntry(
                actual.lookup(k.networkId(), a, k.protocol(), k.port()),
                expected.lookup(k.networkId(), a, k.protocol(), k.port()));
          }
        });
    // And nothing more: every key the actual table finds, the expected one finds.
    actual.forEachPort(
        (sp, internal, external) -> assertThat(expected.entry(sp.key())).isNotNull());
    for (int network : NETWORKS) {
      for (int i = 0; i < 256; i++) {
        for (String prefix : List.of("172.30.0.", "10.96.0.", "203.0.113.")) {
          for (int port = 80; port <= 81; port++) {
            IpAddress a = IpAddress.parse(prefix + i);
            assertSameEntry(
                actual.lookup(network, a, Protocol.TCP, port),
                expected.lookup(network, a, Protocol.TCP, port));
          }
        }
      }
    }
  }

  private static void assertSameEntry(@Nullable ServiceEntry actual, @Nullable ServiceEntry e) {
    if (e == null) {
      assertThat(actual).isNull();
      return;
    }
    assertThat(actual).isNotNull();
    assertThat(actual.servicePort()).isEqualTo(e.servicePort());
    assertThat(actual.isExternal()).isEqualTo(e.isExternal());
    assertThat(actual.backends()).isEqualTo(e.backends());
    assertThat(actual.hasAnyEndpoints()).isEqualTo(e.hasAnyEndpoints());
    assertThat(actual.maglevTableSize()).isEqualTo(e.maglevTableSize());
    assertThat(actual.sameAs(e)).isTrue();
  }
}
