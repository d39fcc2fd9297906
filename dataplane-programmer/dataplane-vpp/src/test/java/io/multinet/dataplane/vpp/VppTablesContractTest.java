package io.multinet.dataplane.vpp;

import static org.assertj.core.api.Assertions.assertThat;

import io.multinet.dataplane.DataplaneBackend;
import io.multinet.dataplane.DataplaneBackendContract;
import io.multinet.dataplane.States;
import io.multinet.dataplane.v1.Delta;
import io.multinet.dataplane.v1.DesiredState;
import io.multinet.dataplane.v1.Protocol;
import io.multinet.dataplane.v1.VppHints;
import io.multinet.dataplane.vpp.testing.StrictVppPeer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import org.junit.jupiter.api.Test;

/**
 * The contract against {@link StrictVppPeer} speaking the messages of vpp-patches/0001
 * (cnat_translation_update_v2 and cnat_translation_v2_dump): each network's translations go in its
 * VRF's table, so the same VIP and the same pod addresses are served in two networks. Addresses:
 * see {@link States}; blue and red get VRFs 1056 and 1057.
 */
class VppTablesContractTest extends DataplaneBackendContract {

  private Path dir = Path.of("");
  private StrictVppPeer peer;

  @Override
  protected DataplaneBackend newBackend() throws Exception {
    dir = Files.createTempDirectory("mpv");
    peer = StrictVppPeer.start(dir.resolve("api.sock"));
    peer.speakTranslationTables();
    return VppBackend.connect(peer.socket(), VppBackendContractTest.FAST);
  }

  @Override
  protected DesiredState expected(DesiredState desired) {
    return VppBackend.expected(desired, true);
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

  /** The overlapping state with blue and red in VRFs 1056 and 1057. */
  static DesiredState inVrfs(DesiredState s) {
    var b = s.toBuilder();
    for (int i = 0; i < b.getNetworksCount(); i++) {
      var n = b.getNetworks(i);
      b.setNetworks(i, n.toBuilder().setVpp(VppHints.newBuilder().setVrf(1000 + n.getId())));
    }
    return b.build();
  }

  @Override
  protected DesiredState twoNetworks() {
    return inVrfs(States.twoNetworks());
  }

  @Override
  protected DesiredState overlapping() {
    return inVrfs(States.twoNetworks());
  }

  private List<String> translations() {
    return peer.translations().stream()
        .map(t -> t.table() + " " + t.vip() + " " + t.proto() + " " + t.port() + " " + t.paths())
        .toList();
  }

  @Test
  void applyFull_sameVipInTwoVrfs_isOneTranslationInEachTable() throws Exception {
    backend.applyFull(overlapping());

    assertThat(((VppBackend) backend).translationsInTables()).isTrue();
    assertThat(translations())
        .contains(
            "1056 10.96.0.10 6 80 [10.1.0.11 8080, 10.1.0.12 8080]",
            "1057 10.96.0.10 6 80 [10.1.0.11 8080, 10.1.0.21 8080, 10.1.0.22 8080]",
            "1056 10.96.0.10 17 53 [10.1.0.11 5353]",
            "0 172.30.0.5 6 443 [10.0.0.5 8443]");
    assertThat(peer.requests())
        .as("translations in tables only")
        .contains("cnat_translation_update_v2", "cnat_translation_v2_dump")
        .doesNotContain("cnat_translation_update", "cnat_translation_dump");
    // observe() gives each translation its network back from its table.
    assertThat(backend.observe().getServicePortsList())
        .filteredOn(p -> p.getAddress().equals("10.96.0.10") && p.getPort() == 80)
        .extracting(p -> p.getNetworkId())
        .containsExactlyInAnyOrder(56, 57);
  }

  @Test
  void applyDelta_oneNetworksBackendChanges_theOtherTableKeepsItsTranslation() throws Exception {
    DesiredState s = overlapping();
    backend.applyFull(s);
    var red = s.getServicePorts(1).toBuilder().removeBackends(0).build(); // red 10.96.0.10:80
    peer.clearRequests();

    backend.applyDelta(Delta.newBuilder().addUpsertServicePorts(red).build());

    assertThat(peer.requests()).containsExactly("cnat_translation_update_v2");
    assertThat(translations())
        .contains(
            "1056 10.96.0.10 6 80 [10.1.0.11 8080, 10.1.0.12 8080]",
            "1057 10.96.0.10 6 80 [10.1.0.21 8080, 10.1.0.22 8080]");
  }

  @Test
  void applyFull_sameVipInTwoNetworksOfOneTable_isSkippedWithTheRestServed() throws Exception {
    // red without a VRF and the default network share table 0: red takes 172.30.0.5:443 too.
    DesiredState s = overlapping();
    var b = s.toBuilder();
    b.setNetworks(1, b.getNetworks(1).toBuilder().clearVpp());
    b.addServicePorts(
        States.port(57, "172.30.0.5", Protocol.TCP, 443, States.backend("10.1.0.21", 443, true)));
    DesiredState shared = b.build();
    var logs = Logs.capture();
    try {
      backend.applyFull(shared);
      backend.applyFull(shared);
    } finally {
      logs.close();
    }
    assertThat(backend.observe()).isEqualTo(expected(shared));
    assertThat(translations())
        .noneMatch(t -> t.startsWith("0 172.30.0.5 "))
        .anyMatch(t -> t.startsWith("0 10.96.0.10 6 80 "))
        .anyMatch(t -> t.startsWith("1056 10.96.0.10 6 80 "));
    assertThat(logs.messages())
        .filteredOn(m -> m.startsWith("VIP 172.30.0.5 is in networks 0 and 57 (red), which share"))
        .hasSize(1);
  }

  @Test
  void connect_logsTheModeOnce() throws Exception {
    var logs = Logs.capture();
    try {
      backend.applyFull(overlapping());
      backend.applyFull(overlapping());
    } finally {
      logs.close();
    }
    assertThat(logs.messages())
        .filteredOn(m -> m.startsWith("VPP has cnat_translation_update_v2"))
        .hasSize(1);
  }

  @Test
  void applyFull_stockVpp_staysInTableZeroAndLogsTheSkipOnce() throws Exception {
    // A second peer without the patch: the same state has its shared VIP skipped, as before.
    Path other = Files.createTempDirectory("mpv");
    var logs = Logs.capture();
    try (var stock = StrictVppPeer.start(other.resolve("api.sock"));
        var b = VppBackend.connect(stock.socket(), VppBackendContractTest.FAST)) {
      b.applyFull(overlapping());
      b.applyFull(overlapping());
      assertThat(b.translationsInTables()).isFalse();
      assertThat(stock.translations()).allMatch(t -> t.table() == 0);
      assertThat(stock.translations())
          .extracting(StrictVppPeer.Translation::vip)
          .doesNotContain("10.96.0.10")
          .contains("10.96.0.20");
      assertThat(b.observe()).isEqualTo(VppBackend.expected(overlapping()));
      assertThat(stock.requests()).doesNotContain("cnat_translation_update_v2");
      b.cleanup();
      assertThat(stock.violations()).isEmpty();
    } finally {
      logs.close();
      Files.deleteIfExists(other);
    }
    assertThat(logs.messages())
        .filteredOn(m -> m.startsWith("VPP has no cnat_translation_update_v2"))
        .hasSize(1);
    assertThat(logs.messages())
        .filteredOn(m -> m.startsWith("VIP 10.96.0.10 is in networks 56 (blue) and 57 (red)"))
        .hasSize(1);
  }

  /** Captures VppBackend's log records of every level. */
  static final class Logs extends Handler {
    private final List<String> messages = new CopyOnWriteArrayList<>();
    private final Logger logger = Logger.getLogger(VppBackend.class.getName());

    static Logs capture() {
      Logs l = new Logs();
      l.logger.addHandler(l);
      return l;
    }

    List<String> messages() {
      return List.copyOf(messages);
    }

    @Override
    public void publish(LogRecord r) {
      messages.add(r.getMessage());
    }

    @Override
    public void flush() {}

    @Override
    public void close() {
      logger.removeHandler(this);
    }
  }
}
