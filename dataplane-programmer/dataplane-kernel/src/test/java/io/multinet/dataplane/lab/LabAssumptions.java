package io.multinet.dataplane.lab;

import io.multinet.dataplane.kernel.KernelBackend;
import java.io.IOException;
import org.junit.jupiter.api.Assumptions;

/**
 * Skips real-traffic tests where namespaces cannot be built (not root, no iproute2), and kernel
 * dataplane tests where libnftables is not installed, with one line saying why. bin/test installs
 * what is missing first, so there they run.
 */
public final class LabAssumptions {

  private LabAssumptions() {}

  public static void assumeSupported() throws IOException {
    String why = Topology.unsupportedReason();
    Assumptions.assumeTrue(why == null, () -> "real-traffic test skipped: " + why);
  }

  /** {@link #assumeSupported}, and libnftables loads. */
  public static void assumeKernelDataplane() throws IOException {
    assumeSupported();
    String why = KernelBackend.unavailableReason();
    Assumptions.assumeTrue(why == null, () -> "kernel dataplane test skipped: " + why);
  }
}
