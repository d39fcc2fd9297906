package io.multinet.dataplane.vpp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.multinet.dataplane.DataplaneBackend;
import io.multinet.dataplane.DataplaneBackendContract;
import io.multinet.dataplane.v1.DesiredState;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;

/**
 * The contract against a real VPP whose API socket {@code MULTINET_VPP_SOCKET} names (skipped
 * otherwise); docs/vpp.md says how to run one without hugepages or DPDK. Every test ends with a
 * cleanup, so the VPP must be one whose cnat translations this suite may own. Addresses: see {@link
 * io.multinet.dataplane.States}.
 */
class VppRealContractTest extends DataplaneBackendContract {

  static final String ENV = "MULTINET_VPP_SOCKET";

  private VppApiClient.Options options() {
    return VppApiClient.Options.defaults().withConnectTimeout(Duration.ofSeconds(10));
  }

  @Override
  protected DataplaneBackend newBackend() throws Exception {
    String socket = System.getenv(ENV);
    assumeTrue(socket != null && !socket.isBlank(), ENV + " names no VPP API socket");
    DataplaneBackend b = VppBackend.connect(Path.of(socket), options());
    b.cleanup(); // start from an empty cnat
    return b;
  }

  @Override
  protected DesiredState expected(DesiredState desired) {
    return VppBackend.expected(desired);
  }

  @Override
  protected boolean isolatesOverlappingVips() {
    return false;
  }

  @Test
  void reconnect_afterTheAgentRestarts_keepsWhatVppHolds() throws Exception {
    DesiredState s = twoNetworks();
    backend.applyFull(s);
    backend.close();
    backend = VppBackend.connect(Path.of(System.getenv(ENV)), options());
    // A fresh agent knows no VIP → network mapping: networks show as 0 until it applies.
    backend.applyFull(s);
    assertThat(backend.observe()).isEqualTo(expected(s));
  }
}
