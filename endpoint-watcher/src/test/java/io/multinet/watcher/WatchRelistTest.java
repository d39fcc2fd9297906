package io.multinet.watcher;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.StatusBuilder;
import io.fabric8.kubernetes.api.model.WatchEvent;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The pod watch answers 410 Gone after changes it never delivered; the informer must relist and the
 * slices must end up exactly right: nothing lost, nothing twice. Address ranges: see {@link
 * TestCluster}.
 */
@EnableKubernetesMockClient(crud = true)
class WatchRelistTest {

  KubernetesMockServer server;
  KubernetesClient client;
  private EndpointWatcher watcher;

  @AfterEach
  void tearDown() {
    if (watcher != null) {
      watcher.close();
    }
    // Closed before the extension stops the server: the mock server's shutdown waits for open
    // WebSockets (fabric8io/kubernetes-client#8131), and this test's watches are the last ones.
    client.close();
  }

  @Test
  void podWatch410_afterMissedChanges_relistsToTheExactState() throws Exception {
    var cluster = new TestCluster(client).crds().blueAndRed();
    cluster.pod("stays", "web", "node-1", "default/blue-net", "10.1.0.11");
    cluster.pod("goes", "web", "node-1", "default/blue-net", "10.1.0.12");
    cluster.service("web", "blue", "web", 80, 8080);
    // The pod informer lists at this resource version, then opens its watch from it: that watch
    // stays silent for 1.5 s and then reports 410 Gone, as an API server does after compaction.
    String rv = client.pods().inAnyNamespace().list().getMetadata().getResourceVersion();
    server
        .expect()
        .get()
        .withPath(
            "/api/v1/pods?allowWatchBookmarks=true&resourceVersion="
                + rv
                + "&timeoutSeconds=600&watch=true")
        .andUpgradeToWebSocket()
        .open()
        .waitFor(1500)
        .andEmit(
            new WatchEvent(
                new StatusBuilder().withCode(410).withMessage("too old resource version").build(),
                "ERROR"))
        .done()
        .once();

    watcher = new EndpointWatcher(client, Clock.systemUTC());
    watcher.start();
    watcher.setLeading(true);
    await()
        .atMost(Duration.ofSeconds(10))
        .untilAsserted(
            () ->
                assertThat(cluster.endpoints("web"))
                    .containsExactly("10.1.0.11:8080 ready blue", "10.1.0.12:8080 ready blue"));

    // Changes the silent watch never delivers.
    client.pods().inNamespace("default").withName("goes").delete();
    cluster.pod("comes", "web", "node-2", "default/blue-net", "10.1.0.13");
    client
        .pods()
        .inNamespace("default")
        .withName("stays")
        .edit(
            p -> {
              p.getMetadata().setLabels(Map.of("app", "web", "touched", "yes"));
              return p;
            });

    await()
        .atMost(Duration.ofSeconds(20))
        .untilAsserted(
            () ->
                assertThat(cluster.endpoints("web"))
                    .containsExactly("10.1.0.11:8080 ready blue", "10.1.0.13:8080 ready blue"));
  }

  @Test
  void namespaceDefaultNetwork_appliesToUnannotatedServices() throws Exception {
    var cluster = new TestCluster(client).crds().blueAndRed();
    client
        .resource(
            new io.fabric8.kubernetes.api.model.NamespaceBuilder()
                .withNewMetadata()
                .withName("default")
                .withAnnotations(Map.of("multinet.io/default-network", "red"))
                .endMetadata()
                .build())
        .create();
    cluster.pod("red-1", "web", "node-1", "default/red-net", "10.1.0.21");
    client
        .resource(
            new io.fabric8.kubernetes.api.model.ServiceBuilder()
                .withNewMetadata()
                .withName("plain")
                .withNamespace("default")
                .endMetadata()
                .withNewSpec()
                .withSelector(Map.of("app", "web"))
                .addNewPort()
                .withName("http")
                .withPort(80)
                .withNewTargetPort(8080)
                .endPort()
                .endSpec()
                .build())
        .create();

    watcher = new EndpointWatcher(client, Clock.systemUTC());
    watcher.start();
    watcher.setLeading(true);

    await()
        .atMost(Duration.ofSeconds(10))
        .untilAsserted(
            () ->
                assertThat(cluster.endpoints("plain")).containsExactly("10.1.0.21:8080 ready red"));
  }
}
