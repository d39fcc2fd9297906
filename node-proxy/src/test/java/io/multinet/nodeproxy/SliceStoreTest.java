package io.multinet.nodeproxy;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSliceBuilder;
import io.multinet.kube.WellKnown;
import io.multinet.nodeproxy.view.SliceRecord;
import org.junit.jupiter.api.Test;

/** The EndpointSlice informer's store. Addresses: 10.0.0.0/16, nothing is sent to them. */
class SliceStoreTest {

  private static EndpointSlice slice(String name, String service, String version) {
    return new EndpointSliceBuilder()
        .withNewMetadata()
        .withName(name)
        .withNamespace("shop")
        .withResourceVersion(version)
        .addToLabels(WellKnown.SERVICE_NAME_LABEL, service)
        .endMetadata()
        .withAddressType("IPv4")
        .addNewEndpoint()
        .withAddresses("10.0.0.5")
        .endEndpoint()
        .build();
  }

  @Test
  void put_ofASlice_keepsItsRecordUnderItsService() {
    var store = new SliceStore();

    EndpointSlice old = store.put("shop/web-a", slice("web-a", "web", "1"));

    assertThat(old).isNull();
    assertThat(store.slices("shop/web"))
        .containsExactly(SliceRecord.of(slice("web-a", "web", "1")));
    EndpointSlice view = store.get("shop/web-a");
    assertThat(view.getMetadata().getResourceVersion()).isEqualTo("1");
    assertThat(view.getMetadata().getLabels()).containsEntry(WellKnown.SERVICE_NAME_LABEL, "web");
    assertThat(((SliceStore.View) view).record()).isEqualTo(store.slices("shop/web").getFirst());
    assertThat(store.getKey(view)).isEqualTo("shop/web-a");
    assertThat(store.size()).isEqualTo(1);
    assertThat(store.keySet()).containsExactly("shop/web-a");
  }

  @Test
  void put_ofAnUpdateNamingAnotherService_movesItAndReturnsTheOldVersion() {
    var store = new SliceStore();
    var _ = store.put("shop/s", slice("s", "web", "1"));

    EndpointSlice old = store.put("shop/s", slice("s", "db", "2"));

    assertThat(old.getMetadata().getResourceVersion()).isEqualTo("1");
    assertThat(store.slices("shop/web")).isEmpty();
    assertThat(store.slices("shop/db"))
        .extracting(SliceRecord::resourceVersion)
        .containsExactly("2");
  }

  @Test
  void remove_ofAStoredSlice_forgetsItEverywhere() {
    var store = new SliceStore();
    var _ = store.put("shop/s", slice("s", "web", "1"));
    var _ = store.put("shop/t", slice("t", "web", "1"));

    EndpointSlice removed = store.remove("shop/s");

    assertThat(removed.getMetadata().getName()).isEqualTo("s");
    assertThat(store.get("shop/s")).isNull();
    assertThat(store.slices("shop/web")).extracting(SliceRecord::name).containsExactly("t");
    assertThat(store.remove("shop/s")).isNull();
    assertThat(store.values()).hasSize(1);
  }

  @Test
  void relevant_ofTheStoredViewAndTheObject_isEqual() {
    var store = new SliceStore();
    EndpointSlice full = slice("s", "web", "1");
    var _ = store.put("shop/s", full);
    EndpointSlice next = slice("s", "web", "2"); // a new version with the same content

    assertThat(NodeProxy.relevant(store.get("shop/s"))).isEqualTo(NodeProxy.relevant(next));
    assertThat(NodeProxy.relevant(store.get("shop/s")))
        .isNotEqualTo(NodeProxy.relevant(slice("s", "db", "2")));
  }
}
