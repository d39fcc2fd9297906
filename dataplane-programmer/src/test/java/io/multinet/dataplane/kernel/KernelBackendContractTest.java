package io.multinet.dataplane.kernel;

import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.multinet.dataplane.DataplaneBackend;
import io.multinet.dataplane.DataplaneBackendContract;
import io.multinet.dataplane.v1.DesiredState;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;

/** The contract against real nftables, in a network namespace each test creates and deletes. */
class KernelBackendContractTest extends DataplaneBackendContract {

  private String netns = "";

  @Override
  protected DataplaneBackend newBackend() throws Exception {
    assumeTrue(
        Files.isWritable(Path.of("/run")) && Files.exists(Path.of("/usr/sbin/ip")),
        "needs root and iproute2 (CI runs as root)");
    netns = "mpk-" + Integer.toHexString(ThreadLocalRandom.current().nextInt(1 << 24));
    run("ip", "netns", "add", netns);
    return new KernelBackend(netns);
  }

  @Override
  protected DesiredState expected(DesiredState desired) {
    return KernelObserver.expected(desired);
  }

  @Override
  protected void destroyDataplane() throws Exception {
    if (!netns.isEmpty()) {
      run("ip", "netns", "del", netns);
    }
  }

  static void run(String... cmd) throws Exception {
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    String out =
        new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
    if (!p.waitFor(30, TimeUnit.SECONDS) || p.exitValue() != 0) {
      throw new IllegalStateException(String.join(" ", cmd) + ": " + out);
    }
  }
}
