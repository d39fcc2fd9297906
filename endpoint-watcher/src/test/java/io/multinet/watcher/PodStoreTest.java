package io.multinet.watcher;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.ContainerPort;
import io.fabric8.kubernetes.api.model.ContainerPortBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.multinet.watcher.slice.PodRecord;
import java.util.Map;
import org.junit.jupiter.api.Test;

// Addresses: 192.0.2.0/24 (TEST-NET-1), never routed; no traffic in this test.
class PodStoreTest {

  private static final String NETWORK_STATUS =
      "[{\"name\":\"default/blue\",\"interface\":\"net1\",\"ips\":[\"192.0.2.10\"]}]";

  static Pod fullPod() {
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
                "kubectl.kubernetes.io/last-applied-configuration",
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
  void put_ofAFullPod_keepsItsRecordAndGivesTheInformerItsMetadata() {
    var store = new PodStore();

    Pod old = store.put("shop/web-1", fullPod());

    assertThat(old).isNull();
    assertThat(store.record("shop/web-1")).isEqualTo(PodRecord.of(fullPod()));
    Pod view = store.get("shop/web-1");
    assertThat(view.getMetadata().getNamespace()).isEqualTo("shop");
    assertThat(view.getMetadata().getName()).isEqualTo("web-1");
    assertThat(view.getMetadata().getUid()).isEqualTo("0d6a1c3e");
    assertThat(view.getMetadata().getResourceVersion()).isEqualTo("42");
    assertThat(view.getMetadata().getLabels()).isEqualTo(Map.of("app", "web"));
    assertThat(store.getKey(fullPod())).isEqualTo("shop/web-1");
  }

  @Test
  void put_ofAnUpdate_returnsTheOldVersionForTheInformersCheck() {
    var store = new PodStore();
    var _ = store.put("shop/web-1", fullPod());
    Pod next = fullPod();
    next.getMetadata().setResourceVersion("43");
    next.getMetadata().setLabels(Map.of("app", "shop"));

    Pod old = store.put("shop/web-1", next);

    assertThat(old.getMetadata().getResourceVersion()).isEqualTo("42");
    assertThat(old.getMetadata().getLabels()).isEqualTo(Map.of("app", "web"));
    assertThat(store.record("shop/web-1").labels()).isEqualTo(Map.of("app", "shop"));
  }

  @Test
  void inNamespace_ofTwoNamespaces_givesOnlyThatNamespacesRecords() {
    var store = new PodStore();
    var _ = store.put("shop/web-1", fullPod());
    Pod other = fullPod();
    other.getMetadata().setNamespace("bank");
    var _ = store.put("bank/web-1", other);

    assertThat(store.inNamespace("shop")).extracting(PodRecord::namespace).containsExactly("shop");
    assertThat(store.inNamespace("none")).isEmpty();
    assertThat(store.size()).isEqualTo(2);
    assertThat(store.keySet()).containsExactlyInAnyOrder("shop/web-1", "bank/web-1");
    assertThat(store.values()).hasSize(2);
  }

  @Test
  void remove_ofAStoredPod_returnsItsViewAndForgetsIt() {
    var store = new PodStore();
    var _ = store.put("shop/web-1", fullPod());

    Pod removed = store.remove("shop/web-1");

    assertThat(removed.getMetadata().getName()).isEqualTo("web-1");
    assertThat(store.get("shop/web-1")).isNull();
    assertThat(store.inNamespace("shop")).isEmpty();
    assertThat(store.remove("shop/web-1")).isNull();
    assertThat(store.remove("no-slash")).isNull();
    assertThat(store.size()).isZero();
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

    PodRecord r = store.record("shop/bare");
    assertThat(r.nodeName()).isNull();
    assertThat(r.ports()).isEmpty();
    assertThat(r.ready()).isFalse();
    assertThat(r.uid()).isEmpty();
    assertThat(store.get("shop/bare").getMetadata().getUid()).isNull();
    assertThat(store.keySet()).containsExactly("shop/bare");
  }
}
