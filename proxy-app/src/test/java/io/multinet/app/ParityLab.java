package io.multinet.app;

import static java.util.Objects.requireNonNull;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSliceBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.multinet.apiserver.EmbeddedApiServer;
import io.multinet.dataplane.agent.AgentServer;
import io.multinet.dataplane.agent.DataplaneAgent;
import io.multinet.dataplane.kernel.KernelBackend;
import io.multinet.dataplane.lab.Topology;
import io.multinet.dataplane.programmer.DataplaneProgrammer;
import io.multinet.nodeproxy.NodeProxy;
import io.multinet.nodeproxy.ServiceHealthServers;
import io.multinet.watcher.EndpointWatcher;
import java.io.IOException;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;

/**
 * One node for the kube-proxy parity tests, wired as {@code run} and the demo wire it: the embedded
 * API server, optionally the controller, and a {@link NodeProxy} programming the kernel backend of
 * a {@link Topology} node namespace through an in-process agent. Health check node ports are served
 * on loopback. Everything it starts is closed by {@link #close()}, in reverse order.
 *
 * <p>Addresses beyond {@link Topology}'s: the node also owns 198.51.100.1/24 on its uplink (the
 * uplink namespace is 198.51.100.2), and the uplink routes 203.0.113.0/24 (load-balancer and
 * external IPs) via the node's 192.0.2.1.
 */
final class ParityLab implements AutoCloseable {

  /** The namespace {@code parity} and two nodes in zones a and b, as manifests. */
  static final String NAMESPACE_AND_NODES =
      """
      apiVersion: v1
      kind: Namespace
      metadata: {name: parity}
      ---
      apiVersion: v1
      kind: Node
      metadata:
        name: node-1
        labels: {topology.kubernetes.io/zone: zone-a}
      ---
      apiVersion: v1
      kind: Node
      metadata:
        name: node-2
        labels: {topology.kubernetes.io/zone: zone-b}
      """;

  static final String NODE = "node-1";

  private final EmbeddedApiServer api;
  private final KubernetesClient client;
  private final Topology topology;
  private final List<AutoCloseable> parts = new ArrayList<>();
  private @Nullable NodeProxy proxy;

  private ParityLab(EmbeddedApiServer api, KubernetesClient client, Topology topology) {
    this.api = api;
    this.client = client;
    this.topology = topology;
  }

  /** The API server with our CRDs, and a node namespace named {@code prefix-XXXX-*}. */
  static ParityLab create(String prefix) throws Exception {
    var api = new EmbeddedApiServer();
    KubernetesClient client = null;
    Topology topology = null;
    try {
      client = api.newClient();
      topology = Topology.create(prefix, Topology.Options.DEFAULTS.withMarkRules(false));
      ip(topology.node(), "address", "add", "198.51.100.1/24", "dev", "up0");
      ip(topology.uplink(), "address", "add", "198.51.100.2/24", "dev", "eth0");
      ip(topology.uplink(), "route", "add", "203.0.113.0/24", "via", "192.0.2.1");
      return new ParityLab(api, client, topology);
    } catch (Exception | Error e) {
      if (topology != null) {
        topology.close();
      }
      if (client != null) {
        client.close();
      }
      api.close();
      throw e;
    }
  }

  Topology topology() {
    return topology;
  }

  KubernetesClient client() {
    return client;
  }

  NodeProxy proxy() {
    return requireNonNull(proxy, "proxy (expected: startNodeProxy first)");
  }

  /** Loads YAML manifests (after our CRDs) as {@code kubectl apply} of one file would. */
  void load(String yaml) throws IOException {
    Path dir = Files.createTempDirectory("parity");
    try {
      Files.writeString(dir.resolve("manifests.yaml"), yaml);
      assertThat(DemoCommand.load(client, dir).problems()).isEmpty();
    } finally {
      Files.deleteIfExists(dir.resolve("manifests.yaml"));
      Files.delete(dir);
    }
  }

  /** Starts the leader-elected controller as leader and waits until it has settled. */
  void startController() throws Exception {
    var watcher = new EndpointWatcher(client, Clock.systemUTC());
    parts.add(watcher);
    watcher.start();
    watcher.setLeading(true);
    assertThat(watcher.awaitIdle(Duration.ofSeconds(30), Duration.ofMillis(300))).isTrue();
  }

  /**
   * Starts the node proxy for {@link #NODE} with the kernel backend on the lab's node, and the
   * health check node ports on loopback.
   */
  void startNodeProxy(NodeProxy.Options options) throws Exception {
    String name = "parity-" + UUID.randomUUID();
    var backend = new KernelBackend(topology.node());
    parts.add(backend);
    parts.add(AgentServer.inProcess(name, new DataplaneAgent(backend)));
    var programmer = DataplaneProgrammer.connect("inprocess:" + name, Duration.ofSeconds(30));
    parts.add(programmer);
    var p = new NodeProxy(client, NODE, programmer, Clock.systemUTC(), options);
    parts.add(p);
    proxy = p;
    var health = new ServiceHealthServers(InetAddress.getLoopbackAddress(), () -> true);
    parts.add(health);
    p.start();
    p.enableServiceHealth(health);
  }

  /** Waits until the node proxy has programmed at least {@code n} service ports. */
  void awaitServicePorts(int n) {
    await()
        .atMost(Duration.ofSeconds(30))
        .until(
            () -> {
              var s = proxy().lastState();
              return s != null && s.getServicePortsCount() >= n;
            });
  }

  /** The status code of GET / on a loopback port (a health check node port). */
  static int httpStatus(int port) throws Exception {
    try (var http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build()) {
      return http.send(
              HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + "/"))
                  .timeout(Duration.ofSeconds(2))
                  .build(),
              HttpResponse.BodyHandlers.discarding())
          .statusCode();
    }
  }

  /** A loopback port nobody listens on right now: for health check node ports. */
  static int freeLoopbackPort() throws IOException {
    try (var s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }

  /** One endpoint of a kube-style slice. */
  record Ep(String address, String node, boolean ready) {
    static Ep ready(String address, String node) {
      return new Ep(address, node, true);
    }
  }

  /**
   * An EndpointSlice as the Kubernetes EndpointSlice controller writes it for {@code service}: its
   * labels and owner, one address per endpoint with conditions, node name and zone, and the
   * Service's ports by name ({@code name:PROTOCOL:targetPort}).
   */
  static EndpointSlice kubeSlice(
      String namespace, String service, String addressType, List<String> ports, Ep... endpoints) {
    var b =
        new EndpointSliceBuilder()
            .withNewMetadata()
            .withName(service + "-" + addressType.toLowerCase(java.util.Locale.ROOT) + "-x7k2p")
            .withNamespace(namespace)
            .withLabels(
                Map.of(
                    "kubernetes.io/service-name",
                    service,
                    "endpointslice.kubernetes.io/managed-by",
                    "endpointslice-controller.k8s.io"))
            .withAnnotations(
                Map.of(
                    "endpoints.kubernetes.io/last-change-trigger-time",
                    java.time.Instant.now().toString()))
            .addNewOwnerReference()
            .withApiVersion("v1")
            .withKind("Service")
            .withName(service)
            .withUid(UUID.nameUUIDFromBytes(service.getBytes(StandardCharsets.UTF_8)).toString())
            .withController(true)
            .withBlockOwnerDeletion(true)
            .endOwnerReference()
            .endMetadata()
            .withAddressType(addressType);
    for (String p : ports) {
      String[] f = p.split(":", -1);
      b.addNewPort().withName(f[0]).withProtocol(f[1]).withPort(Integer.parseInt(f[2])).endPort();
    }
    for (Ep e : endpoints) {
      b.addNewEndpoint()
          .withAddresses(e.address())
          .withNodeName(e.node())
          .withZone(e.node().equals(NODE) ? "zone-a" : "zone-b")
          .withNewConditions()
          .withReady(e.ready())
          .withServing(e.ready())
          .withTerminating(false)
          .endConditions()
          .withNewTargetRef()
          .withKind("Pod")
          .withNamespace(namespace)
          .withName("pod-" + e.address().replace(':', '-').replace('.', '-'))
          .endTargetRef()
          .endEndpoint();
    }
    return b.build();
  }

  void create(EndpointSlice slice) {
    client.resource(slice).create();
  }

  /** Runs {@code ip -n NETNS args...}: lab addresses and routes the topology does not make. */
  static void ip(String netns, String... args) throws Exception {
    var cmd = new ArrayList<>(List.of("ip", "-n", netns));
    cmd.addAll(List.of(args));
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (!p.waitFor(10, TimeUnit.SECONDS) || p.exitValue() != 0) {
      p.destroyForcibly();
      throw new IOException(String.join(" ", cmd) + ": " + out.strip());
    }
  }

  /** Stops the node proxy, agent and controller, then removes the namespaces; tries every step. */
  @Override
  public void close() throws IOException {
    IOException failure = null;
    for (int i = parts.size() - 1; i >= 0; i--) {
      try {
        parts.get(i).close();
      } catch (Exception e) {
        failure = chain(failure, new IOException("closing " + parts.get(i), e));
      }
    }
    parts.clear();
    try {
      topology.close();
    } catch (IOException e) {
      failure = chain(failure, e);
    }
    client.close();
    api.close();
    if (failure != null) {
      throw failure;
    }
  }

  private static IOException chain(@Nullable IOException first, IOException next) {
    if (first == null) {
      return next;
    }
    first.addSuppressed(next);
    return first;
  }
}
