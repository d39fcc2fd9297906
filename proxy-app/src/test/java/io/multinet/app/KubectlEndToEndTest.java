package io.multinet.app;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.client.KubernetesClient;
import java.nio.file.Files;
import java.nio.file.Path;
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
}
