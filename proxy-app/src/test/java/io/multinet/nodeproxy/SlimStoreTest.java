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
