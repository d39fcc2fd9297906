package io.multinet.watcher;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.ContainerPort;
import io.fabric8.kubernetes.api.model.ContainerPortBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import java.util.Map;
import org.junit.jupiter.api.Test;

// Addresses: 192.0.2.0/24 (TEST-NET-1), never routed; no traffic in this test.
class PodStoreTest {

  private static final String NETWORK_STATUS =
      "[{\"name\":\"default/blue\",\"interface\":\"net1\",\"ips\":[\"192.0.2.10\"]}]";

  private static Pod fullPod() {
    ContainerPort http =
        new ContainerPortBuilder().withName("http").withContainerPort(8080).build();
    return new PodBuilder()
        .withNewMetadata()
        .withName("web-1")
        .withNamespace("shop")
        .withUid("0d6a1c3e")
        .withResourceVersion("42")
        .withLabels(Map.of("app", "web"))
        .withAnnotations(
            Map.of(
                "k8s.v1.cni.cncf.io/network-status",
                NETWORK_STATUS,
                PodStore.LAST_APPLIED,
                "{\"apiVersion\":\"v1\",\"kind\":\"Pod\",\"spec\":{}}"))
        .withDeletionTimestamp("2026-12-06T00:00:00Z")
        .addNewManagedField()
        .withManager("kubectl")
        .withOperation("Apply")
        .endManagedField()
        .addNewOwnerReference()
        .withKind("ReplicaSet")
        .withName("web")
        .withUid("9f")
        .endOwnerReference()
        .endMetadata()
        .withNewSpec()
        .withNodeName("node-a")
        .withHostname("web-1")
        .withSubdomain("web")
        .withServiceAccountName("web")
        .addNewContainer()
        .withName("web")
        .withImage("registry.example/web:1.2.3")
        .withPorts(http)
        .addNewEnv()
        .withName("MODE")
        .withValue("production")
        .endEnv()
        .endContainer()
        .addNewVolume()
        .withName("data")
        .withNewEmptyDir()
        .endEmptyDir()
        .endVolume()
        .endSpec()
        .withNewStatus()
        .withPhase("Running")
        .withPodIP("192.0.2.10")
        .addNewCondition()
        .withType("Ready")
        .withStatus("True")
        .withLastTransitionTime("2026-12-06T00:00:00Z")
        .withMessage("all containers ready")
        .endCondition()
        .addNewContainerStatus()
        .withName("web")
        .withImage("registry.example/web:1.2.3")
        .withReady(true)
        .endContainerStatus()
        .endStatus()
        .build();
  }

  @Test
  void slim_ofAFullPod_keepsWhatEndpointsAreBuiltFrom() {
    Pod pod = PodStore.slim(fullPod());

    assertThat(pod.getMetadata().getName()).isEqualTo("web-1");
    assertThat(pod.getMetadata().getNamespace()).isEqualTo("shop");
    assertThat(pod.getMetadata().getUid()).isEqualTo("0d6a1c3e");
    assertThat(pod.getMetadata().getResourceVersion()).isEqualTo("42");
    assertThat(pod.getMetadata().getLabels()).isEqualTo(Map.of("app", "web"));
    assertThat(pod.getMetadata().getAnnotations())
        .isEqualTo(Map.of("k8s.v1.cni.cncf.io/network-status", NETWORK_STATUS));
    assertThat(pod.getMetadata().getDeletionTimestamp()).isEqualTo("2026-12-06T00:00:00Z");
    assertThat(pod.getSpec().getNodeName()).isEqualTo("node-a");
    assertThat(pod.getSpec().getHostname()).isEqualTo("web-1");
    assertThat(pod.getSpec().getSubdomain()).isEqualTo("web");
    assertThat(pod.getSpec().getContainers()).hasSize(1);
    assertThat(pod.getSpec().getContainers().getFirst().getName()).isEqualTo("web");
    assertThat(pod.getSpec().getContainers().getFirst().getPorts())
        .containsExactly(
            new ContainerPortBuilder().withName("http").withContainerPort(8080).build());
    assertThat(pod.getStatus().getPhase()).isEqualTo("Running");
    assertThat(pod.getStatus().getConditions()).hasSize(1);
    assertThat(pod.getStatus().getConditions().getFirst().getType()).isEqualTo("Ready");
    assertThat(pod.getStatus().getConditions().getFirst().getStatus()).isEqualTo("True");
  }

  @Test
  void slim_ofAFullPod_dropsWhatNoReconcileReads() {
    Pod pod = PodStore.slim(fullPod());

    assertThat(pod.getMetadata().getManagedFields()).isNullOrEmpty();
    assertThat(pod.getMetadata().getOwnerReferences()).isNullOrEmpty();
    assertThat(pod.getMetadata().getAnnotations()).doesNotContainKey(PodStore.LAST_APPLIED);
    assertThat(pod.getSpec().getVolumes()).isNullOrEmpty();
    assertThat(pod.getSpec().getServiceAccountName()).isNull();
    assertThat(pod.getSpec().getContainers().getFirst().getImage()).isNull();
    assertThat(pod.getSpec().getContainers().getFirst().getEnv()).isNullOrEmpty();
    assertThat(pod.getStatus().getContainerStatuses()).isNullOrEmpty();
    assertThat(pod.getStatus().getPodIP()).isNull();
    assertThat(pod.getStatus().getConditions().getFirst().getMessage()).isNull();
  }

  @Test
  void slim_ofAContainerWithoutPorts_keepsItWithNoPorts() {
    Pod pod = fullPod();
    pod.getSpec().getContainers().getFirst().setPorts(null);

    Pod slim = PodStore.slim(pod);

    assertThat(slim.getSpec().getContainers().getFirst().getPorts()).isEmpty();
  }

  @Test
  void put_ofAPodWithoutSpecOrStatus_storesItUnderItsKey() {
    var store = new PodStore();
    Pod bare =
        new PodBuilder()
            .withNewMetadata()
            .withName("bare")
            .withNamespace("shop")
            .endMetadata()
            .build();
    bare.setSpec(null);
    bare.setStatus(null);

    var _ = store.put("shop/bare", bare);

    assertThat(store.get("shop/bare")).isSameAs(bare);
    assertThat(store.get("shop/bare").getSpec()).isNull();
    assertThat(store.keySet()).containsExactly("shop/bare");
  }
}
