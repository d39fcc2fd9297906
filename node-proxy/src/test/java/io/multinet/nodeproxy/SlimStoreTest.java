package io.multinet.nodeproxy;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.ManagedFieldsEntryBuilder;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSliceBuilder;
import org.junit.jupiter.api.Test;

/** The informer store's trimming. Endpoint addresses: 10.0.0.0/16 (nothing is sent to them). */
class SlimStoreTest {

  @Test
  void put_sharesRepeatedStringsAndEmptyMaps_andDropsManagedFields() {
    var store = new SlimStore<EndpointSlice>();
    // Distinct String objects with equal content, as JSON parsing produces them.
    EndpointSlice a = slice("a", new String("node-1"));
    EndpointSlice b = slice("b", new String("node-1"));

    store.put("ns/a", a);
    store.put("ns/b", b);

    var ea = store.get("ns/a").getEndpoints().getFirst();
    var eb = store.get("ns/b").getEndpoints().getFirst();
    assertThat(ea.getNodeName()).isEqualTo("node-1").isSameAs(eb.getNodeName());
    assertThat(store.get("ns/a").getMetadata().getLabels().get("kubernetes.io/service-name"))
        .isSameAs(store.get("ns/b").getMetadata().getLabels().get("kubernetes.io/service-name"));
    assertThat(ea.getAdditionalProperties()).isEmpty();
    assertThat(ea.getAdditionalProperties()).isSameAs(eb.getAdditionalProperties());
    assertThat(ea.getConditions()).isSameAs(eb.getConditions()); // equal conditions: one object
    assertThat(store.get("ns/a").getMetadata().getManagedFields()).isNull();
    assertThat(ea.getTargetRef()).isNull();
    // What a sync reads is untouched.
    assertThat(ea.getAddresses()).containsExactly("10.0.0.5");
    assertThat(ea.getConditions().getReady()).isTrue();
    assertThat(store.get("ns/a").getPorts().getFirst().getPort()).isEqualTo(8080);
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

  private static EndpointSlice slice(String name, String node) {
    return new EndpointSliceBuilder()
        .withNewMetadata()
        .withName(name)
        .withNamespace("ns")
        .addToLabels(new String("kubernetes.io/service-name"), new String("web"))
        .addToManagedFields(new ManagedFieldsEntryBuilder().withManager("kubectl").build())
        .endMetadata()
        .withAddressType("IPv4")
        .addNewPort()
        .withName("http")
        .withProtocol("TCP")
        .withPort(8080)
        .endPort()
        .addNewEndpoint()
        .withAddresses("10.0.0.5")
        .withNodeName(node)
        .withNewTargetRef()
        .withKind("Pod")
        .withNamespace("ns")
        .withName("web-" + name)
        .withUid("uid-" + name)
        .endTargetRef()
        .withNewConditions()
        .withReady(true)
        .endConditions()
        .endEndpoint()
        .build();
  }
}
