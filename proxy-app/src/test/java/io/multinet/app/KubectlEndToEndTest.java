package io.multinet.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSliceBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The real kubectl 1.35 against the embedded API server loaded with the demo manifests. */
class KubectlEndToEndTest {

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

  @Test
  void apiResources_listsShortNamesAndCrds() throws Exception {
    var run = kubectl.run("api-resources");
    assertThat(run.exit()).as(run.toString()).isZero();
    assertThat(run.out()).contains("svc", "ns", "endpointslices", "networks", "clusteripclaims");
  }

  @Test
  void get_shortNamesAndCrds_listsObjects() throws Exception {
    var svc = kubectl.run("get", "svc", "-A");
    assertThat(svc.exit()).as(svc.toString()).isZero();
    assertThat(svc.out()).contains("web-red", "plain");
    var ns = kubectl.run("get", "ns");
    assertThat(ns.out()).as(ns.toString()).contains("tenant-red");
    var networks = kubectl.run("get", "networks");
    assertThat(networks.out()).as(networks.toString()).contains("blue", "red");
    var pods = kubectl.run("get", "po", "-n", "demo", "-l", "app=web", "-o", "name");
    assertThat(pods.out()).as(pods.toString()).contains("pod/web-blue-1", "pod/web-red-1");
  }

  @Test
  void labelAndAnnotate_changeTheStoredObject() throws Exception {
    var label = kubectl.run("label", "svc", "-n", "demo", "web", "kubectl-test=yes");
    assertThat(label.exit()).as(label.toString()).isZero();
    var annotate = kubectl.run("annotate", "network", "blue", "kubectl-test=yes");
    assertThat(annotate.exit()).as(annotate.toString()).isZero();
    var yaml = kubectl.run("get", "svc", "-n", "demo", "web", "-o", "yaml");
    assertThat(yaml.out()).as(yaml.toString()).contains("kubectl-test: \"yes\"");
    assertThat(
            client
                .genericKubernetesResources("multinet.io/v1alpha1", "Network")
                .withName("blue")
                .get()
                .getMetadata()
                .getAnnotations())
        .containsEntry("kubectl-test", "yes");
  }

  private static void createPod(String name, String app) {
    client
        .pods()
        .inNamespace("demo")
        .resource(
            new PodBuilder()
                .withNewMetadata()
                .withName(name)
                .addToLabels("app", app)
                .endMetadata()
                .withNewSpec()
                .addNewContainer()
                .withName("echo")
                .withImage("echo")
                .endContainer()
                .endSpec()
                .build())
        .create();
  }

  @Test
  void getWatch_printsListThenLaterChangesOfSelectedObjects() throws Exception {
    try (var watch = kubectl.start("get", "pods", "-n", "demo", "-l", "app=web", "-w")) {
      await()
          .atMost(Duration.ofSeconds(30))
          .untilAsserted(() -> assertThat(watch.out()).as(watch.err()).contains("web-red-1"));
      createPod("watch-other-1", "other");
      createPod("watch-web-1", "web");
      await()
          .atMost(Duration.ofSeconds(30))
          .untilAsserted(() -> assertThat(watch.out()).as(watch.err()).contains("watch-web-1"));
      // Events arrive in order: the unselected pod, created first, would have shown by now.
      assertThat(watch.out()).doesNotContain("watch-other-1");
      assertThat(watch.alive()).as(watch.err()).isTrue();
    } finally {
      client.pods().inNamespace("demo").withName("watch-other-1").delete();
      client.pods().inNamespace("demo").withName("watch-web-1").delete();
    }
  }

  @Test
  void getWatchOnly_printsOnlyLaterChanges() throws Exception {
    // -v=6 logs each request once answered: the watch's once its response has begun.
    try (var watch = kubectl.start("get", "svc", "-n", "demo", "--watch-only", "-v=6")) {
      await()
          .atMost(Duration.ofSeconds(30))
          .untilAsserted(() -> assertThat(watch.err()).contains("watch=true"));
      client
          .services()
          .inNamespace("demo")
          .resource(
              new ServiceBuilder()
                  .withNewMetadata()
                  .withName("watch-only")
                  .endMetadata()
                  .withNewSpec()
                  .addNewPort()
                  .withPort(80)
                  .endPort()
                  .endSpec()
                  .build())
          .create();
      await()
          .atMost(Duration.ofSeconds(30))
          .untilAsserted(() -> assertThat(watch.out()).as(watch.err()).contains("watch-only"));
      assertThat(watch.out()).doesNotContain("web-red", "plain");
    } finally {
      client.services().inNamespace("demo").withName("watch-only").delete();
    }
  }

  @Test
  void describe_podServiceEndpointSliceNetwork_printsThem() throws Exception {
    client
        .discovery()
        .v1()
        .endpointSlices()
        .inNamespace("demo")
        .resource(
            new EndpointSliceBuilder()
                .withNewMetadata()
                .withName("web-described")
                .addToLabels("kubernetes.io/service-name", "web")
                .endMetadata()
                .withAddressType("IPv4")
                .addNewEndpoint()
                .withAddresses("10.1.0.11")
                .endEndpoint()
                .build())
        .create();
    try {
      for (String[] what :
          new String[][] {
            {"pod", "web-red-1", "Containers:"},
            {"service", "web", "Selector:"},
            {"endpointslice", "web-described", "10.1.0.11"},
            {"network", "blue", "Spec:"}
          }) {
        var run = kubectl.run("describe", what[0], "-n", "demo", what[1]);
        assertThat(run.exit()).as(run.toString()).isZero();
        assertThat(run.out()).as(run.toString()).contains("Name:", what[1], what[2]);
      }
    } finally {
      client
          .discovery()
          .v1()
          .endpointSlices()
          .inNamespace("demo")
          .withName("web-described")
          .delete();
    }
  }
}
