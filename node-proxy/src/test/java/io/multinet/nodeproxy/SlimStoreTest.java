package io.multinet.nodeproxy;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.ManagedFieldsEntryBuilder;
import org.junit.jupiter.api.Test;

/** The Service informer store's trimming. */
class SlimStoreTest {

  @Test
  void put_ofAService_dropsManagedFieldsAndSharesEmptyMaps() {
    var store = new SlimStore<io.fabric8.kubernetes.api.model.Service>();
    for (String name : java.util.List.of("a", "b")) {
      store.put(
          "ns/" + name,
          new io.fabric8.kubernetes.api.model.ServiceBuilder()
              .withNewMetadata()
              .withName(name)
              .withNamespace(new String("ns"))
              .addToManagedFields(new ManagedFieldsEntryBuilder().withManager("kubectl").build())
              .endMetadata()
              .withNewSpec()
              .addNewPort()
              .withPort(80)
              .endPort()
              .endSpec()
              .build());
    }

    var a = store.get("ns/a");
    var b = store.get("ns/b");
    assertThat(a.getMetadata().getManagedFields()).isNull();
    assertThat(a.getMetadata().getNamespace()).isSameAs(b.getMetadata().getNamespace());
    assertThat(a.getSpec().getAdditionalProperties()).isEmpty();
    assertThat(a.getSpec().getAdditionalProperties())
        .isSameAs(b.getSpec().getAdditionalProperties());
    assertThat(a.getSpec().getPorts().getFirst().getPort()).isEqualTo(80);
  }

  @Test
  void put_sharesAnnotationKeysAndShortValues_andDropsLastApplied() {
    var store = new SlimStore<io.fabric8.kubernetes.api.model.Service>();
    for (String name : java.util.List.of("a", "b")) {
      store.put(
          "ns/" + name,
          new io.fabric8.kubernetes.api.model.ServiceBuilder()
              .withNewMetadata()
              .withName(name)
              .withNamespace("ns")
              .addToAnnotations(new String("multinet.io/network"), new String("blue"))
              .addToAnnotations(SlimStore.LAST_APPLIED, "{\"kind\":\"Service\"}")
              .addToAnnotations("note", "x".repeat(100) + name)
              .endMetadata()
              .build());
    }

    var a = store.get("ns/a").getMetadata().getAnnotations();
    var b = store.get("ns/b").getMetadata().getAnnotations();
    assertThat(a).containsOnlyKeys("multinet.io/network", "note");
    assertThat(a.get("multinet.io/network"))
        .isEqualTo("blue")
        .isSameAs(b.get("multinet.io/network"));
    assertThat(a.keySet().stream().filter(k -> k.equals("multinet.io/network")).findFirst().get())
        .isSameAs(
            b.keySet().stream().filter(k -> k.equals("multinet.io/network")).findFirst().get());
    assertThat(a.get("note")).isEqualTo("x".repeat(100) + "a");
  }

  @Test
  void put_nullLabelOrAnnotationValue_isDroppedNotThrown() {
    var store = new SlimStore<io.fabric8.kubernetes.api.model.Service>();
    var labels = new java.util.HashMap<String, String>();
    labels.put("app", null);
    labels.put("tier", "web");
    var annotations = new java.util.HashMap<String, String>();
    annotations.put("multinet.io/network", null);
    var svc =
        new io.fabric8.kubernetes.api.model.ServiceBuilder()
            .withNewMetadata()
            .withName("a")
            .withNamespace("ns")
            .endMetadata()
            .build();
    svc.getMetadata().setLabels(labels);
    svc.getMetadata().setAnnotations(annotations);

    store.put("ns/a", svc);

    assertThat(store.get("ns/a").getMetadata().getLabels()).containsOnlyKeys("tier");
    assertThat(store.get("ns/a").getMetadata().getAnnotations()).isEmpty();
  }
}
