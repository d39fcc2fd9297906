package io.multinet.app;

import io.multinet.dataplane.DataplaneBackend;
import io.multinet.dataplane.DataplaneException;
import io.multinet.dataplane.kernel.KernelBackend;
import io.multinet.dataplane.vpp.VppApiException;
import io.multinet.dataplane.vpp.VppBackend;
import java.nio.file.Path;
import org.jspecify.annotations.Nullable;
import picocli.CommandLine.Option;

/**
 * The {@code --backend}, {@code --netns} and {@code --vpp-socket} options of every command that
 * opens a backend.
 */
final class BackendOptions {

  static final Path DEFAULT_VPP_SOCKET = Path.of("/run/vpp/api.sock");

  enum BackendKind {
    kernel,
    vpp
  }

  @Option(
      names = "--backend",
      defaultValue = "kernel",
      description = "Dataplane: ${COMPLETION-CANDIDATES}.")
  BackendKind backend = BackendKind.kernel;

  @Option(
      names = "--netns",
      description =
          "Network namespace to program (ip netns name; --backend kernel); default: this one.")
  @Nullable String netns;

  @Option(
      names = "--vpp-socket",
      defaultValue = "/run/vpp/api.sock",
      description =
          "VPP's binary API socket (socksvr), for --backend vpp. Default: ${DEFAULT-VALUE}.")
  Path vppSocket = DEFAULT_VPP_SOCKET;

  DataplaneBackend open() throws DataplaneException {
    return open(backend, netns, vppSocket, KernelBackend.DEFAULT_BATCH_ELEMENTS);
  }

  /** The backend, a kernel one writing at most {@code kernelBatchElements} per transaction. */
  DataplaneBackend open(int kernelBatchElements) throws DataplaneException {
    return open(backend, netns, vppSocket, kernelBatchElements);
  }

  static DataplaneBackend open(BackendKind kind, @Nullable String netns) throws DataplaneException {
    return open(kind, netns, DEFAULT_VPP_SOCKET, KernelBackend.DEFAULT_BATCH_ELEMENTS);
  }

  static DataplaneBackend open(
      BackendKind kind, @Nullable String netns, Path vppSocket, int kernelBatchElements)
      throws DataplaneException {
    return switch (kind) {
      case kernel -> new KernelBackend(netns, kernelBatchElements);
      case vpp -> {
        if (netns != null) {
          throw new DataplaneException(
              "--netns: " + netns + " (expected: none with --backend vpp; VPP has its own FIBs)");
        }
        try {
          yield VppBackend.connect(vppSocket);
        } catch (VppApiException e) {
          throw new DataplaneException("VPP at " + vppSocket + ": " + e.getMessage(), true, e);
        }
      }
    };
  }
}
