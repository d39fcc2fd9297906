package io.multinet.watcher;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.LabelSelectorBuilder;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSliceBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.multinet.kube.WellKnown;
import io.multinet.kube.crd.NetworkResource;
import io.multinet.kube.testing.KubeObjects;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A Network's namespaceSelector decides which namespaces publish into it. Address ranges: network
 * tenants 10.96.0.0/16 (services) and 10.1.0.0/16 (pods), attachment tenants-net in any namespace;
 * blue as in {@link TestCluster}.
 */
@EnableKubernetesMockClient(crud = true)
class NamespaceAdmissionTest {

  KubernetesClient client;
  private TestCluster cluster;
  private EndpointWatcher watcher;

  @BeforeEach
  void setUp() throws Exception {
    cluster = new TestCluster(client).crds().blueAndRed();
    var n = new NetworkResource();
    n.getMetadata().setName("tenants");
    var spec = new NetworkResource.Spec();
    spec.id = 60;
    spec.serviceCIDRs = List.of("10.96.0.0/16");
    spec.podCIDRs = List.of("10.1.0.0/16");
    spec.attachments = List.of("tenants-net");
    spec.namespaceSelector =
        new LabelSelectorBuilder().withMatchLabels(Map.of("tenant", "a")).build();
    n.setSpec(spec);
    client.resources(NetworkResource.class).resource(n).create();
    namespace("tenant-a", "a");
    namespace("tenant-b", "b");
    for (String ns : List.of("tenant-a", "tenant-b")) {
      client
          .resource(
              KubeObjects.readyPod(
                  ns,
                  "web-1",
                  "web",
                  "node-1",
                  KubeObjects.networkStatus(
                      ns + "/tenants-net", "10.1.0.11", "default/blue-net", "10.1.0.21")))
          .create();
      client
          .resource(
              KubeObjects.service(
                  ns,
                  "web",
                  Map.of("multinet.io/network", "tenants"),
                  Map.of("app", "web"),
                  80,
                  8080))
          .create();
    }
    watcher = new EndpointWatcher(client, Clock.systemUTC());
  }

  @AfterEach
  void tearDown() {
    watcher.close();
  }

  @Test
  void reconcile_namespaceOutsideSelector_getsNothingAndAWarning() throws Exception {
    // A network without a selector admits tenant-b as before.
    client
        .resource(
            KubeObjects.service(
                "tenant-b",
                "open",
                Map.of("multinet.io/network", "blue"),
                Map.of("app", "web"),
                80,
                8080))
        .create();
    EndpointSlice manual = client.resource(handWritten("tenant-b", "manual-1", "manual")).create();

    watcher.start();
    watcher.setLeading(true);
    assertThat(watcher.awaitIdle(Duration.ofSeconds(20), Duration.ofMillis(300))).isTrue();

    assertThat(endpoints("tenant-a", "web")).containsExactly("10.1.0.11 tenants");
    assertThat(annotation("tenant-a", "web")).startsWith("10.96.");
    assertThat(endpoints("tenant-b", "web")).isEmpty();
    assertThat(annotation("tenant-b", "web")).isEmpty();
    assertThat(endpoints("tenant-b", "open")).containsExactly("10.1.0.21 blue");
    assertThat(cluster.serviceClaims())
        .extracting(c -> c.getSpec().serviceNamespace + "/" + c.getSpec().serviceName)
        .containsExactlyInAnyOrder("tenant-a/web", "tenant-b/open");
    assertThat(watcher.metrics().count("NamespaceNotAdmitted")).isEqualTo(2);
    List<Event> events = client.v1().events().inNamespace("tenant-b").list().getItems();
    assertThat(events)
        .anySatisfy(
            e -> {
              assertThat(e.getType()).isEqualTo("Warning");
              assertThat(e.getReason()).isEqualTo("NamespaceNotAdmitted");
              assertThat(e.getInvolvedObject().getKind()).isEqualTo("Service");
              assertThat(e.getInvolvedObject().getName()).isEqualTo("web");
              assertThat(e.getMessage())
                  .isEqualTo(
                      "namespace: tenant-b (expected: a namespace matching network tenants's"
                          + " namespaceSelector tenant=a)");
            })
        .anySatisfy(
            e -> {
              assertThat(e.getReason()).isEqualTo("NamespaceNotAdmitted");
              assertThat(e.getInvolvedObject().getKind()).isEqualTo("EndpointSlice");
              assertThat(e.getInvolvedObject().getName()).isEqualTo("manual-1");
            });
    assertThat(client.v1().events().inNamespace("tenant-a").list().getItems()).isEmpty();
    // The hand-written slice is the tenant's: left as it was.
    assertThat(
            client
                .discovery()
                .v1()
                .endpointSlices()
                .inNamespace("tenant-b")
                .withName("manual-1")
                .get()
                .getMetadata()
                .getResourceVersion())
        .isEqualTo(manual.getMetadata().getResourceVersion());
  }

  @Test
  void reconcile_namespaceRelabelledInThenOut_gainsThenLosesItsServices() throws Exception {
    watcher.start();
    watcher.setLeading(true);
    assertThat(watcher.awaitIdle(Duration.ofSeconds(20), Duration.ofMillis(300))).isTrue();
    assertThat(endpoints("tenant-b", "web")).isEmpty();

    relabel("tenant-b", "a");
    await()
        .atMost(Duration.ofSeconds(10))
        .untilAsserted(
            () -> {
              assertThat(endpoints("tenant-b", "web")).containsExactly("10.1.0.11 tenants");
              assertThat(annotation("tenant-b", "web")).startsWith("10.96.");
            });
    assertThat(endpoints("tenant-a", "web")).containsExactly("10.1.0.11 tenants");

    relabel("tenant-a", "c");
    await()
        .atMost(Duration.ofSeconds(10))
        .untilAsserted(
            () -> {
              assertThat(endpoints("tenant-a", "web")).isEmpty();
              assertThat(cluster.serviceClaims())
                  .extracting(c -> c.getSpec().serviceNamespace)
                  .containsExactly("tenant-b");
            });
    assertThat(endpoints("tenant-b", "web")).containsExactly("10.1.0.11 tenants");
    assertThat(client.v1().events().inNamespace("tenant-a").list().getItems())
        .anySatisfy(e -> assertThat(e.getReason()).isEqualTo("NamespaceNotAdmitted"));
  }

  private void namespace(String name, String tenant) {
    client
        .resource(
            new NamespaceBuilder()
                .withNewMetadata()
                .withName(name)
                .withLabels(Map.of("tenant", tenant))
                .endMetadata()
                .build())
        .create();
  }

  private void relabel(String name, String tenant) {
    client
        .namespaces()
        .withName(name)
        .edit(
            n -> {
              n.getMetadata().getLabels().put("tenant", tenant);
              return n;
            });
  }

  private static EndpointSlice handWritten(String ns, String name, String service) {
    return new EndpointSliceBuilder()
        .withNewMetadata()
        .withName(name)
        .withNamespace(ns)
        .withLabels(
            Map.of(WellKnown.SERVICE_NAME_LABEL, service, WellKnown.NETWORK_LABEL, "tenants"))
        .endMetadata()
        .withAddressType("IPv4")
        .addNewEndpoint()
        .withAddresses("10.1.0.5")
        .endEndpoint()
        .addNewPort()
        .withName("http")
        .withPort(80)
        .endPort()
        .build();
  }

  /** "address network" of the endpoints of our slices for the Service. */
  private List<String> endpoints(String ns, String service) {
    return client
        .discovery()
        .v1()
        .endpointSlices()
        .inNamespace(ns)
        .withLabel(WellKnown.SERVICE_NAME_LABEL, service)
        .withLabel(WellKnown.MANAGED_BY_LABEL, WellKnown.MANAGED_BY)
        .list()
        .getItems()
        .stream()
        .flatMap(
            s ->
                s.getEndpoints().stream()
                    .map(
                        e ->
                            e.getAddresses().getFirst()
                                + " "
                                + s.getMetadata().getLabels().get(WellKnown.NETWORK_LABEL)))
        .sorted()
        .toList();
  }

  private String annotation(String ns, String service) {
    return cluster.annotation(
        client.services().inNamespace(ns).withName(service).get(),
        WellKnown.CLUSTER_IPS_ANNOTATION);
  }
}
