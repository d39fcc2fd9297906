package io.multinet.watcher.slice;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSliceBuilder;
import io.multinet.kube.WellKnown;
import io.multinet.network.IpAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** Pods use 10.1.0.0/16 and fd00:1::/64 on network blue. */
class SlicePlannerTest {

  private static final SlicePlanner.Owner OWNER = new SlicePlanner.Owner("ns", "web", "uid-web");
  private static final List<PortRef> HTTP = List.of(new PortRef("http", "TCP", 8080));
  private static final String T0 = "2026-11-23T00:00:00Z";

  @Test
  void plan_fromNothing_createsSlicesOfAtMostMax() {
    SlicePlanner.Plan p = SlicePlanner.plan(OWNER, "blue", endpoints(0, 250), List.of(), T0);
    assertThat(p.creates()).hasSize(3);
    assertThat(p.creates()).extracting(s -> s.getEndpoints().size()).containsExactly(100, 100, 50);
    EndpointSlice s = p.creates().getFirst();
    assertThat(s.getMetadata().getLabels())
        .containsEntry(WellKnown.SERVICE_NAME_LABEL, "web")
        .containsEntry(WellKnown.MANAGED_BY_LABEL, "endpoint-watcher.multinet.io")
        .containsEntry(WellKnown.NETWORK_LABEL, "blue");
    assertThat(s.getMetadata().getAnnotations()).containsEntry(SlicePlanner.TRIGGER_TIME, T0);
    assertThat(s.getMetadata().getOwnerReferences())
        .singleElement()
        .satisfies(
            r -> {
              assertThat(r.getUid()).isEqualTo("uid-web");
              assertThat(r.getController()).isTrue();
            });
    assertThat(s.getAddressType()).isEqualTo("IPv4");
    assertThat(s.getPorts())
        .singleElement()
        .satisfies(port -> assertThat(port.getPort()).isEqualTo(8080));
  }

  @Test
  void plan_unchangedView_writesNothing() {
    List<EndpointSlice> applied =
        apply(SlicePlanner.plan(OWNER, "blue", endpoints(0, 250), List.of(), T0));
    SlicePlanner.Plan again =
        SlicePlanner.plan(OWNER, "blue", endpoints(0, 250), applied, "2026-11-23T00:05:00Z");
    assertThat(again.isEmpty()).isTrue();
  }

  @Test
  void plan_onePodChanged_rewritesOneSlice() {
    List<EndpointSlice> applied =
        apply(SlicePlanner.plan(OWNER, "blue", endpoints(0, 250), List.of(), T0));
    List<DesiredEndpoint> next = new ArrayList<>(endpoints(0, 250));
    DesiredEndpoint e = next.get(170);
    next.set(
        170,
        new DesiredEndpoint(
            e.address(),
            e.ports(),
            e.podNamespace(),
            e.podName(),
            e.podUid(),
            e.nodeName(),
            e.zone(),
            false,
            false,
            true,
            Set.of(),
            e.interfaceName(),
            e.hostname()));

    SlicePlanner.Plan p = SlicePlanner.plan(OWNER, "blue", next, applied, T0);

    assertThat(p.writes()).isEqualTo(1);
    assertThat(p.updates())
        .singleElement()
        .satisfies(
            s ->
                assertThat(s.getEndpoints())
                    .anySatisfy(ep -> assertThat(ep.getConditions().getTerminating()).isTrue()));
  }

  @Test
  void plan_podRemovedAndAnotherAdded_reusesTheChangedSlice() {
    List<EndpointSlice> applied =
        apply(SlicePlanner.plan(OWNER, "blue", endpoints(0, 250), List.of(), T0));
    List<DesiredEndpoint> next = new ArrayList<>(endpoints(0, 250));
    next.remove(120);
    next.add(endpoint(900));

    SlicePlanner.Plan p = SlicePlanner.plan(OWNER, "blue", next, applied, T0);

    assertThat(p.writes()).isEqualTo(1);
    assertThat(p.updates())
        .singleElement()
        .satisfies(s -> assertThat(s.getEndpoints()).hasSize(100));
  }

  @Test
  void plan_podAdded_fillsAnExistingSliceWithRoom() {
    List<EndpointSlice> applied =
        apply(SlicePlanner.plan(OWNER, "blue", endpoints(0, 250), List.of(), T0));
    List<DesiredEndpoint> next = new ArrayList<>(endpoints(0, 250));
    next.add(endpoint(900));
    SlicePlanner.Plan p = SlicePlanner.plan(OWNER, "blue", next, applied, T0);
    assertThat(p.creates()).isEmpty();
    assertThat(p.updates())
        .singleElement()
        .satisfies(s -> assertThat(s.getEndpoints()).hasSize(51));
  }

  @Test
  void plan_allGone_deletesEverySlice() {
    List<EndpointSlice> applied =
        apply(SlicePlanner.plan(OWNER, "blue", endpoints(0, 150), List.of(), T0));
    SlicePlanner.Plan p = SlicePlanner.plan(OWNER, "blue", List.of(), applied, T0);
    assertThat(p.deletes()).hasSize(2);
    assertThat(p.creates()).isEmpty();
    assertThat(p.updates()).isEmpty();
  }

  @Test
  void plan_familiesAndPortSets_getSeparateSlices() {
    var v6 =
        new DesiredEndpoint(
            IpAddress.parse("fd00:1::5"),
            HTTP,
            "ns",
            "p6",
            "u6",
            "node-a",
            null,
            true,
            true,
            false,
            Set.of(),
            "net1",
            null);
    var otherPort =
        new DesiredEndpoint(
            IpAddress.parse("10.1.9.9"),
            List.of(new PortRef("http", "TCP", 9090)),
            "ns",
            "p9",
            "u9",
            "node-a",
            null,
            true,
            true,
            false,
            Set.of(),
            "net1",
            null);
    SlicePlanner.Plan p =
        SlicePlanner.plan(OWNER, "blue", List.of(endpoint(1), v6, otherPort), List.of(), T0);
    assertThat(p.creates()).hasSize(3);
    assertThat(p.creates())
        .extracting(EndpointSlice::getAddressType)
        .containsExactlyInAnyOrder("IPv4", "IPv4", "IPv6");
  }

  @Test
  void plan_interfaceAndHints_areWrittenAndCompared() {
    DesiredEndpoint hinted = endpoint(1).withZoneHints(Set.of("zone-a"));
    List<EndpointSlice> applied =
        apply(SlicePlanner.plan(OWNER, "blue", List.of(hinted), List.of(), T0));
    EndpointSlice s = applied.getFirst();
    assertThat(s.getMetadata().getAnnotations())
        .containsEntry(WellKnown.INTERFACES, "{\"10.1.0.1\":\"net1\"}");
    assertThat(s.getEndpoints().getFirst().getHints().getForZones())
        .extracting("name")
        .containsExactly("zone-a");

    assertThat(SlicePlanner.plan(OWNER, "blue", List.of(hinted), applied, T0).isEmpty()).isTrue();
    assertThat(SlicePlanner.plan(OWNER, "blue", List.of(endpoint(1)), applied, T0).updates())
        .hasSize(1);
  }

  @Test
  void plan_sliceOfAnotherNetwork_isDeleted() {
    List<EndpointSlice> applied =
        apply(SlicePlanner.plan(OWNER, "red", endpoints(0, 3), List.of(), T0));
    SlicePlanner.Plan p = SlicePlanner.plan(OWNER, "blue", endpoints(0, 3), applied, T0);
    assertThat(p.deletes()).hasSize(1);
    assertThat(p.creates()).hasSize(1);
  }

  private static List<DesiredEndpoint> endpoints(int from, int to) {
    var out = new ArrayList<DesiredEndpoint>();
    for (int i = from; i < to; i++) {
      out.add(endpoint(i));
    }
    return out;
  }

  private static DesiredEndpoint endpoint(int i) {
    return new DesiredEndpoint(
        IpAddress.ofV4(0x0A01_0000 | i),
        HTTP,
        "ns",
        "pod-" + i,
        "uid-" + i,
        i % 2 == 0 ? "node-a" : "node-b",
        "zone-a",
        true,
        true,
        false,
        Set.of(),
        "net1",
        null);
  }

  /** What the API server would hold after the plan: names for created slices. */
  private static final AtomicInteger NAMES = new AtomicInteger();

  private static List<EndpointSlice> apply(SlicePlanner.Plan p) {
    var out = new ArrayList<EndpointSlice>();
    for (EndpointSlice s : p.creates()) {
      out.add(
          new EndpointSliceBuilder(s)
              .editMetadata()
              .withName("web-blue-" + NAMES.incrementAndGet())
              .withResourceVersion("1")
              .endMetadata()
              .build());
    }
    out.addAll(p.updates());
    return out;
  }
}
