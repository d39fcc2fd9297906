package io.multinet.dataplane.vpp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.multinet.dataplane.DataplaneBackend;
import io.multinet.dataplane.DataplaneBackendContract;
import io.multinet.dataplane.DataplaneException;
import io.multinet.dataplane.StateModel;
import io.multinet.dataplane.States;
import io.multinet.dataplane.v1.Delta;
import io.multinet.dataplane.v1.DesiredState;
import io.multinet.dataplane.v1.LoadBalancing;
import io.multinet.dataplane.v1.Protocol;
import io.multinet.dataplane.vpp.testing.StrictVppPeer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The contract against {@link StrictVppPeer}, which checks every frame and field and keeps
 * translations as cnat does; plus how states map to translations. Addresses: see {@link States}.
 */
class VppBackendContractTest extends DataplaneBackendContract {

  static final VppApiClient.Options FAST =
      VppApiClient.Options.defaults()
          .withConnectTimeout(Duration.ofSeconds(5))
          .withBackoff(Duration.ofMillis(20), Duration.ofMillis(200));

  private Path dir = Path.of("");
  private StrictVppPeer peer;

  @Override
  protected DataplaneBackend newBackend() throws Exception {
    dir = Files.createTempDirectory("mpv");
    peer = StrictVppPeer.start(dir.resolve("api.sock"));
    return VppBackend.connect(peer.socket(), FAST);
  }

  @Override
  protected DesiredState expected(DesiredState desired) {
    return VppBackend.expected(desired);
  }

  @Override
  protected boolean isolatesOverlappingVips() {
    return false;
  }

  @Override
  protected void destroyDataplane() throws Exception {
    try {
      assertThat(peer.violations()).as("protocol violations seen by the peer").isEmpty();
    } finally {
      peer.close();
      Files.deleteIfExists(dir);
    }
  }

  private StrictVppPeer.Translation translation(String vip, int proto, int port) {
    return peer.translations().stream()
        .filter(t -> t.vip().equals(vip) && t.proto() == proto && t.port() == port)
        .findFirst()
        .orElseThrow(() -> new AssertionError("no translation " + vip + " " + proto + " " + port));
  }

  @Test
  void applyFull_mapsServicePortsToTranslationsAndNetworksToTables() throws Exception {
    backend.applyFull(twoNetworks());

    // blue's TCP 80 VIP: two backends, default lb, no affinity.
    var blue = translation("10.96.0.10", 6, 80);
    assertThat(blue.paths()).containsExactly("10.1.0.11 8080", "10.1.0.12 8080");
    assertThat(blue.lbType()).isZero();
    assertThat(blue.flowHash()).isZero();
    assertThat(blue.realIp()).isFalse();
    // Maglev asked for: lb_type maglev.
    assertThat(translation("10.96.0.20", 6, 80).lbType()).isEqualTo(1);
    // ClientIP affinity: the flow hash covers client, VIP and protocol only.
    assertThat(translation("10.96.0.30", 6, 80).flowHash()).isEqualTo(1 | 2 | 16);
    // External addresses are translations of their own, with the external backends.
    assertThat(translation("203.0.113.7", 6, 443).paths()).containsExactly("10.0.0.5 8443");
    assertThat(translation("fd00:96::10", 6, 80).paths()).containsExactly("fd00:1::11 8080");
    // Ports without backends have no translation (cnat cannot hold one without paths).
    assertThat(peer.translations())
        .extracting(StrictVppPeer.Translation::vip)
        .doesNotContain("10.96.0.40", "10.96.0.41");
    // every port with backends but the SCTP one (cnat has no SCTP)
    assertThat(peer.translations()).hasSize(9);
    // Each network's VRF exists, for both families, named after the network.
    assertThat(peer.tables())
        .containsEntry("1056/ip4", "multinet-56-blue")
        .containsEntry("1056/ip6", "multinet-56-blue")
        .containsEntry("1057/ip4", "multinet-57-red")
        .containsEntry("1057/ip6", "multinet-57-red");
  }

  @Test
  void applyFull_localListenersAndAddresses_areIgnoredAndTheRestServed() throws Exception {
    DesiredState plain = twoNetworks();
    backend.applyFull(plain);
    var before = peer.requests();
    var withDns = plain.toBuilder();
    withDns.setNetworks(
        0,
        plain.getNetworks(0).toBuilder()
            .addLocalListeners(
                io.multinet.dataplane.v1.LocalListener.newBuilder()
                    .setAddress("169.254.53.53")
                    .setProtocol(io.multinet.dataplane.v1.Protocol.UDP)
                    .setPort(40001)));
    withDns.setNode(plain.getNode().toBuilder().addLocalAddresses("169.254.53.53"));
    peer.clearRequests();

    backend.applyFull(withDns.build());

    assertThat(before).contains("cnat_translation_update");
    assertThat(peer.requests()).doesNotContain("cnat_translation_update", "cnat_translation_del");
    assertThat(translation("10.96.0.10", 6, 80).paths())
        .containsExactly("10.1.0.11 8080", "10.1.0.12 8080");
  }

  @Test
  void applyDelta_sendsOnlyTheChangedTranslation() throws Exception {
    DesiredState s = twoNetworks();
    backend.applyFull(s);
    int id = translation("10.96.0.10", 6, 80).id();
    peer.clearRequests();

    var changed = s.getServicePorts(0).toBuilder().removeBackends(1).build();
    backend.applyDelta(Delta.newBuilder().addUpsertServicePorts(changed).build());

    assertThat(peer.requests()).containsExactly("cnat_translation_update");
    var t = translation("10.96.0.10", 6, 80);
    assertThat(t.id()).isEqualTo(id);
    assertThat(t.paths()).containsExactly("10.1.0.11 8080");

    peer.clearRequests();
    backend.applyDelta(Delta.newBuilder().addUpsertServicePorts(changed).build());
    assertThat(peer.requests()).as("an unchanged port sends nothing").isEmpty();

    var renamed = changed.toBuilder().setName("ns/renamed:http").setHasAnyEndpoints(true).build();
    backend.applyDelta(Delta.newBuilder().addUpsertServicePorts(renamed).build());
    assertThat(peer.requests()).as("a new name changes no translation").isEmpty();
  }

  @Test
  void applyDelta_loadBalancingChange_recreatesTheTranslation() throws Exception {
    DesiredState s = twoNetworks();
    backend.applyFull(s);
    peer.clearRequests();

    var maglev =
        s.getServicePorts(0).toBuilder()
            .setLoadBalancing(LoadBalancing.MAGLEV)
            .setMaglevTableSize(16381)
            .build();
    backend.applyDelta(Delta.newBuilder().addUpsertServicePorts(maglev).build());

    // cnat fixes lb_type when a translation is created: delete, then create.
    assertThat(peer.requests()).containsExactly("cnat_translation_del", "cnat_translation_update");
    assertThat(translation("10.96.0.10", 6, 80).lbType()).isEqualTo(1);
    DesiredState after =
        StateModel.of(s).apply(Delta.newBuilder().addUpsertServicePorts(maglev).build()).toState();
    assertThat(backend.observe()).isEqualTo(expected(after));
  }

  @Test
  void applyFull_afterRestartOfTheAgent_reconcilesAgainstTheDump() throws Exception {
    DesiredState s = twoNetworks();
    backend.applyFull(s);
    backend.close();
    // A new agent with no memory: what VPP holds already is kept, the rest is fixed.
    backend = VppBackend.connect(peer.socket(), FAST);
    DesiredState smaller =
        s.toBuilder().removeServicePorts(States.indexOf(s, "10.96.0.20")).build(); // maglev
    peer.clearRequests();

    backend.applyFull(smaller);

    List<String> sent = peer.requests();
    assertThat(backend.observe()).isEqualTo(expected(smaller));
    assertThat(sent.stream().filter(r -> r.startsWith("cnat_translation_")).toList())
        .as("sent: %s", sent)
        .containsExactly(
            "cnat_translation_dump",
            // 10.96.0.30 and fd00:96::30 have affinity: their flow hash cannot be read back, so
            // they are recreated.
            "cnat_translation_del",
            "cnat_translation_del",
            "cnat_translation_update",
            "cnat_translation_update",
            // 10.96.0.20 is no longer desired.
            "cnat_translation_del");
  }

  @Test
  void applyFull_vppFailsHalfway_asksForAFullStateThatRepairs() throws Exception {
    DesiredState s = twoNetworks();
    backend.applyFull(s);
    var changed = s.getServicePorts(0).toBuilder().removeBackends(1).build();
    peer.failNext("cnat_translation_update", -1);

    assertThatThrownBy(
            () -> backend.applyDelta(Delta.newBuilder().addUpsertServicePorts(changed).build()))
        .isInstanceOfSatisfying(DataplaneException.class, e -> assertThat(e.needFull()).isTrue())
        .hasMessageContaining("cnat_translation_update: VPP returned -1");
    assertThatThrownBy(() -> backend.applyDelta(Delta.getDefaultInstance()))
        .isInstanceOfSatisfying(DataplaneException.class, e -> assertThat(e.needFull()).isTrue());

    DesiredState after = s.toBuilder().setServicePorts(0, changed).build();
    backend.applyFull(after);
    assertThat(backend.observe()).isEqualTo(expected(after));
  }

  @Test
  void vppRestarted_theLastStateIsReappliedWithoutWaitingForTheProgrammer() throws Exception {
    DesiredState s = twoNetworks();
    backend.applyFull(s);

    peer.reset(); // VPP restarted: it holds nothing
    peer.dropConnections();

    await()
        .atMost(Duration.ofSeconds(10))
        .untilAsserted(() -> assertThat(backend.observe()).isEqualTo(expected(s)));
    assertThat(peer.registrations()).isEqualTo(2);
    assertThat(peer.tables()).containsKey("1056/ip4");
    // Deltas continue on the re-applied state.
    var changed = s.getServicePorts(0).toBuilder().removeBackends(1).build();
    Delta d = Delta.newBuilder().addUpsertServicePorts(changed).build();
    backend.applyDelta(d);
    assertThat(backend.observe()).isEqualTo(expected(StateModel.of(s).apply(d).toState()));
  }

  @Test
  void applyDelta_vppReconnectedAndResyncFailing_asksForAFullStateAndRetriesTheResync()
      throws Exception {
    DesiredState s = twoNetworks();
    backend.applyFull(s);
    peer.clearRequests();
    peer.failAlways("cnat_translation_update", -1); // every resync fails

    peer.reset();
    peer.dropConnections();
    await()
        .atMost(Duration.ofSeconds(10))
        .until(
            () ->
                peer.requests().stream().filter(r -> r.equals("cnat_translation_dump")).count()
                    >= 3);

    assertThatThrownBy(() -> backend.applyDelta(Delta.getDefaultInstance()))
        .isInstanceOfSatisfying(DataplaneException.class, e -> assertThat(e.needFull()).isTrue());
    // VPP works again: the backend's own retries put the state back, without a new full state.
    peer.heal();
    await()
        .atMost(Duration.ofSeconds(10))
        .untilAsserted(() -> assertThat(backend.observe()).isEqualTo(expected(s)));
    await()
        .atMost(Duration.ofSeconds(10))
        .untilAsserted(() -> backend.applyDelta(Delta.getDefaultInstance()));
  }

  @Test
  void applyFull_duringResyncRetries_supersedesTheResync() throws Exception {
    DesiredState s = twoNetworks();
    backend.applyFull(s);
    peer.failAlways("cnat_translation_update", -1);
    peer.reset();
    peer.dropConnections();
    await().atMost(Duration.ofSeconds(10)).until(() -> peer.registrations() == 2);
    peer.heal();
    DesiredState smaller = s.toBuilder().removeServicePorts(0).build();

    backend.applyFull(smaller);

    // The pending resync of the older state must not come back over it (retries every 200 ms).
    await()
        .during(Duration.ofMillis(600))
        .atMost(Duration.ofSeconds(3))
        .until(() -> backend.observe().equals(expected(smaller)));
  }

  @Test
  void applyFull_sctpPort_isSkippedAndTheRestServed() throws Exception {
    DesiredState s =
        twoNetworks().toBuilder()
            .addServicePorts(
                States.port(
                    56, "10.96.0.50", Protocol.SCTP, 9, States.backend("10.1.0.11", 9, true)))
            .build();
    backend.applyFull(s);
    assertThat(backend.observe()).isEqualTo(expected(s));
    assertThat(peer.translations())
        .extracting(StrictVppPeer.Translation::vip)
        .doesNotContain("10.96.0.50");
  }

  @Test
  void applyFull_externalAddressIsAnotherNetworksVip_skipsBothAndServesTheRest() throws Exception {
    DesiredState s = twoNetworks();
    int i = States.indexOf(s, "172.30.0.5");
    var ext = s.getServicePorts(i).toBuilder().addExternalAddresses("10.96.0.20").build();
    DesiredState bad = s.toBuilder().setServicePorts(i, ext).build();
    Logs logs = Logs.capture();
    try {
      backend.applyFull(bad);
      backend.applyFull(bad);
    } finally {
      logs.close();
    }
    assertThat(backend.observe()).isEqualTo(expected(bad));
    assertThat(peer.translations())
        .extracting(StrictVppPeer.Translation::vip)
        .doesNotContain("10.96.0.20")
        .contains("172.30.0.5", "203.0.113.7", "10.96.0.10");
    assertThat(logs.warnings())
        .as("logged once, not per sync")
        .filteredOn(m -> m.startsWith("VIP 10.96.0.20 is in networks 0 and 57 (red)"))
        .hasSize(1);
  }

  @Test
  void applyFull_backendAddressInTwoNetworks_skipsItsPortsAndServesTheRest() throws Exception {
    DesiredState s = twoNetworks();
    backend.applyFull(s);
    // red gets a port whose pod address is one of blue's pods (10.1.0.12).
    DesiredState shared =
        s.toBuilder()
            .addServicePorts(
                States.port(
                    57, "10.96.1.99", Protocol.TCP, 80, States.backend("10.1.0.12", 80, true)))
            .build();
    backend.applyFull(shared);
    assertThat(backend.observe()).isEqualTo(expected(shared));
    // blue's 10.96.0.10 TCP 80 and 10.96.0.30 (with 10.1.0.12) and red's new port are skipped.
    assertThat(peer.translations())
        .extracting(t -> t.vip() + " " + t.proto() + " " + t.port())
        .doesNotContain("10.96.0.10 6 80", "10.96.0.30 6 80", "10.96.1.99 6 80")
        .contains("10.96.0.10 17 53", "10.96.0.20 6 80", "10.96.1.10 6 80");
    // Once the conflict is gone, they come back.
    backend.applyFull(s);
    assertThat(backend.observe()).isEqualTo(expected(s));
  }

  @Test
  void agent_oneVipInTwoNetworks_otherServicesKeepChanging() throws Exception {
    String name = "vpp-" + java.util.UUID.randomUUID();
    DesiredState s = twoNetworks();
    try (var server =
            io.multinet.dataplane.agent.AgentServer.inProcess(
                name, new io.multinet.dataplane.agent.DataplaneAgent(backend));
        var programmer =
            io.multinet.dataplane.programmer.DataplaneProgrammer.connect(
                "inprocess:" + name, Duration.ofSeconds(5))) {
      programmer.apply(s);
      // red also takes blue's 10.96.0.10 on 8443, and later 10.96.0.20 loses a backend.
      DesiredState overlap =
          s.toBuilder()
              .addServicePorts(
                  States.port(
                      57, "10.96.0.10", Protocol.TCP, 8443, States.backend("10.1.0.21", 443, true)))
              .build();
      programmer.apply(overlap);
      int i = States.indexOf(overlap, "10.96.0.20");
      DesiredState later =
          overlap.toBuilder()
              .setServicePorts(i, overlap.getServicePorts(i).toBuilder().removeBackends(1))
              .build();
      programmer.apply(later);

      assertThat(translation("10.96.0.20", 6, 80).paths()).containsExactly("10.1.0.21 8080");
      assertThat(backend.observe()).isEqualTo(expected(later));
      assertThat(programmer.status().getErrors()).isZero();
      assertThat(server).isNotNull();
    }
  }

  @Test
  void applyDelta_afterAFailedSync_theNextFullTrustsNoMemory() throws Exception {
    DesiredState s = twoNetworks();
    backend.applyFull(s);
    peer.failNext("cnat_translation_update", -1);
    var changed = s.getServicePorts(0).toBuilder().removeBackends(1).build();
    assertThatThrownBy(
        () -> backend.applyDelta(Delta.newBuilder().addUpsertServicePorts(changed).build()));
    peer.clearRequests();

    backend.applyFull(s);

    // The affinity translations' flow hash cannot be read back: with no memory they are recreated.
    assertThat(peer.requests().stream().filter(r -> r.equals("cnat_translation_del"))).hasSize(2);
    assertThat(backend.observe()).isEqualTo(expected(s));
  }

  @Test
  void plan_warningsAreLoggedWhenTheyChangeOnly() throws Exception {
    DesiredState s =
        twoNetworks().toBuilder()
            .addServicePorts(
                States.port(
                        56, "10.96.0.50", Protocol.TCP, 80, States.backend("10.1.0.11", 80, true))
                    .setNodePort(30080))
            .build();
    Logs logs = Logs.capture();
    try {
      backend.applyFull(s);
      backend.applyDelta(Delta.getDefaultInstance());
      backend.applyDelta(Delta.getDefaultInstance());
      var _ = VppBackend.expected(s);
    } finally {
      logs.close();
    }
    assertThat(logs.warnings())
        .containsExactly(
            "1 service ports have NodePorts, which are not served: this VPP has no"
                + " sw_interface_dump and ip_address_dump to find the node's addresses",
            "ns/svc-57-10.96.0.10:3868: SCTP is not served by VPP's cnat; skipped",
            "source NAT is not done: this VPP has no sw_interface_dump and ip_address_dump to"
                + " find its own addresses");
  }

  /** Captures VppBackend's log records. */
  private static final class Logs extends java.util.logging.Handler {
    private final java.util.List<String> warnings =
        new java.util.concurrent.CopyOnWriteArrayList<>();
    private final java.util.logging.Logger logger =
        java.util.logging.Logger.getLogger(VppBackend.class.getName());

    static Logs capture() {
      Logs l = new Logs();
      l.logger.addHandler(l);
      return l;
    }

    List<String> warnings() {
      return List.copyOf(warnings);
    }

    @Override
    public void publish(java.util.logging.LogRecord r) {
      if (java.util.logging.Level.WARNING.equals(r.getLevel())) {
        warnings.add(r.getMessage());
      }
    }

    @Override
    public void flush() {}

    @Override
    public void close() {
      logger.removeHandler(this);
    }
  }

  @Test
  void applyFull_translationsSurviveTheSync_cleanupEmptiesVpp() throws Exception {
    DesiredState s = twoNetworks();
    backend.applyFull(s);
    backend.applyFull(s);
    // cnat_session_purge deletes every translation in VPP: a full sync must not send it.
    assertThat(peer.purges()).isZero();
    assertThat(peer.translations()).hasSize(9);
    assertThat(backend.observe()).isEqualTo(expected(s));

    backend.cleanup();
    assertThat(peer.purges()).isEqualTo(1);
    assertThat(peer.translations()).isEmpty();
  }

  @Test
  void truncateUtf8_cutsAtWholeCodePointsWithinTheByteLimit() {
    assertThat(VppBackend.truncateUtf8("multinet-1-abc", 63)).isEqualTo("multinet-1-abc");
    String name = "multinet-56-" + "é".repeat(40); // 12 + 80 bytes
    String cut = VppBackend.truncateUtf8(name, 63);
    assertThat(cut.getBytes(java.nio.charset.StandardCharsets.UTF_8)).hasSize(62);
    assertThat(VppBackend.truncateUtf8("ab😀", 5)).isEqualTo("ab");
  }

  @Test
  void applyFull_vrfAbove2pow31_isCreatedOnceAndKept() throws Exception {
    DesiredState s = twoNetworks();
    var b = s.toBuilder();
    b.setNetworks(
        0,
        b.getNetworks(0).toBuilder()
            .setVpp(io.multinet.dataplane.v1.VppHints.newBuilder().setVrf(0x8000_0001)));
    DesiredState big = b.build();
    backend.applyFull(big);
    peer.clearRequests();
    backend.applyFull(big);
    assertThat(peer.requests()).as("the table exists already").doesNotContain("ip_table_add_del");
    assertThat(peer.tables()).containsKey("2147483649/ip4");
  }

  @Test
  void cleanup_deletesOnlyTheTablesItCreated() throws Exception {
    backend.applyFull(twoNetworks());
    backend.cleanup();
    assertThat(peer.tables().keySet()).containsExactlyInAnyOrder("0/ip4", "0/ip6");
    assertThat(peer.translations()).isEmpty();
    assertThat(List.of(backend.observe())).containsExactly(DesiredState.getDefaultInstance());
  }
}
