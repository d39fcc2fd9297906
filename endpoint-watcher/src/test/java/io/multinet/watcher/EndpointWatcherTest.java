package io.multinet.watcher;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.multinet.kube.WellKnown;
import io.multinet.kube.crd.ClusterIPClaim;
import io.multinet.kube.crd.NetworkResource;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Against the mock API server in CRUD mode. Address ranges: see {@link TestCluster}. */
@EnableKubernetesMockClient(crud = true)
class EndpointWatcherTest {

  KubernetesClient client;
  private TestCluster cluster;
  private EndpointWatcher watcher;

  @BeforeEach
  void setUp() throws Exception {
    cluster = new TestCluster(client).crds().blueAndRed();
    watcher = new EndpointWatcher(client, Clock.systemUTC());
  }

  @AfterEach
  void tearDown() {
    watcher.close();
  }

  private void startLeading() throws InterruptedException {
    watcher.start();
    watcher.setLeading(true);
    assertThat(watcher.awaitIdle(Duration.ofSeconds(20), Duration.ofMillis(300))).isTrue();
  }

  @Test
  void reconcile_sameVipAndPodIpsInTwoNetworks_keepsThemApart() throws Exception {
    cluster.pod("blue-1", "web", "node-1", "default/blue-net", "10.1.0.11");
    cluster.pod("red-1", "web", "node-1", "default/red-net", "10.1.0.11");
    cluster.pod(
        "both", "web", "node-2", "default/blue-net", "10.1.0.12", "default/red-net", "10.1.0.13");
    cluster.service("web-blue", "blue", "web", 80, 8080);
    cluster.service("web-red", "red", "web", 80, 8080);

    startLeading();

    assertThat(cluster.endpoints("web-blue"))
        .containsExactly("10.1.0.11:8080 ready blue", "10.1.0.12:8080 ready blue");
    assertThat(cluster.endpoints("web-red"))
        .containsExactly("10.1.0.11:8080 ready red", "10.1.0.13:8080 ready red");
    Service blue = client.services().inNamespace("default").withName("web-blue").get();
    Service red = client.services().inNamespace("default").withName("web-red").get();
    assertThat(cluster.annotation(blue, WellKnown.CLUSTER_IPS_ANNOTATION)).startsWith("10.96.");
    assertThat(cluster.annotation(red, WellKnown.CLUSTER_IPS_ANNOTATION)).startsWith("10.96.");
    assertThat(cluster.serviceClaims()).hasSize(2);
    // The interface each address was found on travels with the slice.
    assertThat(cluster.slices("web-blue").getFirst().getMetadata().getAnnotations())
        .containsEntry("multinet.io/interfaces", "{\"10.1.0.11\":\"net1\",\"10.1.0.12\":\"net1\"}");
  }

  @Test
  void reconcile_unchangedView_writesNothingMore() throws Exception {
    cluster.pod("blue-1", "web", "node-1", "default/blue-net", "10.1.0.11");
    cluster.service("web-blue", "blue", "web", 80, 8080);
    startLeading();
    long before = watcher.writes();

    // A label that changes nothing the slices show.
    client
        .pods()
        .inNamespace("default")
        .withName("blue-1")
        .edit(
            p -> {
              p.getMetadata().getLabels().put("unrelated", "x");
              return p;
            });
    assertThat(watcher.awaitIdle(Duration.ofSeconds(10), Duration.ofMillis(300))).isTrue();

    assertThat(watcher.writes()).isEqualTo(before);
  }

  @Test
  void reconcile_podChanges_reachSlices() throws Exception {
    cluster.pod("blue-1", "web", "node-1", "default/blue-net", "10.1.0.11");
    cluster.service("web-blue", "blue", "web", 80, 8080);
    startLeading();

    cluster.pod("blue-2", "web", "node-2", "default/blue-net", "10.1.0.12");
    await()
        .atMost(Duration.ofSeconds(10))
        .untilAsserted(
            () ->
                assertThat(cluster.endpoints("web-blue"))
                    .containsExactly("10.1.0.11:8080 ready blue", "10.1.0.12:8080 ready blue"));

    client.pods().inNamespace("default").withName("blue-1").delete();
    await()
        .atMost(Duration.ofSeconds(10))
        .untilAsserted(
            () ->
                assertThat(cluster.endpoints("web-blue"))
                    .containsExactly("10.1.0.12:8080 ready blue"));
  }

  @Test
  void reconcile_terminatingPod_isServingButNotReady() throws Exception {
    Pod p = cluster.pod("blue-1", "web", "node-1", "default/blue-net", "10.1.0.11");
    client
        .pods()
        .inNamespace("default")
        .withName(p.getMetadata().getName())
        .edit(
            x -> {
              x.getMetadata().setFinalizers(List.of("multinet.io/test"));
              return x;
            });
    cluster.service("web-blue", "blue", "web", 80, 8080);
    startLeading();

    client
        .pods()
        .inNamespace("default")
        .withName("blue-1")
        .delete(); // finalizer keeps it terminating
    await()
        .atMost(Duration.ofSeconds(10))
        .untilAsserted(
            () -> {
              var e = cluster.slices("web-blue").getFirst().getEndpoints().getFirst();
              assertThat(e.getConditions().getTerminating()).isTrue();
              assertThat(e.getConditions().getServing()).isTrue();
              assertThat(e.getConditions().getReady()).isFalse();
            });
  }

  /**
   * Kubernetes' EndpointConditions: "serving ... the EndpointSlice controller will mark the
   * endpoint as serving if the pod's Ready condition is True"; "ready ... should be marked ready if
   * it is serving and not terminating, though this can be overridden ... when the associated
   * Service has set the publishNotReadyAddresses flag". So a not-ready pod behind such a Service is
   * ready but not serving. See
   * https://kubernetes.io/docs/concepts/services-networking/endpoint-slices/#conditions
   */
  @Test
  void reconcile_publishNotReadyAddresses_readyButNotServing() throws Exception {
    Pod p = cluster.pod("blue-1", "web", "node-1", "default/blue-net", "10.1.0.11");
    client
        .pods()
        .inNamespace("default")
        .withName(p.getMetadata().getName())
        .edit(
            x -> {
              x.getStatus().getConditions().getFirst().setStatus("False");
              return x;
            });
    cluster.service("web-blue", "blue", "web", 80, 8080);
    client
        .services()
        .inNamespace("default")
        .withName("web-blue")
        .edit(
            s -> {
              s.getSpec().setPublishNotReadyAddresses(true);
              return s;
            });
    startLeading();

    await()
        .atMost(Duration.ofSeconds(10))
        .untilAsserted(
            () -> {
              var e = cluster.slices("web-blue").getFirst().getEndpoints().getFirst();
              assertThat(e.getConditions().getReady()).isTrue();
              assertThat(e.getConditions().getServing()).isFalse();
              assertThat(e.getConditions().getTerminating()).isFalse();
            });
  }

  /**
   * Kubernetes' EndpointSlice controller names an endpoint after its pod's spec.hostname only when
   * the pod's spec.subdomain is the Service (the headless-Service DNS contract: {@code
   * <hostname>.<service>.<namespace>.svc}); the per-network DNS answers those names from here.
   */
  @Test
  void reconcile_podHostnameAndSubdomain_namesTheEndpoint() throws Exception {
    cluster.pod("db-0", "db", "node-1", "default/blue-net", "10.1.0.21");
    cluster.pod("db-1", "db", "node-1", "default/blue-net", "10.1.0.22");
    cluster.pod("db-2", "db", "node-1", "default/blue-net", "10.1.0.23");
    withHostname("db-0", "db-0", "db");
    withHostname("db-1", "db-1", "elsewhere"); // another Service's subdomain: no name here
    cluster.service("db", "blue", "db", 5432, 5432);
    startLeading();

    await()
        .atMost(Duration.ofSeconds(10))
        .untilAsserted(
            () -> {
              var byAddress = new java.util.TreeMap<String, String>();
              for (var slice : cluster.slices("db")) {
                for (var e : slice.getEndpoints()) {
                  byAddress.put(e.getAddresses().getFirst(), String.valueOf(e.getHostname()));
                }
              }
              assertThat(byAddress)
                  .containsExactly(
                      Map.entry("10.1.0.21", "db-0"),
                      Map.entry("10.1.0.22", "null"),
                      Map.entry("10.1.0.23", "null"));
            });

    // A hostname set later is a change of the endpoint's view, so the slice is rewritten.
    withHostname("db-2", "db-2", "db");
    await()
        .atMost(Duration.ofSeconds(10))
        .untilAsserted(
            () ->
                assertThat(cluster.slices("db").getFirst().getEndpoints())
                    .filteredOn(e -> e.getAddresses().getFirst().equals("10.1.0.23"))
                    .singleElement()
                    .satisfies(e -> assertThat(e.getHostname()).isEqualTo("db-2")));
  }

  private void withHostname(String pod, String hostname, String subdomain) {
    cluster.editPod(
        pod,
        p -> {
          p.getSpec().setHostname(hostname);
          p.getSpec().setSubdomain(subdomain);
          return p;
        });
  }

  @Test
  void reconcile_badInputs_getEventsAndMetricsWhileOthersWork() throws Exception {
    cluster.pod("good", "web", "node-1", "default/blue-net", "10.1.0.11");
    Pod bad = cluster.pod("bad", "web", "node-1", "default/blue-net", "10.1.0.12");
    client
        .pods()
        .inNamespace("default")
        .withName(bad.getMetadata().getName())
        .edit(
            x -> {
              x.getMetadata()
                  .getAnnotations()
                  .put("k8s.v1.cni.cncf.io/network-status", "[{\"name\": ");
              return x;
            });
    cluster.pod("outside", "web", "node-1", "default/blue-net", "10.2.0.1");
    cluster.service("web-blue", "blue", "web", 80, 8080);
    cluster.service("lost", "green", "web", 80, 8080);

    startLeading();

    assertThat(cluster.endpoints("web-blue")).containsExactly("10.1.0.11:8080 ready blue");
    assertThat(cluster.slices("lost")).isEmpty();
    assertThat(watcher.metrics().snapshot())
        .containsEntry("UnknownNetwork", 1L)
        .containsEntry("MalformedNetworkStatus", 1L)
        .containsEntry("EndpointOutsideNetwork", 1L);
    List<Event> events = client.v1().events().inNamespace("default").list().getItems();
    assertThat(events)
        .anySatisfy(
            e -> {
              assertThat(e.getInvolvedObject().getName()).isEqualTo("lost");
              assertThat(e.getType()).isEqualTo("Warning");
              assertThat(e.getReason()).isEqualTo("UnknownNetwork");
              assertThat(e.getMessage()).contains("green").contains("expected");
            })
        .anySatisfy(
            e -> {
              assertThat(e.getInvolvedObject().getName()).isEqualTo("bad");
              assertThat(e.getReason()).isEqualTo("MalformedNetworkStatus");
            });
  }

  @Test
  void reconcile_invalidNetwork_isReportedInStatusAndEvent() throws Exception {
    var n = new NetworkResource();
    n.getMetadata().setName("green");
    var spec = new NetworkResource.Spec();
    spec.id = 56; // blue has it
    spec.serviceCIDRs = List.of("10.97.0.0/16");
    n.setSpec(spec);
    client.resources(NetworkResource.class).resource(n).create();

    startLeading();

    await()
        .atMost(Duration.ofSeconds(10))
        .untilAsserted(
            () -> {
              NetworkResource green =
                  client.resources(NetworkResource.class).withName("green").get();
              assertThat(green.getStatus()).isNotNull();
              assertThat(green.getStatus().conditions)
                  .singleElement()
                  .satisfies(
                      c -> {
                        assertThat(c.getStatus()).isEqualTo("False");
                        assertThat(c.getMessage())
                            .isEqualTo("id: 56 (expected: unique across Networks; blue has it)");
                      });
              NetworkResource blue = client.resources(NetworkResource.class).withName("blue").get();
              assertThat(blue.getStatus().conditions.getFirst().getStatus()).isEqualTo("True");
            });
    assertThat(watcher.metrics().count("InvalidNetwork")).isEqualTo(1);
  }

  @Test
  void reconcile_serviceLeavesNetwork_removesSlicesAndFreesAddress() throws Exception {
    cluster.pod("blue-1", "web", "node-1", "default/blue-net", "10.1.0.11");
    cluster.service("web-blue", "blue", "web", 80, 8080);
    startLeading();
    assertThat(cluster.slices("web-blue")).hasSize(1);

    client.services().inNamespace("default").withName("web-blue").delete();

    await()
        .atMost(Duration.ofSeconds(10))
        .untilAsserted(
            () -> {
              assertThat(cluster.slices("web-blue")).isEmpty();
              assertThat(cluster.serviceClaims()).isEmpty();
            });
  }

  @Test
  void reconcile_requestedAddress_isKeptWhenFreeAndRefusedWhenTaken() throws Exception {
    Service a = cluster.service("a", "blue", "web", 80, 8080);
    requestClusterIps("a", "10.96.7.7");
    cluster.service("b", "blue", "web", 80, 8080);
    requestClusterIps("b", "10.96.7.7");
    cluster.service("c", "red", "web", 80, 8080);
    requestClusterIps("c", "10.96.7.7");
    cluster.service("d", "blue", "web", 80, 8080);
    requestClusterIps("d", "10.97.0.1");

    startLeading();

    // The same address in another network is a different address.
    assertThat(
            client
                .resources(ClusterIPClaim.class)
                .withName("blue.10.96.7.7")
                .get()
                .getSpec()
                .serviceName)
        .isEqualTo("a");
    assertThat(
            client
                .resources(ClusterIPClaim.class)
                .withName("red.10.96.7.7")
                .get()
                .getSpec()
                .serviceName)
        .isEqualTo("c");
    assertThat(watcher.metrics().snapshot())
        .containsEntry("ClusterIPAllocated", 1L)
        .containsEntry("ClusterIPOutOfRange", 1L);
    assertThat(cluster.serviceClaims()).hasSize(2);
    assertThat(a.getMetadata().getName()).isEqualTo("a");
    Map<String, String> events = new java.util.TreeMap<>();
    client
        .v1()
        .events()
        .inNamespace("default")
        .list()
        .getItems()
        .forEach(e -> events.put(e.getInvolvedObject().getName(), e.getReason()));
    assertThat(events)
        .containsEntry("b", "ClusterIPAllocated")
        .containsEntry("d", "ClusterIPOutOfRange");
  }

  @Test
  void reconcile_preferClose_hintsEachEndpointForItsNodesZone() throws Exception {
    for (String[] n : new String[][] {{"node-1", "zone-a"}, {"node-2", "zone-b"}}) {
      client
          .resource(
              new io.fabric8.kubernetes.api.model.NodeBuilder()
                  .withNewMetadata()
                  .withName(n[0])
                  .withLabels(Map.of("topology.kubernetes.io/zone", n[1]))
                  .endMetadata()
                  .build())
          .create();
    }
    cluster.pod("a", "web", "node-1", "default/blue-net", "10.1.0.11");
    cluster.pod("b", "web", "node-2", "default/blue-net", "10.1.0.12");
    Service svc = cluster.service("web", "blue", "web", 80, 8080);
    client
        .services()
        .inNamespace("default")
        .withName(svc.getMetadata().getName())
        .edit(
            s -> {
              s.getSpec().setTrafficDistribution("PreferClose");
              return s;
            });

    startLeading();

    await()
        .atMost(Duration.ofSeconds(10))
        .untilAsserted(
            () -> {
              var eps = cluster.slices("web").getFirst().getEndpoints();
              assertThat(eps)
                  .hasSize(2)
                  .allSatisfy(
                      e -> {
                        assertThat(e.getZone()).isNotNull();
                        assertThat(e.getHints().getForZones())
                            .singleElement()
                            .satisfies(z -> assertThat(z.getName()).isEqualTo(e.getZone()));
                      });
            });
  }

  @Test
  void reconcile_selectorlessServiceWithForeignAddress_isReported() throws Exception {
    client
        .resource(
            new io.fabric8.kubernetes.api.model.ServiceBuilder()
                .withNewMetadata()
                .withName("manual")
                .withNamespace("default")
                .withAnnotations(Map.of("multinet.io/network", "blue"))
                .endMetadata()
                .withNewSpec()
                .addNewPort()
                .withName("http")
                .withPort(80)
                .endPort()
                .endSpec()
                .build())
        .create();
    client
        .resource(
            new io.fabric8.kubernetes.api.model.discovery.v1.EndpointSliceBuilder()
                .withNewMetadata()
                .withName("manual-1")
                .withNamespace("default")
                .withLabels(Map.of("kubernetes.io/service-name", "manual"))
                .endMetadata()
                .withAddressType("IPv4")
                .addNewEndpoint()
                .withAddresses("10.1.0.5")
                .endEndpoint()
                .addNewEndpoint()
                .withAddresses("192.168.7.7")
                .endEndpoint() // another network's space
                .addNewPort()
                .withName("http")
                .withPort(80)
                .endPort()
                .build())
        .create();

    startLeading();

    assertThat(watcher.metrics().count("ForeignEndpointAddress")).isEqualTo(1);
    assertThat(client.v1().events().inNamespace("default").list().getItems())
        .anySatisfy(
            e -> {
              assertThat(e.getInvolvedObject().getKind()).isEqualTo("EndpointSlice");
              assertThat(e.getInvolvedObject().getName()).isEqualTo("manual-1");
              assertThat(e.getMessage()).contains("192.168.7.7").contains("podCIDRs");
            });
  }

  @Test
  void setLeading_false_writesNothing() throws Exception {
    cluster.pod("blue-1", "web", "node-1", "default/blue-net", "10.1.0.11");
    cluster.service("web-blue", "blue", "web", 80, 8080);
    watcher.start();
    // Nothing may appear for a while: a follower keeps its caches warm but writes nothing.
    await()
        .during(Duration.ofMillis(700))
        .atMost(Duration.ofSeconds(3))
        .until(() -> cluster.slices("web-blue").isEmpty() && watcher.writes() == 0);

    watcher.setLeading(true);
    await().atMost(Duration.ofSeconds(10)).until(() -> cluster.slices("web-blue").size() == 1);
    // Closing watches the mock server is still sending on stalls its event loop (fabric8 8.0.0's
    // WatchEventsListener), and then its shutdown times out: let the writes' events drain first.
    assertThat(watcher.awaitIdle(Duration.ofSeconds(20), Duration.ofMillis(300))).isTrue();
  }

  /** Writes the annotation that asks for {@code addresses} on Service default/{@code name}. */
  private void requestClusterIps(String name, String addresses) {
    client
        .services()
        .inNamespace("default")
        .withName(name)
        .edit(
            s -> {
              s.getMetadata().getAnnotations().put(WellKnown.CLUSTER_IPS_ANNOTATION, addresses);
              return s;
            });
  }
}
