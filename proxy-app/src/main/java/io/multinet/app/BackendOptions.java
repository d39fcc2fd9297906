package io.multinet.app;

import io.multinet.dataplane.DataplaneBackend;
import io.multinet.dataplane.kernel.KernelBackend;
import org.jspecify.annotations.Nullable;
import picocli.CommandLine.Option;

/** The {@code --backend} and {@code --netns} options of every command that opens a backend. */
final class BackendOptions {

  enum BackendKind {
    kernel
  }

  @Option(
      names = "--backend",
      defaultValue = "kernel",
      description = "Dataplane: ${COMPLETION-CANDIDATES}.")
  BackendKind backend = BackendKind.kernel;

  @Option(
      names = "--netns",
      description = "Network namespace to program (ip netns name); default: this one.")
  @Nullable String netns;

  DataplaneBackend open() {
    return open(backend, netns);
  }

  static DataplaneBackend open(BackendKind kind, @Nullable String netns) {
    return switch (kind) {
      case kernel -> new KernelBackend(netns);
    };
  }
}
