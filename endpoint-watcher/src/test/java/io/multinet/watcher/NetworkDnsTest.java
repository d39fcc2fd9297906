package io.multinet.watcher;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.multinet.kube.WellKnown;
import io.multinet.kube.crd.ClusterIPClaim;
import io.multinet.kube.crd.NetworkResource;
import io.multinet.network.Cidr;
import io.multinet.network.IpAddress;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Networks' DNS addresses, claimed as Services' cluster IPs are. Address ranges: blue and red as in
 * {@link TestCluster} (10.96.0.0/16); network dual 10.96.0.0/16 and fd00:96::/112; blue moves to
 * 10.97.0.0/16 in one test.
 */
@EnableKubernetesMockClient(crud = true)
class NetworkDnsTest {

  private static final LeaderElection.Timing FAST =
      new LeaderElection.Timing(
          Duration.ofSeconds(2), Duration.ofMillis(1500), Duration.ofMillis(200));

  KubernetesMockServer server;
  KubernetesClient client;
  private TestCluster cluster;
  private final List<AutoCloseable> closing = new ArrayList<>();

  @BeforeEach
  void setUp() throws Exception {
    cluster = new TestCluster(client).crds().blueAndRed();
  }

  @AfterEach
  void tearDown() throws Exception {
    for (AutoCloseable c : closing.reversed()) {
      c.close();
    }
  }

  private EndpointWatcher leading(KubernetesClient c) throws InterruptedException {
    var w = new EndpointWatcher(c, Clock.systemUTC());
    closing.add(w);
    w.start();
    w.setLeading(true);
    assertThat(w.awaitIdle(Duration.ofSeconds(20), Duration.ofMillis(300))).isTrue();
    return w;
  }

  @Test
  void reconcile_noRequest_allocatesOneAddressPerFamilyIntoStatus() throws Exception {
    var dual = new NetworkResource();
    dual.getMetadata().setName("dual");
    var spec = new NetworkResource.Spec();
    spec.id = 58;
    spec.serviceCIDRs = List.of("10.96.0.0/16", "fd00:96::/112");
    dual.setSpec(spec);
    client.resources(NetworkResource.class).resource(dual).create();

    EndpointWatcher w = leading(client);

    List<String> ips = statusDns("dual");
    assertThat(ips).hasSize(2);
    assertThat(Cidr.parse("10.96.0.0/16").contains(IpAddress.parse(ips.get(0)))).isTrue();
    assertThat(Cidr.parse("fd00:96::/112").contains(IpAddress.parse(ips.get(1)))).isTrue();
    String uid =
        client.resources(NetworkResource.class).withName("dual").get().getMetadata().getUid();
    assertThat(cluster.dnsClaims().stream().filter(c -> c.getSpec().network.equals("dual")))
        .hasSize(2)
        .allSatisfy(
            c -> {
              assertThat(c.getSpec().networkUid).isEqualTo(uid);
              assertThat(c.getSpec().serviceName).isNull();
              assertThat(c.getMetadata().getOwnerReferences())
                  .singleElement()
                  .satisfies(o -> assertThat(o.getUid()).isEqualTo(uid));
              assertThat(ips).contains(c.getSpec().address);
            });
    // What the node proxy reads: the catalog built from the status.
    await()
        .atMost(Duration.ofSeconds(10))
        .untilAsserted(
            () ->
                assertThat(w.catalog().byName("dual").dns().clusterIPs())
                    .extracting(IpAddress::toString)
                    .isEqualTo(ips));
    // blue and red have theirs too, and no address is given twice in a network.
    assertThat(statusDns("blue")).hasSize(1);
    assertThat(statusDns("red")).hasSize(1);
    assertThat(cluster.dnsClaims()).hasSize(4);
    assertThat(
            client.resources(NetworkResource.class).withName("dual").get().getStatus().conditions)
        .singleElement()
        .satisfies(c -> assertThat(c.getStatus()).isEqualTo("True"));
  }

  @Test
  void reconcile_requestedAddress_isClaimedAndRefusedToAService() throws Exception {
    editNetwork("blue", n -> n.getSpec().dns = dns("10.96.0.53"));
    cluster.service("grabby", "blue", "web", 80, 8080);
    requestClusterIps("grabby", "10.96.0.53");

    EndpointWatcher w = leading(client);

    assertThat(statusDns("blue")).containsExactly("10.96.0.53");
    assertThat(client.resources(ClusterIPClaim.class).withName("blue.10.96.0.53").get().getSpec())
        .satisfies(s -> assertThat(s.heldByNetwork()).isTrue());
    assertThat(w.metrics().count("ClusterIPAllocated")).isEqualTo(1);
    assertThat(events("default"))
        .anySatisfy(
            e -> {
              assertThat(e.getInvolvedObject().getName()).isEqualTo("grabby");
              assertThat(e.getReason()).isEqualTo("ClusterIPAllocated");
              assertThat(e.getMessage()).contains("network blue's DNS service holds it");
            });
    assertThat(cluster.serviceClaims()).isEmpty();
    // An allocated Service address never lands on it either (blue's other Services).
    cluster.service("web", "blue", "web", 80, 8080);
    await()
        .atMost(Duration.ofSeconds(10))
        .untilAsserted(() -> assertThat(cluster.serviceClaims()).hasSize(1));
    assertThat(cluster.serviceClaims().getFirst().getSpec().address).isNotEqualTo("10.96.0.53");
  }

  @Test
  void reconcile_requestedAddressHeldByAService_staysTheServices() throws Exception {
    cluster.service("first", "blue", "web", 80, 8080);
    requestClusterIps("first", "10.96.0.53");
    EndpointWatcher w = leading(client);
    assertThat(client.resources(ClusterIPClaim.class).withName("blue.10.96.0.53").get().getSpec())
        .satisfies(s -> assertThat(s.serviceName).isEqualTo("first"));

    editNetwork("blue", n -> n.getSpec().dns = dns("10.96.0.53"));

    await()
        .atMost(Duration.ofSeconds(10))
        .untilAsserted(
            () -> {
              assertThat(statusDns("blue")).isEmpty();
              assertThat(events("default"))
                  .anySatisfy(
                      e -> {
                        assertThat(e.getInvolvedObject().getKind()).isEqualTo("Network");
                        assertThat(e.getInvolvedObject().getName()).isEqualTo("blue");
                        assertThat(e.getReason()).isEqualTo("ClusterIPAllocated");
                        assertThat(e.getMessage())
                            .isEqualTo(
                                "dns.clusterIPs: 10.96.0.53 (expected: a free address in network"
                                    + " blue; Service default/first holds it)");
                      });
            });
    assertThat(w.awaitIdle(Duration.ofSeconds(20), Duration.ofMillis(300))).isTrue();
    // The Service keeps it, the node proxy answers DNS on no address, blue's old one is released.
    assertThat(client.resources(ClusterIPClaim.class).withName("blue.10.96.0.53").get().getSpec())
        .satisfies(s -> assertThat(s.serviceName).isEqualTo("first"));
    assertThat(w.catalog().byName("blue").dns().clusterIPs()).isEmpty();
    assertThat(cluster.dnsClaims()).extracting(c -> c.getSpec().network).containsExactly("red");
  }

  @Test
  void reconcile_unusableRequestedAddress_isReportedOnTheNetwork() throws Exception {
    editNetwork("blue", n -> n.getSpec().dns = dns("10.96.0.0"));

    EndpointWatcher w = leading(client);

    assertThat(statusDns("blue")).isEmpty();
    assertThat(w.metrics().count("ClusterIPOutOfRange")).isEqualTo(1);
    assertThat(events("default"))
        .anySatisfy(
            e -> {
              assertThat(e.getInvolvedObject().getName()).isEqualTo("blue");
              assertThat(e.getMessage()).startsWith("dns.clusterIPs: 10.96.0.0 (expected:");
            });
  }

  @Test
  void reconcile_serviceCidrsChangeOrNetworkDeleted_releasesClaims() throws Exception {
    leading(client);
    String before = statusDns("blue").getFirst();

    editNetwork("blue", n -> n.getSpec().serviceCIDRs = List.of("10.97.0.0/16"));
    await()
        .atMost(Duration.ofSeconds(10))
        .untilAsserted(
            () -> {
              assertThat(statusDns("blue"))
                  .singleElement()
                  .satisfies(a -> assertThat(a).startsWith("10.97."));
              assertThat(blueClaims())
                  .singleElement()
                  .satisfies(c -> assertThat(c.getSpec().address).startsWith("10.97."));
            });
    assertThat(client.resources(ClusterIPClaim.class).withName("blue." + before).get()).isNull();

    editNetwork("blue", n -> n.getSpec().serviceCIDRs = List.of());
    await()
        .atMost(Duration.ofSeconds(10))
        .untilAsserted(
            () -> {
              assertThat(blueClaims()).isEmpty();
              assertThat(
                      client
                          .resources(NetworkResource.class)
                          .withName("blue")
                          .get()
                          .getStatus()
                          .dns)
                  .isNull();
            });

    client.resources(NetworkResource.class).withName("red").delete();
    await()
        .atMost(Duration.ofSeconds(10))
        .untilAsserted(() -> assertThat(cluster.dnsClaims()).isEmpty());
  }

  @Test
  void restart_withClaimsOrOnlyTheStatus_keepsTheAddress() throws Exception {
    KubernetesClient c1 = server.createClient();
    closing.add(c1);
    EndpointWatcher first = leading(c1);
    String blue = statusDns("blue").getFirst();
    long writes = first.writes();
    first.setLeading(false);

    // A new controller finds the claim: same address, nothing written.
    KubernetesClient c2 = server.createClient();
    closing.add(c2);
    EndpointWatcher second = leading(c2);
    assertThat(statusDns("blue")).containsExactly(blue);
    assertThat(second.writes()).isZero();
    assertThat(first.writes()).isEqualTo(writes);
    second.setLeading(false);

    // The claim is lost while no controller runs, and the status names an older address: that
    // one is claimed again, not a new one.
    deleteBlueClaims();
    setStatusDns("blue", "10.96.3.3");
    KubernetesClient c3 = server.createClient();
    closing.add(c3);
    EndpointWatcher third = leading(c3);
    assertThat(statusDns("blue")).containsExactly("10.96.3.3");
    assertThat(blueClaims())
        .singleElement()
        .satisfies(c -> assertThat(c.getSpec().address).isEqualTo("10.96.3.3"));
    third.setLeading(false);

    // The claim the Network holds wins over what its status says (a write lost in a crash).
    deleteBlueClaims();
    var claim = new ClusterIPClaim();
    claim.getMetadata().setName("blue.10.96.4.4");
    var spec = new ClusterIPClaim.Spec();
    spec.network = "blue";
    spec.address = "10.96.4.4";
    spec.holder = ClusterIPClaim.NETWORK_HOLDER;
    spec.networkUid =
        client.resources(NetworkResource.class).withName("blue").get().getMetadata().getUid();
    claim.setSpec(spec);
    client.resources(ClusterIPClaim.class).resource(claim).create();
    KubernetesClient c4 = server.createClient();
    closing.add(c4);
    leading(c4);
    assertThat(statusDns("blue")).containsExactly("10.96.4.4");
    assertThat(blueClaims())
        .singleElement()
        .satisfies(c -> assertThat(c.getSpec().address).isEqualTo("10.96.4.4"));
  }

  private void deleteBlueClaims() {
    for (ClusterIPClaim c : blueClaims()) {
      client.resources(ClusterIPClaim.class).withName(c.getMetadata().getName()).delete();
    }
    await().atMost(Duration.ofSeconds(10)).until(() -> blueClaims().isEmpty());
  }

  private void setStatusDns(String network, String... addresses) {
    NetworkResource n = client.resources(NetworkResource.class).withName(network).get();
    n.getStatus().dns.clusterIPs = List.of(addresses);
    client.resources(NetworkResource.class).resource(n).updateStatus();
    await()
        .atMost(Duration.ofSeconds(10))
        .until(() -> statusDns(network).equals(List.of(addresses)));
  }

  @Test
  void leaderFailover_keepsTheAddress() throws Exception {
    KubernetesClient c1 = server.createClient();
    KubernetesClient c2 = server.createClient();
    closing.add(c1);
    closing.add(c2);
    var w1 = new EndpointWatcher(c1, Clock.systemUTC());
    var w2 = new EndpointWatcher(c2, Clock.systemUTC());
    closing.add(w1);
    closing.add(w2);
    w1.start();
    w2.start();
    var e1 = new LeaderElection(c1, w1, "default", "replica-1", FAST);
    var e2 = new LeaderElection(c2, w2, "default", "replica-2", FAST);
    closing.add(e2);
    e1.start();
    await().atMost(Duration.ofSeconds(10)).until(w1::isLeading);
    e2.start();
    await().atMost(Duration.ofSeconds(10)).until(() -> statusDns("blue").size() == 1);
    String blue = statusDns("blue").getFirst();
    assertThat(w1.awaitIdle(Duration.ofSeconds(20), Duration.ofMillis(300))).isTrue();

    e1.close();
    await().atMost(Duration.ofSeconds(15)).until(w2::isLeading);
    assertThat(w2.awaitIdle(Duration.ofSeconds(20), Duration.ofMillis(300))).isTrue();

    assertThat(statusDns("blue")).containsExactly(blue);
    assertThat(blueClaims())
        .singleElement()
        .satisfies(c -> assertThat(c.getSpec().address).isEqualTo(blue));
  }

  private List<ClusterIPClaim> blueClaims() {
    return cluster.dnsClaims().stream().filter(c -> c.getSpec().network.equals("blue")).toList();
  }

  private List<String> statusDns(String network) {
    NetworkResource n = client.resources(NetworkResource.class).withName(network).get();
    return n.getStatus() == null || n.getStatus().dns == null
        ? List.of()
        : n.getStatus().dns.clusterIPs;
  }

  private List<Event> events(String namespace) {
    return client.v1().events().inNamespace(namespace).list().getItems();
  }

  private void editNetwork(String name, Consumer<NetworkResource> change) {
    client
        .resources(NetworkResource.class)
        .withName(name)
        .edit(
            n -> {
              change.accept(n);
              return n;
            });
  }

  private static NetworkResource.Dns dns(String... clusterIps) {
    var d = new NetworkResource.Dns();
    d.clusterIPs = List.of(clusterIps);
    return d;
  }

  private void requestClusterIps(String name, String addresses) {
    client
        .services()
        .inNamespace(TestCluster.NS)
        .withName(name)
        .edit(
            s -> {
              s.getMetadata().getAnnotations().put(WellKnown.CLUSTER_IPS_ANNOTATION, addresses);
              return s;
            });
  }
}
