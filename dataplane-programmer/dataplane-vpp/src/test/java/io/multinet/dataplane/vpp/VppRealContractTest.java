package io.multinet.dataplane.vpp;

import static org.assertj.core.api.Assertions.assertThat;

import io.multinet.dataplane.DataplaneBackend;
import io.multinet.dataplane.DataplaneBackendContract;
import io.multinet.dataplane.v1.DesiredState;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The contract against a real VPP that {@link RealVpp} starts for this class (skipped, with one
 * line saying why, where there is no VPP runtime or no root). Every test ends with a cleanup, which
 * deletes every cnat translation of that VPP. Addresses: see {@link io.multinet.dataplane.States}.
 */
class VppRealContractTest extends DataplaneBackendContract {

  @RegisterExtension static final RealVpp VPP = RealVpp.perClass();

  private static VppApiClient.Options options() {
    return VppApiClient.Options.defaults().withConnectTimeout(Duration.ofSeconds(10));
  }

  @Override
  protected DataplaneBackend newBackend() throws Exception {
    DataplaneBackend b = VppBackend.connect(VPP.socket(), options());
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
    backend = VppBackend.connect(VPP.socket(), options());
    // A fresh agent knows no VIP → network mapping: networks show as 0 until it applies.
    backend.applyFull(s);
    assertThat(backend.observe()).isEqualTo(expected(s));
  }
}
