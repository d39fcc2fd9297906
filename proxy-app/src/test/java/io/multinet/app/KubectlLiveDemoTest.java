package io.multinet.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.multinet.apiserver.EmbeddedApiServer;
import io.multinet.dataplane.kernel.KernelBackend;
import io.multinet.dataplane.lab.Probe;
import io.multinet.dataplane.lab.Topology;
import io.multinet.demo.Demo;
import io.multinet.kube.attachment.NetworkStatus;
import io.multinet.kube.attachment.PodInterface;
import io.multinet.network.Protocol;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;

/**
 * Issue 14's acceptance test: the real kubectl 1.35 against the live demo, as a user follows the
 * {@code demo --keep} banner. Addresses: examples/demo's (red pods 10.1.0.0/16, its client
 * 10.1.0.250) and the try-it Service's VIP 10.96.0.20 on red.
 */
class KubectlLiveDemoTest {

  @TempDir static Path home;
  private static @Nullable EmbeddedApiServer api;
  private static @Nullable KubernetesClient client;
  private static @Nullable Demo demo;
  private static @Nullable Kubectl kubectl;

  @BeforeAll
  static void start() throws Exception {
    assumeTrue(Topology.unsupportedReason() == null, "needs root (CI runs as root)");
    String noNftables = KernelBackend.unavailableReason();
    assumeTrue(noNftables == null, () -> "kernel dataplane test skipped: " + noNftables);
    api = new EmbeddedApiServer();
    client = api.newClient();
    assertThat(DemoCommand.load(client, Kubectl.repoRoot().resolve("examples/demo")).problems())
        .isEmpty();
    demo = Demo.start(client, new PrintWriter(new StringWriter()));
    Path kubeconfig = home.resolve("kubeconfig");
    Files.writeString(kubeconfig, api.kubeconfig());
    kubectl = Kubectl.fetch(kubeconfig);
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

  @Test
  void applyPodAndServiceOnRed_servedThroughTheVip_deletePod_theVipRejects() throws Exception {
    Demo d = Objects.requireNonNull(demo, "demo");
    Kubectl k = Objects.requireNonNull(kubectl, "kubectl");
    // What the banner tells a user to apply, with the banner's flags.
    Path manifest = home.resolve("hello-red.yaml");
    Files.writeString(manifest, DemoCommand.tryItManifest());
    var apply = k.run("apply", "--validate=false", "-f", manifest.toString());
    assertThat(apply.exit()).as(apply.toString()).isZero();
    assertThat(apply.out()).contains("pod/hello-red created", "service/hello-red created");

    Probe red = Probe.from(d.clientNamespace("red"));
    await()
        .atMost(Duration.ofSeconds(20))
        .untilAsserted(
            () ->
                assertThat(red.count(6, Protocol.TCP, DemoCommand.TRY_IT_VIP, 80))
                    .containsOnlyKeys("hello-red"));
    String netns = d.podNamespace("demo", "hello-red");
    assertThat(netns).isNotNull();
    assertThat(Path.of("/run/netns", netns)).exists();

    // kubectl sees what the kubelet wrote, and the controller's slice on red with that address.
    var status =
        k.run(
            "get",
            "pod",
            "hello-red",
            "-n",
            "demo",
            "-o",
            "jsonpath={.metadata.annotations.k8s\\.v1\\.cni\\.cncf\\.io/network-status}");
    assertThat(status.exit()).as(status.toString()).isZero();
    List<PodInterface> interfaces = NetworkStatus.parse(NetworkStatus.ANNOTATION, status.out());
    String redAddress =
        interfaces.stream()
            .filter(i -> i.matches("demo/red-net", "demo"))
            .findFirst()
            .orElseThrow()
            .addresses()
            .getFirst()
            .toString();
    var slices =
        k.run("get", "endpointslices", "-n", "demo", "-l", "multinet.io/network=red", "-o", "json");
    assertThat(slices.exit()).as(slices.toString()).isZero();
    assertThat(sliceAddresses(slices.out(), "hello-red")).containsExactly(redAddress);
    var names = k.run("get", "endpointslices", "-A", "-l", "multinet.io/network=red");
    assertThat(names.exit()).as(names.toString()).isZero();
    assertThat(names.out()).contains("hello-red-");

    var delete = k.run("delete", "pod", "hello-red", "-n", "demo");
    assertThat(delete.exit()).as(delete.toString()).isZero();

    await()
        .atMost(Duration.ofSeconds(20))
        .untilAsserted(
            () -> {
              assertThat(d.podNamespace("demo", "hello-red")).isNull();
              assertThat(Path.of("/run/netns", netns)).doesNotExist();
              assertThat(red.count(3, Protocol.TCP, DemoCommand.TRY_IT_VIP, 80))
                  .containsOnlyKeys("REFUSED");
            });
  }

  /** The endpoint addresses of {@code service}'s slices in a {@code kubectl get -o json} list. */
  private static List<String> sliceAddresses(String json, String service) throws Exception {
    JsonNode list = tools.jackson.databind.json.JsonMapper.builder().build().readTree(json);
    List<String> addresses = new ArrayList<>();
    for (JsonNode slice : list.path("items")) {
      if (!service.equals(
          slice.path("metadata").path("labels").path("kubernetes.io/service-name").asString())) {
        continue;
      }
      for (JsonNode e : slice.path("endpoints")) {
        e.path("addresses").forEach(a -> addresses.add(a.asString()));
      }
    }
    return addresses;
  }
}
