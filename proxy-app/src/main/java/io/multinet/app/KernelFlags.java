package io.multinet.app;

import io.multinet.dataplane.kernel.KernelBackend;
import picocli.CommandLine.Option;

/**
 * {@code --kernel-batch-elements}, of the commands that build a kernel backend ({@code run}, {@code
 * agent}, {@code dataplane apply}).
 */
final class KernelFlags {

  @Option(
      names = "--kernel-batch-elements",
      paramLabel = "N",
      defaultValue = "" + KernelBackend.DEFAULT_BATCH_ELEMENTS,
      description =
          "With the kernel dataplane: at most N service and endpoint elements per netlink"
              + " transaction of a full sync (whole service ports each), so that a large first sync"
              + " never holds the kernel's nftables lock for long. Default: ${DEFAULT-VALUE}.")
  int batchElements = KernelBackend.DEFAULT_BATCH_ELEMENTS;

  /**
   * The checked value.
   *
   * @throws IllegalArgumentException e.g. "--kernel-batch-elements: 0 (expected: 1-1000000)"
   */
  int batchElements() {
    if (batchElements < 1 || batchElements > KernelBackend.MAX_BATCH_ELEMENTS) {
      throw new IllegalArgumentException(
          "--kernel-batch-elements: "
              + batchElements
              + " (expected: 1-"
              + KernelBackend.MAX_BATCH_ELEMENTS
              + ")");
    }
    return batchElements;
  }
}
