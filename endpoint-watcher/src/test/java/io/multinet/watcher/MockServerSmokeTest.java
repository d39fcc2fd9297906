package io.multinet.watcher;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import org.junit.jupiter.api.Test;

@EnableKubernetesMockClient(crud = true)
class MockServerSmokeTest {

  KubernetesClient client;

  @Test
  void create_thenList() {
    client
        .services()
        .inNamespace("ns")
        .resource(new ServiceBuilder().withNewMetadata().withName("web").endMetadata().build())
        .create();
    assertThat(client.services().inNamespace("ns").list().getItems()).hasSize(1);
  }
}
