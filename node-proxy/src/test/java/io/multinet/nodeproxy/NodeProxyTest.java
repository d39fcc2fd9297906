package io.multinet.nodeproxy;

import static java.util.Objects.requireNonNull;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSliceBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.multinet.dataplane.DataplaneBackend;
import io.multinet.dataplane.DataplaneException;
import io.multinet.dataplane.DesiredStates;
import io.multinet.dataplane.StateModel;
import io.multinet.dataplane.agent.AgentServer;
import io.multinet.dataplane.agent.DataplaneAgent;
import io.multinet.dataplane.programmer.DataplaneProgrammer;
import io.multinet.dataplane.v1.Delta;
import io.multinet.dataplane.v1.DesiredState;
import io.multinet.dataplane.v1.NodeFacts;
import io.multinet.dataplane.v1.ServicePort;
import io.multinet.kube.crd.NetworkResource;
import io.multinet.kube.network.NetworkCatalog;
import io.multinet.nodeproxy.view.NodeView;
import io.multinet.service.NodeInfo;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.atomic.AtomicInteger;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The node proxy against the mock API server and an in-process agent. Ranges: network blue (56)
 * uses 10.96.0.0/16 for VIPs and 10.1.0.0/16 for pods; red (57) 10.97.0.0/16 and 10.2.0.0/16; the
 * default network 172.30.0.0/16 and 10.0.0.0/16.
 */
@EnableKubernetesMockClient(crud = true)
class NodeProxyTest {

  KubernetesClient client;
  private final RecordingBackend backend = new RecordingBackend();
  private AgentServer agent;
  private DataplaneProgrammer programmer;
  private NodeProxy proxy;

  /** Holds what it was told, and can fail on demand. */
  static final class RecordingBackend implements DataplaneBackend {
    volatile @Nullable StateModel state;
    final AtomicInteger fail = new AtomicInteger();
    final AtomicInteger fulls = new AtomicInteger();
    final AtomicInteger deltas = new AtomicInteger();

    @Override
    public String name() {
      return "recording";
    }

    @Override
    public void applyFull(DesiredState s) throws DataplaneException {
      if (fail.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
        throw new DataplaneException("told to fail", true, null);
      }
      state = StateModel.of(s);
      fulls.incrementAndGet();
    }

    @Override
    public void applyDelta(Delta d) throws DataplaneException {
      StateModel cur = state;
      if (cur == null || fail.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
        throw new DataplaneException("told to fail", true, null);
      }
      state = cur.apply(d);
      deltas.incrementAndGet();
    }

    @Override
    public DesiredState observe() {
      StateModel cur = state;
      return cur == null ? DesiredState.getDefaultInstance() : cur.toState();
    }

    @Override
    public void cleanup() {}

    @Override
    public void close() {}
  }

  @BeforeEach
  void setUp() throws Exception {
    try (InputStream in =
        Files.newInputStream(Path.of("../charts/multinet-proxy/crds/networks.multinet.io.yaml"))) {
      client.load(in).items().forEach(i -> client.resource(i).create());
    }
    var blue = new NetworkResource();
    blue.getMetadata().setName("blue");
    var spec = new NetworkResource.Spec();
    spec.id = 56;
    spec.serviceCIDRs = List.of("10.96.0.0/16");
    spec.podCIDRs = List.of("10.1.0.0/16");
    blue.setSpec(spec);
    client.resources(NetworkResource.class).resource(blue).create();
    client
        .resource(new NodeBuilder().withNewMetadata().withName("node-a").endMetadata().build())
        .create();
    client
        .resource(
            new ServiceBuilder()
                .withNewMetadata()
                .withName("web")
                .withNamespace("ns")
                .withAnnotations(
                    Map.of("multinet.io/network", "blue", "multinet.io/cluster-ips", "10.96.0.10"))
                .endMetadata()
                .withNewSpec()
                .withSelector(Map.of("app", "web"))
                .addNewPort()
                .withName("http")
                .withProtocol("TCP")
                .withPort(80)
                .endPort()
                .endSpec()
                .build())
        .create();
    client
        .resource(
            new ServiceBuilder()
                .withNewMetadata()
                .withName("plain")
                .withNamespace("ns")
                .endMetadata()
                .withNewSpec()
                .withClusterIP("172.30.0.5")
                .withSelector(Map.of("app", "web"))
                .addNewPort()
                .withName("http")
                .withProtocol("TCP")
                .withPort(80)
                .endPort()
                .endSpec()
                .build())
        .create();
    client.resource(slice("web-blue-1", "web", "blue", "10.1.0.11", "10.1.0.12")).create();
    client.resource(slice("plain-1", "plain", null, "10.0.0.5")).create();
    String name = UUID.randomUUID().toString();
    agent = AgentServer.inProcess(name, new DataplaneAgent(backend));
    programmer = DataplaneProgrammer.connect("inprocess:" + name, Duration.ofSeconds(5));
    proxy =
        new NodeProxy(
            client,
            "node-a",
            programmer,
            Clock.systemUTC(),
            new NodeProxy.Options(
                Duration.ofMillis(50), Duration.ofSeconds(30), null, List.of(), false));
  }

  @AfterEach
  void tearDown() {
    // A setup that failed half way leaves the later fields null: close what exists.
    try {
      if (proxy != null) {
        proxy.close();
      }
    } finally {
      try {
        if (programmer != null) {
          programmer.close();
        }
      } finally {
        if (agent != null) {
          agent.close();
        }
      }
    }
  }

  private static EndpointSlice slice(
      String name, String service, @Nullable String network, String... addresses) {
    var b =
        new EndpointSliceBuilder()
            .withNewMetadata()
            .withName(name)
            .withNamespace("ns")
            .addToLabels("kubernetes.io/service-name", service)
            .addToAnnotations(
                "endpoints.kubernetes.io/last-change-trigger-time",
                java.time.Instant.now().toString())
            .endMetadata()
            .withAddressType("IPv4")
            .addNewPort()
            .withName("http")
            .withProtocol("TCP")
            .withPort(8080)
            .endPort();
    if (network != null) {
      b.editMetadata()
          .addToLabels("multinet.io/network", network)
          .addToLabels("endpointslice.kubernetes.io/managed-by", "endpoint-watcher.multinet.io")
          .endMetadata();
    }
    for (String a : addresses) {
      b.addNewEndpoint().withAddresses(a).withNodeName("node-a").endEndpoint();
    }
    return b.build();
  }

  private List<String> backends(String vip) {
    StateModel s = backend.state;
    if (s == null) {
      return List.of();
    }
    for (ServicePort sp : s.ports().values()) {
      if (sp.getAddress().equals(vip)) {
        return sp.getBackendsList().stream()
            .map(b -> b.getAddress() + ":" + b.getPort())
            .sorted()
            .toList();
      }
    }
    return List.of();
  }

  @Test
  void start_programsNetworkAndDefaultServices_thenChangesAsDeltas() {
    proxy.start();
    await()
        .atMost(Duration.ofSeconds(10))
        .untilAsserted(
            () -> {
              assertThat(backends("10.96.0.10"))
                  .containsExactly("10.1.0.11:8080", "10.1.0.12:8080");
              assertThat(backends("172.30.0.5")).containsExactly("10.0.0.5:8080");
            });

    client.resource(slice("web-blue-1", "web", "blue", "10.1.0.12")).update();

    await()
        .atMost(Duration.ofSeconds(10))
        .untilAsserted(() -> assertThat(backends("10.96.0.10")).containsExactly("10.1.0.12:8080"));
    assertThat(backend.fulls).hasValue(1);
    assertThat(backend.deltas.get()).isPositive();
    assertThat(proxy.table().size()).isEqualTo(2);
  }

  @Test
  void update_thatChangesNothingProgrammable_costsNoSync() {
    proxy.start();
    await().atMost(Duration.ofSeconds(10)).until(() -> proxy.lastState() != null);
    await().atMost(Duration.ofSeconds(5)).until(() -> proxy.runner().queuedSince() == null);
    long runs = proxy.runner().runs();

    // The Node's status (heartbeats) changes all the time and matters to no rule.
    client
        .nodes()
        .withName("node-a")
        .edit(
            n -> {
              n.setStatus(
                  new io.fabric8.kubernetes.api.model.NodeStatusBuilder()
                      .addNewCondition()
                      .withType("Ready")
                      .withStatus("True")
                      .endCondition()
                      .build());
              return n;
            });
    // Long enough for a sync to start were the status change counted (minSyncPeriod is 50 ms).
    await()
        .during(Duration.ofMillis(600))
        .atMost(Duration.ofSeconds(3))
        .until(() -> proxy.runner().runs() == runs);
    client
        .resource(
            new ServiceBuilder()
                .withNewMetadata()
                .withName("probe")
                .withNamespace("ns")
                .endMetadata()
                .withNewSpec()
                .withClusterIP("172.30.0.99")
                .addNewPort()
                .withPort(1)
                .endPort()
                .endSpec()
                .build())
        .create();

    // The Service creation does sync; the Node status before it must not have added one of its own.
    await().atMost(Duration.ofSeconds(10)).until(() -> proxy.table().size() == 3);
    assertThat(proxy.runner().runs()).isEqualTo(runs + 1);
  }

  @Test
  void sync_ofOneChangedService_leavesEveryOtherPortAsItWas() {
    proxy.start();
    await()
        .atMost(Duration.ofSeconds(10))
        .untilAsserted(() -> assertThat(backends("10.96.0.10")).hasSize(2));
    ServicePort plain = port(requireNonNull(proxy.lastState()), "172.30.0.5");

    client.resource(slice("web-blue-1", "web", "blue", "10.1.0.12")).update();

    await()
        .atMost(Duration.ofSeconds(10))
        .untilAsserted(() -> assertThat(backends("10.96.0.10")).containsExactly("10.1.0.12:8080"));
    // A partial sync remaps the changed Service only: the other port is the very same object, so
    // neither the table nor the programmer's diff had to look into it.
    assertThat(port(requireNonNull(proxy.lastState()), "172.30.0.5")).isSameAs(plain);
  }

  @Test
  void fullSync_keepsTheObjectsOfUnchangedServices_noSecondCopy() {
    proxy.start();
    await()
        .atMost(Duration.ofSeconds(10))
        .untilAsserted(() -> assertThat(backends("10.96.0.10")).hasSize(2));
    backend.fail.set(1); // the next sync fails, so the one after it remaps every Service

    client.resource(slice("web-blue-1", "web", "blue", "10.1.0.12")).update();

    await()
        .atMost(Duration.ofSeconds(10))
        .untilAsserted(() -> assertThat(backends("10.96.0.10")).containsExactly("10.1.0.12:8080"));
    assertThat(proxy.metrics().syncFailures()).isEqualTo(1);
    // The table reuses equal ports from before; what the proxy keeps per Service must be those
    // same objects, or every full sync would leave a second copy of every Service in memory.
    var plain = requireNonNull(proxy.mapped("ns/plain")).ports().getFirst();
    assertThat(proxy.table().servicePort(plain.key())).isSameAs(plain);
  }

  @Test
  void sync_afterRandomChanges_equalsAWholeBuildFromTheApi() {
    proxy.start();
    await().atMost(Duration.ofSeconds(10)).until(() -> proxy.lastState() != null);
    client
        .resource(
            new ServiceBuilder(service("r1", "10.97.0.1", 80))
                .editMetadata()
                .withAnnotations(
                    Map.of("multinet.io/network", "red", "multinet.io/cluster-ips", "10.97.0.1"))
                .endMetadata()
                .build())
        .create();
    client.resource(slice("r1-red-1", "r1", "red", "10.2.0.7")).create();
    var random = new java.util.Random(7);
    var changes = new java.util.ArrayList<String>();
    for (int i = 0; i < 60; i++) {
      int svc = random.nextInt(6);
      String name = "s" + svc;
      // Default-network VIPs 172.30.1.0-2 are shared by two Services each, so clashes happen.
      String vip = "172.30.1." + (svc % 3);
      switch (random.nextInt(6)) {
        case 0 -> {
          changes.add("service " + name);
          client.resource(service(name, vip, 80 + random.nextInt(2))).createOr(o -> o.update());
        }
        case 1 -> {
          changes.add("delete service " + name);
          client.services().inNamespace("ns").withName(name).delete();
        }
        case 2, 3 -> {
          // A slice may move to another Service (its label changes) or change its endpoints.
          String owner = "s" + random.nextInt(6);
          String sliceName = "slice-" + random.nextInt(4);
          changes.add("slice " + sliceName + " of " + owner);
          client
              .resource(slice(sliceName, owner, null, "10.0.2." + random.nextInt(5)))
              .createOr(o -> o.update());
        }
        case 4 -> {
          changes.add("delete slice");
          client
              .discovery()
              .v1()
              .endpointSlices()
              .inNamespace("ns")
              .withName("slice-" + random.nextInt(4))
              .delete();
        }
        default -> {
          // A change any Service may depend on: network red, which Service r1 names, comes and
          // goes (it has no Service of its own to make that Service's remap happen by chance).
          changes.add("network red");
          if (client.resources(NetworkResource.class).withName("red").get() == null) {
            client.resources(NetworkResource.class).resource(red()).create();
          } else {
            client.resources(NetworkResource.class).withName("red").delete();
          }
        }
      }
      if (i % 20 == 19) {
        await()
            .atMost(Duration.ofSeconds(10))
            .untilAsserted(
                () -> {
                  DesiredState last = requireNonNull(proxy.lastState());
                  assertThat(last).as("after %s", changes).isEqualTo(wholeBuild());
                  // The agent got there through the deltas the syncs sent.
                  assertThat(backend.observe()).isEqualTo(StateModel.of(last).toState());
                });
      }
    }
  }

  /** Network red (57): VIPs 10.97.0.0/16, pods 10.2.0.0/16. */
  private static NetworkResource red() {
    var red = new NetworkResource();
    red.getMetadata().setName("red");
    var spec = new NetworkResource.Spec();
    spec.id = 57;
    spec.serviceCIDRs = List.of("10.97.0.0/16");
    spec.podCIDRs = List.of("10.2.0.0/16");
    red.setSpec(spec);
    return red;
  }

  /** What a sync that remaps every Service from the API's current objects would program. */
  private DesiredState wholeBuild() {
    var catalog =
        NetworkCatalog.build(
            client.resources(NetworkResource.class).list().getItems(), List.of(), List.of());
    var view =
        NodeView.build(
            new NodeInfo("node-a", null),
            catalog,
            client.services().inAnyNamespace().list().getItems(),
            client.discovery().v1().endpointSlices().inAnyNamespace().list().getItems(),
            ns -> client.namespaces().withName(ns).get(),
            null,
            null);
    return DesiredStates.from(
        view.table(),
        NodePipeline.networkSpecs(catalog),
        NodeFacts.newBuilder().setName("node-a").build());
  }

  private static Service service(String name, String vip, int port) {
    return new ServiceBuilder()
        .withNewMetadata()
        .withName(name)
        .withNamespace("ns")
        .endMetadata()
        .withNewSpec()
        .withClusterIP(vip)
        .addNewPort()
        .withName("http")
        .withProtocol("TCP")
        .withPort(port)
        .endPort()
        .endSpec()
        .build();
  }

  private static ServicePort port(DesiredState state, String vip) {
    return state.getServicePortsList().stream()
        .filter(p -> p.getAddress().equals(vip))
        .findFirst()
        .orElseThrow();
  }

  @Test
  void sync_afterDataplaneFailure_retriesWithAFullState() {
    backend.fail.set(1);
    proxy.start();
    await()
        .atMost(Duration.ofSeconds(10))
        .untilAsserted(
            () ->
                assertThat(backends("10.96.0.10"))
                    .containsExactly("10.1.0.11:8080", "10.1.0.12:8080"));
    assertThat(proxy.metrics().syncFailures()).isEqualTo(1);
    assertThat(backend.fulls).hasValue(1);
  }

  @Test
  void healthCheckNodePort_reportsLocalEndpoints() throws Exception {
    int port;
    try (var probe = new java.net.ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
      port = probe.getLocalPort();
    }
    client
        .services()
        .inNamespace("ns")
        .withName("plain")
        .edit(
            s -> {
              s.getSpec().setType("LoadBalancer");
              s.getSpec().setExternalTrafficPolicy("Local");
              s.getSpec().setHealthCheckNodePort(port);
              return s;
            });
    try (var servers =
            new ServiceHealthServers(java.net.InetAddress.getLoopbackAddress(), () -> true);
        var http = HttpClient.newHttpClient()) {
      proxy.enableServiceHealth(servers);
      proxy.start();
      var uri = URI.create("http://127.0.0.1:" + port + "/");
      await()
          .atMost(Duration.ofSeconds(10))
          .untilAsserted(
              () -> {
                var r =
                    http.send(
                        HttpRequest.newBuilder(uri).build(), HttpResponse.BodyHandlers.ofString());
                assertThat(r.statusCode()).isEqualTo(200);
                assertThat(r.body())
                    .contains("\"localEndpoints\":1")
                    .contains("\"name\":\"plain\"");
              });

      // The only endpoint moves to another node: this node must stop attracting external traffic.
      client
          .resource(
              new EndpointSliceBuilder(slice("plain-1", "plain", null, "10.0.0.5"))
                  .editFirstEndpoint()
                  .withNodeName("node-b")
                  .endEndpoint()
                  .build())
          .update();
      await()
          .atMost(Duration.ofSeconds(10))
          .untilAsserted(
              () ->
                  assertThat(
                          http.send(
                                  HttpRequest.newBuilder(uri).build(),
                                  HttpResponse.BodyHandlers.ofString())
                              .statusCode())
                      .isEqualTo(503));
    }
  }

  @Test
  void healthAndMetrics_answerLikeKubeProxy() throws Exception {
    proxy.start();
    await().atMost(Duration.ofSeconds(10)).until(() -> proxy.lastState() != null);
    var loopback = java.net.InetAddress.getLoopbackAddress();
    try (var health =
            new HealthServer(
                proxy,
                new InetSocketAddress(loopback, 0),
                new InetSocketAddress(loopback, 0),
                Duration.ofSeconds(60));
        var http = HttpClient.newHttpClient()) {
      var livez =
          http.send(
              HttpRequest.newBuilder(
                      URI.create("http://127.0.0.1:" + health.healthPort() + "/livez"))
                  .build(),
              HttpResponse.BodyHandlers.ofString());
      assertThat(livez.statusCode()).isEqualTo(200);
      assertThat(livez.body()).contains("\"healthy\": true").contains("\"nodeEligible\": true");
      var healthz =
          http.send(
              HttpRequest.newBuilder(
                      URI.create("http://127.0.0.1:" + health.healthPort() + "/healthz"))
                  .build(),
              HttpResponse.BodyHandlers.ofString());
      assertThat(healthz.statusCode()).isEqualTo(200);

      client.nodes().withName("node-a").delete(); // the node goes: /healthz fails, /livez does not
      await()
          .atMost(Duration.ofSeconds(10))
          .untilAsserted(
              () -> {
                var h =
                    http.send(
                        HttpRequest.newBuilder(
                                URI.create("http://127.0.0.1:" + health.healthPort() + "/healthz"))
                            .build(),
                        HttpResponse.BodyHandlers.ofString());
                assertThat(h.statusCode()).isEqualTo(503);
                assertThat(h.body()).contains("\"nodeEligible\": false");
              });

      var metrics =
          http.send(
                  HttpRequest.newBuilder(
                          URI.create("http://127.0.0.1:" + health.metricsPort() + "/metrics"))
                      .build(),
                  HttpResponse.BodyHandlers.ofString())
              .body();
      assertThat(metrics)
          .containsPattern("kubeproxy_sync_proxy_rules_duration_seconds_count [1-9]")
          .containsPattern("kubeproxy_network_programming_duration_seconds_count [1-9]")
          .contains("multinet_network_service_ports{network=\"blue\"} 1")
          .contains("multinet_network_service_ports{network=\"default\"} 1")
          .containsPattern("kubeproxy_sync_proxy_rules_last_timestamp_seconds [1-9]");
    }
  }
}
