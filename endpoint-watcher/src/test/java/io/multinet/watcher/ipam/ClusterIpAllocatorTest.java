package io.multinet.watcher.ipam;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.multinet.kube.crd.ClusterIPClaim;
import io.multinet.kube.network.NetworkDefinition;
import io.multinet.network.Cidr;
import io.multinet.network.IpAddress;
import io.multinet.network.Network;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;

/**
 * Allocation against the mock API server, whose refusal of duplicate names is what the design
 * relies on. Ranges: network tiny uses 10.98.0.0/26 (62 usable addresses) so that racing allocators
 * collide often; network dual uses 10.99.0.0/24 and fd00:99::/120.
 */
@EnableKubernetesMockClient(crud = true)
class ClusterIpAllocatorTest {

  private static final NetworkDefinition TINY = def("tiny", 3, "10.98.0.0/26");
  private static final NetworkDefinition DUAL = def("dual", 4, "10.99.0.0/24", "fd00:99::/120");

  KubernetesMockServer server;
  KubernetesClient client;

  @Test
  void ensure_twoControllersRacing_neverGiveOneAddressToTwoServices() throws Exception {
    List<Service> services = new ArrayList<>();
    for (int i = 0; i < 40; i++) {
      services.add(service("svc-" + i, null, null));
    }
    Map<String, IpAddress> first = new ConcurrentHashMap<>();
    Map<String, IpAddress> second = new ConcurrentHashMap<>();
    try (KubernetesClient c1 = server.createClient();
        KubernetesClient c2 = server.createClient()) {
      ExecutorService pool = Executors.newFixedThreadPool(2);
      var start = new CountDownLatch(1);
      List<Future<?>> done = new ArrayList<>();
      int seed = 0;
      for (var entry : List.of(Map.entry(c1, first), Map.entry(c2, second))) {
        var allocator =
            new ClusterIpAllocator(
                entry.getKey(),
                () -> entry.getKey().resources(ClusterIPClaim.class).list().getItems());
        List<Service> order = new ArrayList<>(services);
        Collections.shuffle(order, new Random(seed++));
        done.add(
            pool.submit(
                () -> {
                  start.await();
                  for (Service s : order) {
                    var r = allocator.ensure(s, TINY);
                    assertThat(r.problems()).isEmpty();
                    entry.getValue().put(s.getMetadata().getName(), r.addresses().getFirst());
                  }
                  return null;
                }));
      }
      start.countDown();
      for (Future<?> f : done) {
        f.get();
      }
      pool.shutdown();
    }
    // Both controllers agree on every Service's address, and no address serves two Services.
    assertThat(first).isEqualTo(second).hasSize(40);
    assertThat(new HashSet<>(first.values())).hasSize(40);
    List<ClusterIPClaim> claims = client.resources(ClusterIPClaim.class).list().getItems();
    assertThat(claims).hasSize(40);
    for (ClusterIPClaim c : claims) {
      assertThat(first.get(c.getSpec().serviceName)).hasToString(c.getSpec().address);
      assertThat(ClusterIpAllocator.inRange(TINY, IpAddress.parse(c.getSpec().address))).isTrue();
    }
  }

  @Test
  void ensure_claimLeftByACrash_isAdoptedNotLeaked() {
    Service s = service("web", null, null);
    var allocator =
        new ClusterIpAllocator(
            client, () -> client.resources(ClusterIPClaim.class).list().getItems());
    IpAddress firstTime = allocator.ensure(s, TINY).addresses().getFirst();
    // The controller died before writing the annotation; a new one starts from the same objects.
    var restarted =
        new ClusterIpAllocator(
            client, () -> client.resources(ClusterIPClaim.class).list().getItems());

    IpAddress again = restarted.ensure(s, TINY).addresses().getFirst();

    assertThat(again).isEqualTo(firstTime);
    assertThat(client.resources(ClusterIPClaim.class).list().getItems()).hasSize(1);
  }

  @Test
  void collectOrphans_deletesClaimsOfVanishedServices() {
    var allocator =
        new ClusterIpAllocator(
            client, () -> client.resources(ClusterIPClaim.class).list().getItems());
    Service kept = service("kept", null, null);
    Service gone = service("gone", null, null);
    allocator.ensure(kept, TINY);
    allocator.ensure(gone, TINY);

    assertThat(allocator.collectOrphans(new HashSet<>(List.of(kept.getMetadata().getUid()))))
        .isEqualTo(1);

    assertThat(client.resources(ClusterIPClaim.class).list().getItems())
        .singleElement()
        .satisfies(c -> assertThat(c.getSpec().serviceName).isEqualTo("kept"));
  }

  @Test
  void ensure_dualStackPolicies_followTheNetworksFamilies() {
    var allocator =
        new ClusterIpAllocator(
            client, () -> client.resources(ClusterIPClaim.class).list().getItems());

    var single = allocator.ensure(service("single", null, null), DUAL);
    var preferV6 = allocator.ensure(service("v6first", "PreferDualStack", "IPv6"), DUAL);
    var requireOnV4Only = allocator.ensure(service("require", "RequireDualStack", null), TINY);

    assertThat(single.addresses()).singleElement().satisfies(a -> assertThat(a.isV4()).isTrue());
    assertThat(preferV6.addresses()).hasSize(2);
    assertThat(preferV6.addresses().get(0).isV4()).isFalse();
    assertThat(preferV6.addresses().get(1).isV4()).isTrue();
    assertThat(requireOnV4Only.problems())
        .singleElement()
        .satisfies(
            p -> {
              assertThat(p.reason()).isEqualTo("ClusterIPFamilyUnavailable");
              assertThat(p.message()).contains("RequireDualStack");
            });
  }

  @Test
  void claimName_isInjectiveAndDnsSafe() {
    assertThat(ClusterIpAllocator.claimName("blue", IpAddress.parse("10.96.0.10")))
        .isEqualTo("blue.10.96.0.10");
    assertThat(ClusterIpAllocator.claimName("blue", IpAddress.parse("fd00:96::a")))
        .isEqualTo("blue.fd00-0096-0000-0000-0000-0000-0000-000a");
  }

  @Test
  void inRange_excludesNetworkAndBroadcastAddresses() {
    assertThat(ClusterIpAllocator.inRange(TINY, IpAddress.parse("10.98.0.0"))).isFalse();
    assertThat(ClusterIpAllocator.inRange(TINY, IpAddress.parse("10.98.0.1"))).isTrue();
    assertThat(ClusterIpAllocator.inRange(TINY, IpAddress.parse("10.98.0.62"))).isTrue();
    assertThat(ClusterIpAllocator.inRange(TINY, IpAddress.parse("10.98.0.63"))).isFalse();
    assertThat(ClusterIpAllocator.inRange(TINY, IpAddress.parse("10.98.0.64"))).isFalse();
  }

  private Service service(String name, String policy, String firstFamily) {
    var b =
        new ServiceBuilder()
            .withNewMetadata()
            .withName(name)
            .withNamespace("default")
            .endMetadata()
            .withNewSpec()
            .withIpFamilyPolicy(policy)
            .endSpec();
    if (firstFamily != null) {
      b.editSpec().withIpFamilies(firstFamily).endSpec();
    }
    return client.resource(b.build()).create();
  }

  private static NetworkDefinition def(String name, int id, String... cidrs) {
    List<Cidr> parsed = new ArrayList<>();
    for (String c : cidrs) {
      parsed.add(Cidr.parse(c));
    }
    return new NetworkDefinition(
        Network.of(name, id, parsed, List.of()),
        List.of(),
        List.of(),
        null,
        null,
        NetworkDefinition.MULTINET);
  }
}
