package io.multinet.dataplane;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.multinet.dataplane.v1.Delta;
import io.multinet.dataplane.v1.DesiredState;
import io.multinet.dataplane.v1.Protocol;
import io.multinet.dataplane.v1.ServicePortKey;
import io.multinet.dataplane.v1.VppHints;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * What every {@link DataplaneBackend} must do, checked by reading the real dataplane back with
 * {@link DataplaneBackend#observe()}. Subclasses provide a backend on a fresh dataplane and the
 * form in which that backend shows a desired state. Address ranges: see {@link States}.
 */
public abstract class DataplaneBackendContract {

  protected DataplaneBackend backend;

  /** A backend on an empty dataplane that the test owns. */
  protected abstract DataplaneBackend newBackend() throws Exception;

  /** What {@link DataplaneBackend#observe()} shows once {@code desired} is applied. */
  protected abstract DesiredState expected(DesiredState desired);

  @BeforeEach
  void createBackend() throws Exception {
    backend = newBackend();
  }

  /** Removes what {@link #newBackend} created around the backend (a namespace, a VPP). */
  protected void destroyDataplane() throws Exception {}

  @AfterEach
  void closeBackend() throws Exception {
    if (backend == null) {
      return; // newBackend skipped the test (no root, no VPP)
    }
    try {
      backend.cleanup();
    } finally {
      try {
        backend.close();
      } finally {
        destroyDataplane();
      }
    }
  }

  /**
   * Whether the dataplane keeps the same VIP of two networks apart (the kernel does, with conntrack
   * zones). VPP's cnat keys translations by (VIP, protocol, port) in one FIB table and cannot: a
   * backend that answers false must skip every port on the shared address (in every network) and
   * serve the rest, its {@link #expected} leaving the skipped ports out, and the shared cases below
   * then run on {@link #twoNetworks()} without the shared VIP.
   */
  protected boolean isolatesOverlappingVips() {
    return true;
  }

  /**
   * {@link States#twoNetworks()}; without overlapping addresses when the backend cannot isolate
   * them: red's VIP 10.96.0.10 becomes 10.96.1.10, its pod 10.1.0.11 (also blue's) 10.1.0.23, and
   * the networks get VPP VRFs 1056 and 1057.
   */
  protected DesiredState twoNetworks() {
    DesiredState s = States.twoNetworks();
    if (isolatesOverlappingVips()) {
      return s;
    }
    var b = s.toBuilder();
    for (int i = 0; i < b.getNetworksCount(); i++) {
      var n = b.getNetworks(i);
      b.setNetworks(i, n.toBuilder().setVpp(VppHints.newBuilder().setVrf(1000 + n.getId())));
    }
    for (int i = 0; i < b.getServicePortsCount(); i++) {
      var p = b.getServicePorts(i);
      if (p.getNetworkId() == 57 && p.getAddress().equals("10.96.0.10")) {
        var q = p.toBuilder().setAddress("10.96.1.10");
        for (int j = 0; j < q.getBackendsCount(); j++) {
          if (q.getBackends(j).getAddress().equals("10.1.0.11")) {
            q.setBackends(j, q.getBackends(j).toBuilder().setAddress("10.1.0.23"));
          }
        }
        b.setServicePorts(i, q);
      }
    }
    return b.build();
  }

  /**
   * {@link States#twoNetworks()} with its overlapping addresses (10.96.0.10 TCP 80 in blue and red,
   * pod 10.1.0.11 in both), in the form the backend isolates them in when it can; a VPP that keeps
   * translations in tables needs the networks in VRFs.
   */
  protected DesiredState overlapping() {
    return States.twoNetworks();
  }

  @Test
  void applyFull_isWhatTheDataplaneHolds() throws Exception {
    DesiredState s = twoNetworks();
    backend.applyFull(s);
    assertThat(backend.observe()).isEqualTo(expected(s));
  }

  @Test
  void applyFull_replacesEverythingBefore() throws Exception {
    backend.applyFull(twoNetworks());
    DesiredState smaller =
        twoNetworks().toBuilder().removeServicePorts(0).removeServicePorts(0).build();
    backend.applyFull(smaller);
    assertThat(backend.observe()).isEqualTo(expected(smaller));
  }

  @Test
  void applyDelta_changesWhatItSays() throws Exception {
    DesiredState s = twoNetworks();
    backend.applyFull(s);
    var changed = s.getServicePorts(1).toBuilder().removeBackends(2).build();
    var added =
        States.port(57, "10.96.0.99", Protocol.UDP, 9, States.backend("10.1.0.22", 9999, false))
            .build();
    var removed = s.getServicePorts(0);
    Delta d =
        Delta.newBuilder()
            .addUpsertServicePorts(changed)
            .addUpsertServicePorts(added)
            .addRemoveServicePorts(
                ServicePortKey.newBuilder()
                    .setNetworkId(removed.getNetworkId())
                    .setAddress(removed.getAddress())
                    .setProtocol(removed.getProtocol())
                    .setPort(removed.getPort()))
            .build();

    backend.applyDelta(d);

    DesiredState after = StateModel.of(s).apply(d).toState();
    assertThat(backend.observe()).isEqualTo(expected(after));
  }

  @Test
  void applyDelta_affinityPortsChangeBackendCount_keepAffinity() throws Exception {
    DesiredState s = twoNetworks();
    backend.applyFull(s);
    Delta.Builder d = Delta.newBuilder();
    for (var sp : s.getServicePortsList()) {
      if (sp.getAffinityTimeoutSeconds() > 0) {
        // one backend fewer, then (next delta) a new one: the balancing chain changes both times
        d.addUpsertServicePorts(sp.toBuilder().removeBackends(1));
      }
    }
    assertThat(d.getUpsertServicePortsCount()).as("affinity ports in the state").isEqualTo(2);
    backend.applyDelta(d.build());
    DesiredState after = StateModel.of(s).apply(d.build()).toState();
    assertThat(backend.observe()).isEqualTo(expected(after));

    Delta.Builder grow = Delta.newBuilder();
    for (var sp : after.getServicePortsList()) {
      if (sp.getAffinityTimeoutSeconds() > 0) {
        var extra = sp.getBackends(0).toBuilder();
        extra.setAddress(sp.getAddress().contains(":") ? "fd00:1::99" : "10.1.0.99");
        grow.addUpsertServicePorts(sp.toBuilder().addBackends(extra).addBackends(extra));
      }
    }
    backend.applyDelta(grow.build());
    assertThat(backend.observe())
        .isEqualTo(expected(StateModel.of(after).apply(grow.build()).toState()));
  }

  @Test
  void applyDelta_beforeAnyFullState_asksForOne() {
    assertThatThrownBy(() -> backend.applyDelta(Delta.getDefaultInstance()))
        .isInstanceOfSatisfying(DataplaneException.class, e -> assertThat(e.needFull()).isTrue());
  }

  @Test
  void applyDelta_invalid_leavesTheDataplaneAsItWas() throws Exception {
    DesiredState s = twoNetworks();
    backend.applyFull(s);
    // An IPv6 backend for an IPv4 VIP cannot be programmed.
    var bad =
        s.getServicePorts(0).toBuilder()
            .addBackends(States.backend("fd00:1::99", 80, false))
            .build();

    assertThatThrownBy(
            () -> backend.applyDelta(Delta.newBuilder().addUpsertServicePorts(bad).build()))
        .isInstanceOf(DataplaneException.class)
        .hasMessageContaining("fd00:1::99");
    assertThat(backend.observe()).isEqualTo(expected(s));
  }

  @Test
  void applyDelta_networkChange_isApplied() throws Exception {
    DesiredState s = twoNetworks();
    backend.applyFull(s);
    Delta d =
        Delta.newBuilder()
            .addUpsertNetworks(States.network(58, "green", "gr-*", 1058))
            .addRemoveNetworks(57)
            .build();
    backend.applyDelta(d);
    assertThat(backend.observe()).isEqualTo(expected(StateModel.of(s).apply(d).toState()));
  }

  @Test
  void cleanup_removesEverything() throws Exception {
    backend.applyFull(twoNetworks());
    backend.cleanup();
    assertThat(backend.observe()).isEqualTo(DesiredState.getDefaultInstance());
  }

  @Test
  void applyFull_sameVipInTwoNetworks_isIsolatedOrSkippedWithTheRestServed() throws Exception {
    backend.applyFull(twoNetworks());
    DesiredState overlapping = overlapping(); // 10.96.0.10 TCP 80 in blue and in red
    backend.applyFull(overlapping);
    DesiredState seen = backend.observe();
    assertThat(seen).isEqualTo(expected(overlapping));
    // One bad address never stops the other services: red's 10.96.0.20 is served either way.
    assertThat(seen.getServicePortsList()).extracting(p -> p.getAddress()).contains("10.96.0.20");
    if (!isolatesOverlappingVips()) {
      assertThat(seen.getServicePortsList())
          .extracting(p -> p.getAddress())
          .doesNotContain("10.96.0.10");
    }
  }

  @Test
  void applyDelta_sameVipInTwoNetworks_isIsolatedOrSkippedWithTheRestServed() throws Exception {
    DesiredState s = twoNetworks();
    backend.applyFull(s);
    // red gets blue's VIP on another port: still one VIP in two networks.
    Delta overlap =
        Delta.newBuilder()
            .addUpsertServicePorts(
                States.port(
                    57, "10.96.0.10", Protocol.TCP, 8443, States.backend("10.1.0.21", 443, true)))
            .build();
    backend.applyDelta(overlap);
    DesiredState after = StateModel.of(s).apply(overlap).toState();
    assertThat(backend.observe()).isEqualTo(expected(after));
    if (!isolatesOverlappingVips()) {
      // blue's 10.96.0.10 is skipped too while red shares it; the rest is untouched.
      assertThat(backend.observe().getServicePortsList())
          .extracting(p -> p.getAddress())
          .doesNotContain("10.96.0.10")
          .contains("10.96.0.20");
    }
    // Deltas continue on the applied state.
    Delta next =
        Delta.newBuilder()
            .addUpsertServicePorts(
                States.port(
                    57, "10.96.1.77", Protocol.TCP, 8443, States.backend("10.1.0.21", 443, true)))
            .build();
    backend.applyDelta(next);
    assertThat(backend.observe()).isEqualTo(expected(StateModel.of(after).apply(next).toState()));
  }
}
