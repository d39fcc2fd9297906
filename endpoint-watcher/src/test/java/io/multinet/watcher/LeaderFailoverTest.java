package io.multinet.watcher;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.multinet.kube.crd.ClusterIPClaim;
import java.time.Clock;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Two controller replicas on one mock API server. Address ranges: see {@link TestCluster}. */
@EnableKubernetesMockClient(crud = true)
class LeaderFailoverTest {

  private static final LeaderElection.Timing FAST =
      new LeaderElection.Timing(
          Duration.ofSeconds(2), Duration.ofMillis(1500), Duration.ofMillis(200));

  KubernetesMockServer server;
  KubernetesClient client;

  @Test
  void leaderChange_midChurn_leavesSlicesAndAllocationsConsistent() throws Exception {
    var cluster = new TestCluster(client).crds().blueAndRed();
    for (int i = 0; i < 10; i++) {
      cluster.service("svc-" + i, i % 2 == 0 ? "blue" : "red", "web", 80, 8080);
    }
    cluster.pod(
        "p-0", "web", "node-1", "default/blue-net", "10.1.0.10", "default/red-net", "10.1.0.10");

    KubernetesClient c1 = server.createClient();
    KubernetesClient c2 = server.createClient();
    var w1 = new EndpointWatcher(c1, Clock.systemUTC());
    var w2 = new EndpointWatcher(c2, Clock.systemUTC());
    try {
      w1.start();
      w2.start();
      var e1 = new LeaderElection(c1, w1, "default", "replica-1", FAST);
      var e2 = new LeaderElection(c2, w2, "default", "replica-2", FAST);
      e1.start();
      await().atMost(Duration.ofSeconds(10)).until(w1::isLeading);
      e2.start();

      // Churn while replica-1 leads, then replica-1 goes away mid-way.
      for (int i = 1; i < 6; i++) {
        cluster.pod(
            "p-" + i,
            "web",
            "node-1",
            "default/blue-net",
            "10.1.0." + (10 + i),
            "default/red-net",
            "10.1.0." + (10 + i));
      }
      // Replica-1 stops leading; its informers stay open until the end because closing a watch
      // while the mock server is still sending on it can block the mock server's only event loop
      // for up to a minute (WatchEventsListener.onClosed awaits its executor on that loop; so
      // in fabric8 8.0.0 too).
      e1.close();
      await().atMost(Duration.ofSeconds(15)).until(w2::isLeading);
      assertThat(w1.isLeading()).isFalse();
      for (int i = 6; i < 10; i++) {
        cluster.pod(
            "p-" + i,
            "web",
            "node-1",
            "default/blue-net",
            "10.1.0." + (10 + i),
            "default/red-net",
            "10.1.0." + (10 + i));
      }
      assertThat(w2.awaitIdle(Duration.ofSeconds(30), Duration.ofMillis(500))).isTrue();

      for (int i = 0; i < 10; i++) {
        String net = i % 2 == 0 ? "blue" : "red";
        assertThat(cluster.endpoints("svc-" + i))
            .as("svc-%d", i)
            .hasSize(10)
            .allMatch(e -> e.endsWith(" ready " + net));
      }
      // One claim per Service, and no address twice within a network.
      List<ClusterIPClaim> claims = cluster.serviceClaims();
      assertThat(claims).hasSize(10);
      var perNetwork = new HashSet<String>();
      var services = new HashSet<String>();
      for (ClusterIPClaim c : claims) {
        assertThat(perNetwork.add(c.getSpec().network + "/" + c.getSpec().address)).isTrue();
        assertThat(services.add(c.getSpec().serviceName)).isTrue();
        String annotated =
            client
                .services()
                .inNamespace("default")
                .withName(c.getSpec().serviceName)
                .get()
                .getMetadata()
                .getAnnotations()
                .get("multinet.io/cluster-ips");
        assertThat(annotated).isEqualTo(c.getSpec().address);
      }
      e2.close();
    } finally {
      w1.close();
      w2.close();
      c1.close();
      c2.close();
    }
  }
}
