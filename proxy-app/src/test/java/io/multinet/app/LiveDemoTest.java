package io.multinet.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.multinet.apiserver.EmbeddedApiServer;
import io.multinet.dataplane.kernel.KernelBackend;
import io.multinet.dataplane.lab.Probe;
import io.multinet.dataplane.lab.Topology;
import io.multinet.demo.Demo;
import io.multinet.kube.attachment.NetworkStatus;
import io.multinet.kube.attachment.PodInterface;
import io.multinet.network.IpAddress;
import io.multinet.network.Protocol;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The demo is live: pods and Services created in the API after it started are plumbed and served,
 * like a kubelet and a multus-style CNI would. One demo for the class; each test uses its own pod
 * names and VIP. Addresses: examples/demo's networks (red 10.1.0.0/16, services 10.96.0.0/16, its
 * client at 10.1.0.250; the cluster network 10.244.0.0/16); the tests' VIPs are 10.96.0.21-23.
 */
class LiveDemoTest {

  private static @Nullable EmbeddedApiServer api;
  private static @Nullable KubernetesClient client;
  private static @Nullable Demo demo;

  @BeforeAll
  static void start() throws Exception {
    assumeTrue(Topology.unsupportedReason() == null, "needs root (CI runs as root)");
    String noNftables = KernelBackend.unavailableReason();
    assumeTrue(noNftables == null, () -> "kernel dataplane test skipped: " + noNftables);
    api = new EmbeddedApiServer();
    client = api.newClient();
    assertThat(DemoCommand.load(client, Path.of("../examples/demo")).problems()).isEmpty();
    demo = Demo.start(client, new PrintWriter(new StringWriter()));
  }

  @AfterAll
  static void stop() {
    if (demo != null) {
      demo.close();
    }
    if (client != null) {
      client.close();
    }
    if (api != null) {
      api.close();
    }
  }

  private static KubernetesClient api() {
    return Objects.requireNonNull(client, "client");
  }

  private static Demo demo() {
    return Objects.requireNonNull(demo, "demo");
  }

  @Test
  void podAndServiceCreated_areServedThroughTheVip_untilThePodIsDeleted() throws Exception {
    api().resource(pod("demo", "live-red", "red-net")).create();
    api().resource(redService("demo", "live-red", "10.96.0.21")).create();
    Probe red = Probe.from(demo().clientNamespace("red"));

    await()
        .atMost(Duration.ofSeconds(20))
        .untilAsserted(
            () ->
                assertThat(red.count(6, Protocol.TCP, "10.96.0.21", 80))
                    .containsOnlyKeys("live-red"));
    String netns = demo().podNamespace("demo", "live-red");
    assertThat(netns).isNotNull();
    assertThat(Path.of("/run/netns", netns)).exists();
    // One namespace for the pod, with one interface per network: the cluster's and red.
    assertThat(
            run("ip", "-n", netns, "-o", "link", "show")
                .lines()
                .map(l -> l.split(": ", 3)[1].replaceFirst("@.*", ""))
                .toList())
        .containsExactlyInAnyOrder("lo", "eth0", "net1");

    // As multus and the kubelet leave it: network-status, podIP, Running, Ready.
    Pod pod = api().pods().inNamespace("demo").withName("live-red").get();
    List<PodInterface> status = NetworkStatus.fromAnnotations(pod.getMetadata().getAnnotations());
    assertThat(status).hasSize(2);
    assertThat(status.get(0).isDefault()).isTrue();
    assertThat(status.get(0).interfaceName()).isEqualTo("eth0");
    assertThat(status.get(0).addresses().getFirst().toString()).startsWith("10.244.");
    assertThat(status.get(1).attachment()).isEqualTo("demo/red-net");
    assertThat(status.get(1).interfaceName()).isEqualTo("net1");
    IpAddress redAddress = status.get(1).addresses().getFirst();
    assertThat(redAddress.toString()).startsWith("10.1.");
    assertThat(pod.getMetadata().getAnnotations().get(NetworkStatus.ANNOTATION))
        .contains("\"mac\"");
    assertThat(pod.getSpec().getNodeName()).isEqualTo("node-1");
    assertThat(pod.getStatus().getPhase()).isEqualTo("Running");
    assertThat(pod.getStatus().getPodIP())
        .isEqualTo(status.get(0).addresses().getFirst().toString());
    assertThat(pod.getStatus().getConditions())
        .anyMatch(c -> c.getType().equals("Ready") && c.getStatus().equals("True"));
    // Its address is nobody else's on red (examples/demo's web-red-1 holds 10.1.0.11).
    assertThat(redAddress.toString()).isNotEqualTo("10.1.0.11").isNotEqualTo("10.1.0.250");

    // The controller's slice on red names the pod's red address.
    List<EndpointSlice> slices =
        api()
            .discovery()
            .v1()
            .endpointSlices()
            .inNamespace("demo")
            .withLabel("multinet.io/network", "red")
            .withLabel("kubernetes.io/service-name", "live-red")
            .list()
            .getItems();
    assertThat(slices).hasSize(1);
    assertThat(slices.getFirst().getEndpoints())
        .singleElement()
        .satisfies(e -> assertThat(e.getAddresses()).containsExactly(redAddress.toString()));

    api().pods().inNamespace("demo").withName("live-red").delete();

    await()
        .atMost(Duration.ofSeconds(20))
        .untilAsserted(
            () -> {
              assertThat(demo().podNamespace("demo", "live-red")).isNull();
              assertThat(Path.of("/run/netns", netns)).doesNotExist();
              assertThat(red.count(3, Protocol.TCP, "10.96.0.21", 80)).containsOnlyKeys("REFUSED");
            });
    // Only this pod went: the manifests' pods still answer.
    assertThat(red.count(6, Protocol.TCP, "10.96.0.10", 80)).containsOnlyKeys("web-red-1");
  }

  @Test
  void podOnUnknownNetwork_getsAWarningEvent_andOthersAreUnaffected() throws Exception {
    api().resource(pod("demo", "live-bad", "no-such-net")).create();
    api().resource(pod("demo", "live-good", "red-net")).create();
    api().resource(redService("demo", "live-good", "10.96.0.22")).create();

    await()
        .atMost(Duration.ofSeconds(20))
        .untilAsserted(
            () ->
                assertThat(warnings("live-bad"))
                    .anySatisfy(
                        e -> {
                          assertThat(e.getReason()).isEqualTo("FailedCreatePodSandBox");
                          assertThat(e.getMessage()).contains("demo/no-such-net");
                        }));
    Probe red = Probe.from(demo().clientNamespace("red"));
    await()
        .atMost(Duration.ofSeconds(20))
        .untilAsserted(
            () ->
                assertThat(red.count(6, Protocol.TCP, "10.96.0.22", 80))
                    .containsOnlyKeys("live-good"));
    assertThat(demo().podNamespace("demo", "live-bad")).isNull();
    assertThat(warnings("live-good")).isEmpty();
    Pod bad = api().pods().inNamespace("demo").withName("live-bad").get();
    assertThat(bad.getStatus().getPhase()).isEqualTo("Pending");
    assertThat(bad.getMetadata().getAnnotations()).doesNotContainKey(NetworkStatus.ANNOTATION);
    assertThat(Probe.from(demo().clientNamespace("blue")).count(12, Protocol.TCP, "10.96.0.10", 80))
        .containsOnlyKeys("web-blue-1", "web-blue-2");
  }

  @Test
  void jsonRequestAndNamespaceDefault_giveTheInterfacesAndAddressesAsked() throws Exception {
    // The JSON list form: an interface name, a static address and a MAC address.
    api()
        .resource(
            pod(
                "demo",
                "live-json",
                "[{\"name\":\"red-net\",\"interface\":\"eth1\",\"ips\":[\"10.1.0.77/16\"],"
                    + "\"mac\":\"02:23:45:67:89:01\"}]"))
        .create();
    // No request at all in tenant-red, whose default network is red: net1 on red.
    api().resource(pod("tenant-red", "live-ns", null)).create();
    api()
        .resource(
            new ServiceBuilder()
                .withNewMetadata()
                .withName("live-ns")
                .withNamespace("tenant-red")
                .addToAnnotations("multinet.io/cluster-ips", "10.96.0.23")
                .endMetadata()
                .withNewSpec()
                .withSelector(Map.of("app", "live-ns"))
                .addNewPort()
                .withName("http")
                .withProtocol("TCP")
                .withPort(80)
                .withNewTargetPort(8080)
                .endPort()
                .endSpec()
                .build())
        .create();

    await()
        .atMost(Duration.ofSeconds(20))
        .untilAsserted(
            () -> {
              assertThat(demo().podNamespace("demo", "live-json")).isNotNull();
              assertThat(
                      Probe.from(demo().clientNamespace("red"))
                          .count(6, Protocol.TCP, "10.96.0.23", 80))
                  .containsOnlyKeys("live-ns");
            });
    List<PodInterface> json = status("demo", "live-json");
    assertThat(json.get(1).interfaceName()).isEqualTo("eth1");
    assertThat(json.get(1).addresses()).containsExactly(IpAddress.parse("10.1.0.77"));
    String netns = Objects.requireNonNull(demo().podNamespace("demo", "live-json"));
    String link = run("ip", "-n", netns, "-o", "address", "show", "dev", "eth1");
    assertThat(link).contains("10.1.0.77");
    assertThat(run("ip", "-n", netns, "-o", "link", "show", "dev", "eth1"))
        .contains("02:23:45:67:89:01");
    assertThat(
            api()
                .pods()
                .inNamespace("demo")
                .withName("live-json")
                .get()
                .getMetadata()
                .getAnnotations()
                .get(NetworkStatus.ANNOTATION))
        .contains("02:23:45:67:89:01");

    List<PodInterface> ns = status("tenant-red", "live-ns");
    assertThat(ns.get(1).attachment()).isEqualTo("demo/red-net");
    assertThat(ns.get(1).interfaceName()).isEqualTo("net1");

    // Seen again (a label added): the same namespace and addresses, no second sandbox.
    api()
        .pods()
        .inNamespace("demo")
        .withName("live-json")
        .edit(
            p ->
                new PodBuilder(p)
                    .editMetadata()
                    .addToLabels("seen", "twice")
                    .endMetadata()
                    .build());
    await()
        .during(Duration.ofSeconds(2))
        .atMost(Duration.ofSeconds(5))
        .untilAsserted(
            () -> {
              assertThat(demo().podNamespace("demo", "live-json")).isEqualTo(netns);
              assertThat(status("demo", "live-json")).isEqualTo(json);
            });
    assertThat(warnings("live-json")).isEmpty();
  }

  private static List<PodInterface> status(String namespace, String name) {
    Pod pod = api().pods().inNamespace(namespace).withName(name).get();
    return NetworkStatus.fromAnnotations(
        Objects.requireNonNullElse(pod.getMetadata().getAnnotations(), Map.of()));
  }

  private static List<Event> warnings(String pod) {
    return api().v1().events().inNamespace("demo").list().getItems().stream()
        .filter(e -> pod.equals(e.getInvolvedObject().getName()))
        .filter(e -> "Warning".equals(e.getType()))
        .toList();
  }

  /** A pod as a user writes it: no node, no status; {@code networks} is the request, if any. */
  private static Pod pod(String namespace, String name, @Nullable String networks) {
    var b =
        new PodBuilder()
            .withNewMetadata()
            .withName(name)
            .withNamespace(namespace)
            .addToLabels("app", name)
            .endMetadata()
            .withNewSpec()
            .addNewContainer()
            .withName("echo")
            .withImage("echo")
            .addNewPort()
            .withName("http")
            .withContainerPort(8080)
            .endPort()
            .endContainer()
            .endSpec();
    if (networks != null) {
      b.editMetadata().addToAnnotations("k8s.v1.cni.cncf.io/networks", networks).endMetadata();
    }
    return b.build();
  }

  private static io.fabric8.kubernetes.api.model.Service redService(
      String namespace, String app, String vip) {
    return new ServiceBuilder()
        .withNewMetadata()
        .withName(app)
        .withNamespace(namespace)
        .addToAnnotations("multinet.io/network", "red")
        .addToAnnotations("multinet.io/cluster-ips", vip)
        .endMetadata()
        .withNewSpec()
        .withSelector(Map.of("app", app))
        .addNewPort()
        .withName("http")
        .withProtocol("TCP")
        .withPort(80)
        .withNewTargetPort(8080)
        .endPort()
        .endSpec()
        .build();
  }

  private static String run(String... command) throws Exception {
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    String out =
        new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
    assertThat(p.waitFor()).as(out).isZero();
    return out;
  }
}
