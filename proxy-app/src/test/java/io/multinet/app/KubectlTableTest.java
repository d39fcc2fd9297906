package io.multinet.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.EventBuilder;
import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.api.model.coordination.v1.LeaseBuilder;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSliceBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.multinet.apiserver.EmbeddedApiServer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The real kubectl 1.35's {@code get} against the embedded API server loaded with the demo
 * manifests prints the columns it prints against a real cluster: the server answers Tables.
 * Addresses: the demo's (10.1.0.0/16 pods, 10.96.0.0/16 and 10.43.0.0/16 services), and
 * 10.201.0.0/24, 10.1.7.0/24 for objects created here.
 */
class KubectlTableTest {

  @TempDir static Path home;
  static EmbeddedApiServer api;
  static KubernetesClient client;
  static Kubectl kubectl;

  @BeforeAll
  static void start() throws Exception {
    api = new EmbeddedApiServer();
    client = api.newClient();
    DemoCommand.load(client, Kubectl.repoRoot().resolve("examples/demo"));
    Path kubeconfig = home.resolve("kubeconfig");
    Files.writeString(kubeconfig, api.kubeconfig());
    kubectl = Kubectl.fetch(kubeconfig);
  }

  @AfterAll
  static void stop() {
    if (client != null) {
      client.close();
    }
    if (api != null) {
      api.close();
    }
  }

  /** The header's column names: kubectl separates columns by at least two spaces (or three). */
  private static List<String> header(Kubectl.Run run) {
    String first = run.out().lines().findFirst().orElse("");
    return Arrays.stream(first.trim().split("\\s{2,}")).toList();
  }

  /** The line of the row whose first cell (after NAMESPACE with -A) is {@code name}. */
  private static String row(Kubectl.Run run, String name) {
    return run.out()
        .lines()
        .filter(l -> Arrays.asList(l.trim().split("\\s+")).contains(name))
        .findFirst()
        .orElseThrow(() -> new AssertionError("no row " + name + " in\n" + run));
  }

  private static Kubectl.Run get(String... args) throws Exception {
    var run = kubectl.run(args);
    assertThat(run.exit()).as(run.toString()).isZero();
    return run;
  }

  @Test
  void getNetworks_printsTheCrdPrinterColumns() throws Exception {
    var network = new GenericKubernetesResource();
    network.setApiVersion("multinet.io/v1alpha1");
    network.setKind("Network");
    network.setMetadata(
        new io.fabric8.kubernetes.api.model.ObjectMetaBuilder().withName("table-net").build());
    network.setAdditionalProperty(
        "spec", Map.of("id", 4001, "serviceCIDRs", List.of("10.201.0.0/24")));
    var networks = client.genericKubernetesResources("multinet.io/v1alpha1", "Network");
    try {
      var created = networks.resource(network).create();
      created.setAdditionalProperty(
          "status",
          Map.of(
              "conditions",
              List.of(
                  Map.of("type", "Accepted", "status", "False"),
                  Map.of("type", "Ready", "status", "True"))));
      networks.resource(created).updateStatus();

      var run = get("get", "networks");

      assertThat(header(run)).containsExactly("NAME", "ID", "SERVICE CIDRS", "DNS", "READY");
      assertThat(row(run, "table-net")).contains("4001", "[\"10.201.0.0/24\"]", "True");
      assertThat(row(run, "blue")).contains("56", "[\"10.96.0.0/16\"]");
    } finally {
      networks.withName("table-net").delete();
    }
  }

  @Test
  void getPods_printsReadyStatusRestartsAge_wideAddsIpAndNode() throws Exception {
    var plain = get("get", "pods", "-n", "demo");
    var wide = get("get", "pods", "-n", "demo", "-o", "wide");

    assertThat(header(plain)).containsExactly("NAME", "READY", "STATUS", "RESTARTS", "AGE");
    assertThat(row(plain, "web-blue-1")).contains("Running").doesNotContain("node-1");
    assertThat(header(wide))
        .containsExactly(
            "NAME",
            "READY",
            "STATUS",
            "RESTARTS",
            "AGE",
            "IP",
            "NODE",
            "NOMINATED NODE",
            "READINESS GATES");
    assertThat(row(wide, "web-blue-1")).contains("10.244.0.11", "node-1", "<none>");
  }

  @Test
  void getServices_printsTypeClusterIpPorts_wideAddsSelector() throws Exception {
    var run = get("get", "svc", "-n", "demo");
    var wide = get("get", "svc", "-n", "demo", "-o", "wide");

    assertThat(header(run))
        .containsExactly("NAME", "TYPE", "CLUSTER-IP", "EXTERNAL-IP", "PORT(S)", "AGE");
    assertThat(row(run, "plain")).contains("ClusterIP", "10.43.0.20", "<none>", "80/TCP");
    assertThat(row(run, "plain-nodeport")).contains("NodePort", "80:30080/TCP");
    assertThat(header(wide)).last().isEqualTo("SELECTOR");
    assertThat(row(wide, "plain")).endsWith("app=web");
  }

  @Test
  void getEndpointSlices_printsAddressTypePortsEndpoints() throws Exception {
    var slices = client.discovery().v1().endpointSlices().inNamespace("demo");
    slices
        .resource(
            new EndpointSliceBuilder()
                .withNewMetadata()
                .withName("table-slice")
                .addToLabels("kubernetes.io/service-name", "web")
                .endMetadata()
                .withAddressType("IPv4")
                .addNewPort()
                .withName("http")
                .withPort(8080)
                .endPort()
                .addNewEndpoint()
                .withAddresses("10.1.7.1")
                .endEndpoint()
                .addNewEndpoint()
                .withAddresses("10.1.7.2")
                .endEndpoint()
                .build())
        .create();
    try {
      var run = get("get", "endpointslices", "-n", "demo");

      assertThat(header(run)).containsExactly("NAME", "ADDRESSTYPE", "PORTS", "ENDPOINTS", "AGE");
      assertThat(row(run, "table-slice")).contains("IPv4", "8080", "10.1.7.1,10.1.7.2");
    } finally {
      slices.withName("table-slice").delete();
    }
  }

  @Test
  void getNamespacesNodesEventsLeases_printTheirPrinterColumns() throws Exception {
    var events = client.v1().events().inNamespace("demo");
    events
        .resource(
            new EventBuilder()
                .withNewMetadata()
                .withName("web.table-test")
                .endMetadata()
                .withNewInvolvedObject()
                .withKind("Service")
                .withNamespace("demo")
                .withName("web")
                .endInvolvedObject()
                .withType("Warning")
                .withReason("TableTest")
                .withMessage("seen in a table")
                .build())
        .create();
    var leases = client.leases().inNamespace("kube-system");
    leases
        .resource(
            new LeaseBuilder()
                .withNewMetadata()
                .withName("table-lease")
                .endMetadata()
                .withNewSpec()
                .withHolderIdentity("node-a")
                .endSpec()
                .build())
        .create();
    try {
      var ns = get("get", "ns");
      var nodes = get("get", "nodes");
      var ev = get("get", "events", "-n", "demo");
      var lease = get("get", "leases", "-n", "kube-system");

      assertThat(header(ns)).containsExactly("NAME", "STATUS", "AGE");
      assertThat(row(ns, "tenant-red")).contains("Active");
      assertThat(header(nodes)).containsExactly("NAME", "STATUS", "ROLES", "AGE", "VERSION");
      assertThat(row(nodes, "node-1")).contains("<none>");
      assertThat(header(ev)).containsExactly("LAST SEEN", "TYPE", "REASON", "OBJECT", "MESSAGE");
      assertThat(row(ev, "service/web")).contains("Warning", "TableTest", "seen in a table");
      assertThat(header(lease)).containsExactly("NAME", "HOLDER", "AGE");
      assertThat(row(lease, "table-lease")).contains("node-a");
    } finally {
      events.withName("web.table-test").delete();
      leases.withName("table-lease").delete();
    }
  }

  @Test
  void getCrds_printsTheDefaultNameAndCreatedAt() throws Exception {
    var run = get("get", "crd");

    assertThat(header(run)).containsExactly("NAME", "CREATED AT");
    assertThat(row(run, "networks.multinet.io")).containsPattern("\\d{4}-\\d\\d-\\d\\dT");
  }

  @Test
  void getWatch_printsTableRowsOfLaterChanges() throws Exception {
    try (var watch = kubectl.start("get", "svc", "-n", "demo", "-w")) {
      await()
          .atMost(Duration.ofSeconds(30))
          .untilAsserted(() -> assertThat(watch.out()).as(watch.err()).contains("plain-nodeport"));
      client
          .services()
          .inNamespace("demo")
          .resource(
              new ServiceBuilder()
                  .withNewMetadata()
                  .withName("table-watched")
                  .endMetadata()
                  .withNewSpec()
                  .withType("NodePort")
                  .addNewPort()
                  .withPort(81)
                  .withNodePort(30081)
                  .withProtocol("UDP")
                  .endPort()
                  .endSpec()
                  .build())
          .create();
      await()
          .atMost(Duration.ofSeconds(30))
          .untilAsserted(
              () ->
                  assertThat(watch.out())
                      .as(watch.err())
                      .containsPattern("table-watched\\s+NodePort\\s+.*81:30081/UDP"));
      // The watch's Tables carry the list's columns: kubectl printed the header once.
      assertThat(watch.out().lines().filter(l -> l.startsWith("NAME"))).hasSize(1);
    } finally {
      client.services().inNamespace("demo").withName("table-watched").delete();
    }
  }
}
