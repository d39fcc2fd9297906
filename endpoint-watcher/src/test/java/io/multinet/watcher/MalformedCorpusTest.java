package io.multinet.watcher;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.multinet.kube.attachment.NetworkStatus;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A corpus of 50 malformed objects fed in while good pods keep changing: each gets one Event and
 * one metric increment, and nothing else changes. Address ranges: see {@link TestCluster}; good
 * pods are 10.1.0.10-19 on blue, red's pod is 10.1.0.50, malformed pods copy good-0.
 */
@EnableKubernetesMockClient(crud = true)
class MalformedCorpusTest {

  static final int CORPUS = 50;

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

  @Test
  void malformedNetworkStatus_corpusUnderChurn_eachGetsAnEventAndAMetricAndNothingElseChanges()
      throws Exception {
    Pod template = cluster.pod("good-0", "web", "node-1", "default/blue-net", "10.1.0.10");
    cluster.pod("red-0", "db", "node-1", "default/red-net", "10.1.0.50");
    cluster.service("web-blue", "blue", "web", 80, 8080);
    cluster.service("db-red", "red", "db", 5432, 5432);
    watcher.start();
    watcher.setLeading(true);
    assertThat(watcher.awaitIdle(Duration.ofSeconds(20), Duration.ofMillis(300))).isTrue();
    String redSliceVersion = cluster.slices("db-red").getFirst().getMetadata().getResourceVersion();
    long claims =
        client.resources(io.multinet.kube.crd.ClusterIPClaim.class).list().getItems().size();

    // Each malformed object is a distinct strict prefix of a valid network-status annotation (a
    // strict prefix of a JSON array never parses), on a pod web-blue selects.
    String valid = cluster.annotation(template, NetworkStatus.ANNOTATION);
    assertThat(valid.length()).isGreaterThan(CORPUS + 1);
    Set<String> bad = new HashSet<>();
    List<String> good = new ArrayList<>(List.of("10.1.0.10:8080 ready blue"));
    for (int i = 0; i < CORPUS; i++) {
      int cut = 1 + i * (valid.length() - 2) / CORPUS;
      client.resource(malformed(template, "bad-" + i, valid.substring(0, cut))).create();
      bad.add("bad-" + i);
      if (i % 10 == 9) { // normal traffic: a good pod joins every tenth malformed object
        int n = i / 10 + 1;
        cluster.pod("good-" + n, "web", "node-1", "default/blue-net", "10.1.0." + (10 + n));
        good.add("10.1.0." + (10 + n) + ":8080 ready blue");
      }
    }
    good.sort(null);

    await()
        .atMost(Duration.ofSeconds(30))
        .untilAsserted(
            () -> {
              assertThat(cluster.endpoints("web-blue")).containsExactlyElementsOf(good);
              assertThat(watcher.metrics().count("MalformedNetworkStatus")).isEqualTo(CORPUS);
              Set<String> reported = new HashSet<>();
              for (Event e : client.v1().events().inNamespace("default").list().getItems()) {
                if ("MalformedNetworkStatus".equals(e.getReason())) {
                  assertThat(reported.add(e.getInvolvedObject().getName())).isTrue();
                }
              }
              assertThat(reported).isEqualTo(bad);
            });
    assertThat(watcher.awaitIdle(Duration.ofSeconds(20), Duration.ofMillis(300))).isTrue();
    // Nothing else changed: red's slice, the claims, and no other problem was counted.
    assertThat(cluster.slices("db-red").getFirst().getMetadata().getResourceVersion())
        .isEqualTo(redSliceVersion);
    assertThat(client.resources(io.multinet.kube.crd.ClusterIPClaim.class).list().getItems())
        .hasSize((int) claims);
    // ReconcileError may count 409 conflicts of the churn (a slice written while the controller's
    // cache still held the previous version), which are retried: not a problem of the corpus.
    var problems = new HashSet<>(watcher.metrics().snapshot().keySet());
    problems.remove("ReconcileError");
    assertThat(problems).containsExactly("MalformedNetworkStatus");
  }

  /** A copy of a good pod under another name with the given network-status annotation. */
  private static Pod malformed(Pod template, String name, String networkStatus) {
    return new PodBuilder(template)
        .editMetadata()
        .withName(name)
        .withResourceVersion(null)
        .withUid(null)
        .withCreationTimestamp(null)
        .addToAnnotations(NetworkStatus.ANNOTATION, networkStatus)
        .endMetadata()
        .build();
  }
}
