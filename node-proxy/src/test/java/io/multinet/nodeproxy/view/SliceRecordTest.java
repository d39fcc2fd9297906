package io.multinet.nodeproxy.view;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSliceBuilder;
import io.multinet.kube.WellKnown;
import io.multinet.network.IpAddress;
import java.util.List;
import org.junit.jupiter.api.Test;

/** EndpointSlices as the node proxy keeps them. Addresses: 10.0.0.0/16, nothing is sent to them. */
class SliceRecordTest {

  private static EndpointSliceBuilder slice(String name, String node) {
    return new EndpointSliceBuilder()
        .withNewMetadata()
        .withName(name)
        .withNamespace(new String("shop"))
        .withResourceVersion("7")
        .addToLabels(new String(WellKnown.SERVICE_NAME_LABEL), new String("web"))
        .addToLabels(WellKnown.MANAGED_BY_LABEL, WellKnown.MANAGED_BY)
        .addToLabels(WellKnown.NETWORK_LABEL, new String("blue"))
        .addToAnnotations(WellKnown.INTERFACES, "{\"10.0.0.5\":\"net1\",\"10.0.0.6\":\"net2\"}")
        .addToAnnotations(SliceRecord.TRIGGER_TIME, "2026-12-08T00:00:00Z")
        .addToAnnotations("kubectl.kubernetes.io/last-applied-configuration", "{}")
        .endMetadata()
        .withAddressType("IPv4")
        .addNewPort()
        .withName(new String("http"))
        .withProtocol("TCP")
        .withPort(8080)
        .endPort()
        .addNewEndpoint()
        .withAddresses("10.0.0.5", "10.0.0.7")
        .withNodeName(node)
        .withZone("zone-a")
        .withHostname("web-0")
        .withNewTargetRef()
        .withKind("Pod")
        .withName("web-0")
        .endTargetRef()
        .withNewConditions()
        .withReady(false)
        .withServing(true)
        .withTerminating(true)
        .endConditions()
        .withNewHints()
        .addNewForZone("zone-a")
        .addNewForNode("node-1")
        .endHints()
        .endEndpoint()
        .addNewEndpoint()
        .withAddresses("10.0.0.6")
        .endEndpoint();
  }

  @Test
  void of_aFullSlice_keepsEveryFieldTheSyncReads() {
    SliceRecord r = SliceRecord.of(slice("web-abc", "node-1").build());

    assertThat(r.namespace()).isEqualTo("shop");
    assertThat(r.name()).isEqualTo("web-abc");
    assertThat(r.resourceVersion()).isEqualTo("7");
    assertThat(r.service()).isEqualTo("web");
    assertThat(r.serviceKey()).isEqualTo("shop/web");
    assertThat(r.ours()).isTrue();
    assertThat(r.network()).isEqualTo("blue");
    assertThat(r.addressType()).isEqualTo("IPv4");
    assertThat(r.triggerTime()).isEqualTo("2026-12-08T00:00:00Z");
    assertThat(r.ports()).containsExactly(new SliceRecord.Port("http", "TCP", 8080));
    assertThat(r.endpoints())
        .containsExactly(
            new SliceRecord.EndpointRecord(
                IpAddress.parse("10.0.0.5"),
                List.of(IpAddress.parse("10.0.0.7")),
                null,
                false,
                true,
                true,
                "node-1",
                "zone-a",
                "web-0",
                List.of("zone-a"),
                List.of("node-1"),
                "net1"),
            // No conditions: Kubernetes' nil ready is ready, nil serving is ready.
            new SliceRecord.EndpointRecord(
                IpAddress.parse("10.0.0.6"),
                List.of(),
                null,
                true,
                true,
                false,
                null,
                null,
                null,
                List.of(),
                List.of(),
                "net2"));
  }

  @Test
  void of_twoSlices_sharesRepeatedStringsAndPortLists() {
    SliceRecord a = SliceRecord.of(slice("a", new String("node-1")).build());
    SliceRecord b = SliceRecord.of(slice("b", new String("node-1")).build());

    assertThat(b.namespace()).isSameAs(a.namespace());
    assertThat(b.service()).isSameAs(a.service());
    assertThat(b.network()).isSameAs(a.network());
    assertThat(b.ports()).isSameAs(a.ports());
    assertThat(b.endpoints().getFirst().nodeName()).isSameAs(a.endpoints().getFirst().nodeName());
    assertThat(b.endpoints().getFirst().interfaceName())
        .isSameAs(a.endpoints().getFirst().interfaceName());
  }

  @Test
  void of_anUnparsableFirstAddress_keepsTheErrorTheSyncReports() {
    EndpointSlice bad =
        new EndpointSliceBuilder()
            .withNewMetadata()
            .withName("bad")
            .withNamespace("shop")
            .addToLabels(WellKnown.SERVICE_NAME_LABEL, "web")
            .endMetadata()
            .withAddressType("IPv4")
            .addNewPort()
            .withName("http")
            .withPort(8080)
            .endPort()
            .addNewEndpoint()
            .withAddresses("10.0.0.999", "10.0.0.8")
            .endEndpoint()
            .build();
    String expected;
    try {
      IpAddress.parse("10.0.0.999");
      throw new AssertionError("expected 10.0.0.999 not to parse");
    } catch (IllegalArgumentException e) {
      expected = e.getMessage();
    }
    var service =
        new ServiceBuilder()
            .withNewMetadata()
            .withName("web")
            .withNamespace("shop")
            .endMetadata()
            .withNewSpec()
            .withClusterIP("10.96.0.10")
            .addNewPort()
            .withName("http")
            .withPort(80)
            .endPort()
            .endSpec()
            .build();

    SliceRecord r = SliceRecord.of(bad);
    ServicePortMapper.Result mapped = ServicePortMapper.map(service, null, List.of(r));

    assertThat(r.endpoints().getFirst().firstInvalid()).isEqualTo(expected);
    assertThat(r.endpoints().getFirst().address()).isNull();
    assertThat(r.endpoints().getFirst().addresses()).containsExactly(IpAddress.parse("10.0.0.8"));
    assertThat(mapped.skipped()).containsExactly("shop/bad: " + expected);
    assertThat(mapped.ports()).hasSize(1);
    assertThat(mapped.ports().getFirst().endpoints()).isEmpty();
  }

  @Test
  void of_aSliceWithoutLabelsOrEndpoints_namesNoService() {
    SliceRecord r =
        SliceRecord.of(
            new EndpointSliceBuilder()
                .withNewMetadata()
                .withName("orphan")
                .withNamespace("shop")
                .endMetadata()
                .build());

    assertThat(r.service()).isNull();
    assertThat(r.serviceKey()).isNull();
    assertThat(r.ours()).isFalse();
    assertThat(r.endpoints()).isEmpty();
    assertThat(r.ports()).isEmpty();
  }
}
