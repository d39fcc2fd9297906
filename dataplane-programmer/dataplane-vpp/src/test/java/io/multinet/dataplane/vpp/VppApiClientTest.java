package io.multinet.dataplane.vpp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.multinet.dataplane.vpp.testing.StrictVppPeer;
import io.multinet.network.IpAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The socket client against {@link StrictVppPeer}: handshake, CRC refusal, context matching, dumps,
 * errors and reconnects. Addresses: VIPs 10.96.0.0/16, pods 10.1.0.0/24.
 */
class VppApiClientTest {

  private Path dir = Path.of("");
  private StrictVppPeer peer;

  @BeforeEach
  void startPeer() throws Exception {
    dir = Files.createTempDirectory("mpc");
    peer = StrictVppPeer.start(dir.resolve("api.sock"));
  }

  @AfterEach
  void stopPeer() throws Exception {
    try {
      assertThat(peer.violations()).as("protocol violations").isEmpty();
    } finally {
      peer.close();
      Files.deleteIfExists(dir);
    }
  }

  private static VppMessages.TranslationUpdate update(int vipLow, int backends) {
    var paths = new ArrayList<CnatTranslation.Path>();
    for (int i = 0; i < backends; i++) {
      paths.add(CnatTranslation.Path.to(IpAddress.parse("10.1.0." + (10 + i)), 8080));
    }
    return new VppMessages.TranslationUpdate(
        new CnatTranslation(
            CnatTranslation.Endpoint.of(IpAddress.parse("10.96.0." + vipLow), 80),
            0,
            CnatTranslation.TCP,
            false,
            0,
            0,
            0,
            paths));
  }

  @Test
  void connect_crcDiffers_refusesNamingTheMessageAndBothCrcs() {
    peer.reportCrc("cnat_translation_update", "1234abcd");
    assertThatThrownBy(() -> VppApiClient.connect(peer.socket(), VppBackendContractTest.FAST))
        .isInstanceOf(VppApiException.class)
        .hasMessage(
            "cnat_translation_update: VPP has CRC 0x1234abcd, this build speaks 0xf8d40bc5");
    assertThat(peer.registrations()).as("not retried").isEqualTo(1);
  }

  @Test
  void connect_optionalMessageWithAnotherCrc_disablesItOnly() throws Exception {
    peer.reportCrc("cnat_set_snat_policy", "00000001");
    try (var client = VppApiClient.connect(peer.socket(), VppBackendContractTest.FAST)) {
      assertThat(client.sync(client.call(new VppMessages.ControlPing()))).isEqualTo(4242);
      assertThatThrownBy(() -> client.sync(client.call(new VppMessages.SetSnatPolicy(0))))
          .hasMessage("cnat_set_snat_policy: not in VPP's message table");
    }
  }

  @Test
  void reconnect_crcDiffers_keepsRetryingUntilVppMatchesAgain() throws Exception {
    try (var client = VppApiClient.connect(peer.socket(), VppBackendContractTest.FAST)) {
      var told = new AtomicInteger();
      client.onReconnect(told::incrementAndGet);
      peer.reportCrc("cnat_translation_update", "1234abcd");

      peer.dropConnections();

      await().atMost(Duration.ofSeconds(10)).until(() -> peer.registrations() >= 3);
      assertThat(told.get()).isZero();
      assertThatThrownBy(() -> client.sync(client.call(new VppMessages.ControlPing())))
          .isInstanceOf(VppApiException.class);
      peer.reportCrc("cnat_translation_update", "f8d40bc5"); // VPP rolled back
      await().atMost(Duration.ofSeconds(10)).until(() -> told.get() == 1);
      assertThat(client.sync(client.call(new VppMessages.ControlPing()))).isEqualTo(4242);
    }
  }

  @Test
  void connect_handshakeReplyWithAnotherContext_isNotAccepted() {
    peer.answerHandshakeWithAnotherContext();
    var options = VppBackendContractTest.FAST.withConnectTimeout(Duration.ofMillis(300));
    assertThatThrownBy(() -> VppApiClient.connect(peer.socket(), options))
        .isInstanceOf(VppApiException.class)
        .hasMessageContaining("sockclnt_create_reply: context");
  }

  @Test
  void connect_nothingListening_failsAfterTheConnectTimeout() {
    var options = VppBackendContractTest.FAST.withConnectTimeout(Duration.ofMillis(300));
    assertThatThrownBy(() -> VppApiClient.connect(dir.resolve("absent.sock"), options))
        .isInstanceOf(VppApiException.class)
        .hasMessageContaining("absent.sock");
  }

  @Test
  void call_manyInFlight_eachReplyMatchesItsContext() throws Exception {
    try (var client = VppApiClient.connect(peer.socket(), VppBackendContractTest.FAST)) {
      List<CompletableFuture<Integer>> ids = new ArrayList<>();
      // Every reply held until the 50th request, then sent newest first.
      peer.holdReplies(50);
      for (int i = 0; i < 50; i++) {
        ids.add(client.call(update(100 + i, 1 + i % 3)));
      }
      // The peer assigns ids in arrival order from 0: each future got its own reply.
      for (int i = 0; i < 50; i++) {
        assertThat(client.sync(ids.get(i))).isEqualTo(i);
      }
      List<CnatTranslation> dump = client.sync(client.dump(new VppMessages.TranslationDump()));
      assertThat(dump).hasSize(50);
      assertThat(dump.get(7).vip().address()).isEqualTo(IpAddress.parse("10.96.0.107"));
      assertThat(dump.get(7).paths()).hasSize(2);
    }
  }

  @Test
  void dump_detailsInterleavedWithAnotherReply_eachGoesToItsRequest() throws Exception {
    try (var client = VppApiClient.connect(peer.socket(), VppBackendContractTest.FAST)) {
      for (int i = 0; i < 3; i++) {
        client.sync(client.call(update(100 + i, 1)));
      }
      // dump + control_ping, then an update and a del: the del's reply comes first, then the
      // update's, interleaved with the dump's details.
      peer.holdReplies(4);
      var dump = client.dump(new VppMessages.TranslationDump());
      var created = client.call(update(110, 2));
      var deleted = client.call(new VppMessages.TranslationDel(0));
      assertThat(client.sync(deleted)).isTrue();
      assertThat(client.sync(created)).isEqualTo(3);
      assertThat(client.sync(dump))
          .extracting(t -> t.vip().address().toString())
          .containsExactly("10.96.0.100", "10.96.0.101", "10.96.0.102");
    }
  }

  @Test
  void call_negativeRetval_failsWithIt() throws Exception {
    try (var client = VppApiClient.connect(peer.socket(), VppBackendContractTest.FAST)) {
      assertThatThrownBy(() -> client.sync(client.call(new VppMessages.TranslationDel(99))))
          .isInstanceOfSatisfying(VppApiException.class, e -> assertThat(e.retval()).isEqualTo(-6))
          .hasMessage("cnat_translation_del: VPP returned -6");
    }
  }

  @Test
  void dump_empty_endsAtTheControlPing() throws Exception {
    try (var client = VppApiClient.connect(peer.socket(), VppBackendContractTest.FAST)) {
      assertThat(client.sync(client.dump(new VppMessages.TranslationDump()))).isEmpty();
      assertThat(client.sync(client.dump(new VppMessages.IpTableDump())))
          .contains(new VppMessages.IpTable(0, false, "ipv4-VRF:0"));
      assertThat(peer.requests())
          .containsExactly(
              "sockclnt_create",
              "cnat_translation_dump",
              "control_ping",
              "ip_table_dump",
              "control_ping");
    }
  }

  @Test
  void connectionDropped_reconnectsWithBackoffAndTellsListeners() throws Exception {
    try (var client = VppApiClient.connect(peer.socket(), VppBackendContractTest.FAST)) {
      var told = new AtomicInteger();
      client.onReconnect(told::incrementAndGet);

      peer.dropConnections();

      await().atMost(Duration.ofSeconds(10)).until(() -> told.get() == 1);
      assertThat(client.connections()).isEqualTo(2);
      assertThat(client.sync(client.call(new VppMessages.ControlPing()))).isEqualTo(4242);
    }
  }

  @Test
  void backoff_doublesToTheMaxWithJitterOfAtMostHalf() {
    var o = VppApiClient.Options.defaults(); // 100 ms doubling to 1 s
    assertThat(VppApiClient.backoff(o, 0, 0.999)).isEqualTo(99);
    assertThat(VppApiClient.backoff(o, 0, 0)).isEqualTo(50);
    assertThat(VppApiClient.backoff(o, 3, 0)).isEqualTo(400);
    assertThat(VppApiClient.backoff(o, 3, 0.5)).isEqualTo(600);
    assertThat(VppApiClient.backoff(o, 40, 0)).isEqualTo(500);
    assertThat(VppApiClient.backoff(o, 40, 0.999)).isBetween(990L, 1000L);
  }

  @Test
  void stepAfterLoss_shortLivedConnection_keepsGrowing_stableOne_restarts() {
    long stable = VppApiClient.STABLE.toNanos();
    assertThat(VppApiClient.stepAfterLoss(0, 1_000_000, stable)).isEqualTo(1);
    assertThat(VppApiClient.stepAfterLoss(4, 1_000_000, stable)).isEqualTo(5);
    assertThat(VppApiClient.stepAfterLoss(4, stable, stable)).isZero();
  }

  @Test
  void reconnect_vppDropsRightAfterEachRegistration_backsOffFurtherEachTime() throws Exception {
    var slow =
        VppBackendContractTest.FAST.withBackoff(Duration.ofMillis(100), Duration.ofSeconds(5));
    try (var client = VppApiClient.connect(peer.socket(), slow)) {
      var times = new java.util.concurrent.CopyOnWriteArrayList<Long>();
      client.onReconnect(() -> times.add(System.nanoTime()));
      long start = System.nanoTime();
      for (int i = 1; i <= 4; i++) {
        peer.dropConnections();
        int n = i;
        await()
            .pollDelay(Duration.ZERO)
            .pollInterval(Duration.ofMillis(2))
            .atMost(Duration.ofSeconds(20))
            .until(() -> times.size() == n);
      }
      // The reconnects after drops 1-4 wait at least 50, 100, 200 and 400 ms (half of each step): a
      // tight
      // loop that restarts at step 0 would take about nothing.
      assertThat(Duration.ofNanos(times.get(3) - start))
          .isGreaterThanOrEqualTo(Duration.ofMillis(350));
    }
  }

  @Test
  void close_unregistersWithSockclntDelete() throws Exception {
    VppApiClient.connect(peer.socket(), VppBackendContractTest.FAST).close();
    await().atMost(Duration.ofSeconds(5)).until(() -> peer.requests().contains("sockclnt_delete"));
  }
}
