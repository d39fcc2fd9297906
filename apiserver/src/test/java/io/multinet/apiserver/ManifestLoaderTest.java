package io.multinet.apiserver;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import java.io.ByteArrayInputStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

/** Loading what {@code kubectl get -A -o yaml} printed keeps what the dump says. */
@EnableKubernetesMockClient(crud = true)
class ManifestLoaderTest {

  KubernetesClient client;

  /**
   * A Pod in its termination grace period carries {@code metadata.deletionTimestamp}; Kubernetes'
   * EndpointSlice controller publishes it as terminating (KEP-1672), so the loaded object must keep
   * it although an API server clears it on create. See
   * https://kubernetes.io/docs/concepts/services-networking/endpoint-slices/#conditions
   */
  @Test
  void create_terminatingPodFromDump_keepsDeletionTimestamp() {
    var loader = new ManifestLoader(client, "default");
    String dump =
        """
        apiVersion: v1
        kind: List
        items:
        - apiVersion: v1
          kind: Pod
          metadata: {name: cart-0, namespace: shop, uid: 9f00, resourceVersion: "31",
                     deletionTimestamp: "2026-11-01T00:10:00Z", deletionGracePeriodSeconds: 30}
          spec: {nodeName: node-1, containers: [{name: c, image: cart}]}
          status: {phase: Running, conditions: [{type: Ready, status: "True"}]}
        - apiVersion: v1
          kind: Pod
          metadata: {name: cart-1, namespace: shop}
          spec: {nodeName: node-1, containers: [{name: c, image: cart}]}
        """;

    var result =
        loader.create(
            loader.parse(new ByteArrayInputStream(dump.getBytes(StandardCharsets.UTF_8))));

    assertThat(result.problems()).isEmpty();
    Pod terminating = client.pods().inNamespace("shop").withName("cart-0").get();
    assertThat(terminating.getMetadata().getDeletionTimestamp()).isEqualTo("2026-11-01T00:10:00Z");
    assertThat(terminating.getStatus().getConditions().getFirst().getStatus()).isEqualTo("True");
    assertThat(terminating.getMetadata().getFinalizers()).containsExactly(ManifestLoader.HOLD);
    Pod live = client.pods().inNamespace("shop").withName("cart-1").get();
    assertThat(live.getMetadata().getDeletionTimestamp()).isNull();
  }
}
