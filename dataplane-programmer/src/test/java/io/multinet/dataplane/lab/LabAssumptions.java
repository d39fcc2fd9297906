package io.multinet.dataplane.lab;

import java.io.IOException;
import org.junit.jupiter.api.Assumptions;

/** Skips real-traffic tests where namespaces cannot be built (not root, no iproute2). */
public final class LabAssumptions {

  private LabAssumptions() {}

  public static void assumeSupported() throws IOException {
    String why = Topology.unsupportedReason();
    Assumptions.assumeTrue(why == null, () -> "real-traffic test skipped: " + why);
  }
}
