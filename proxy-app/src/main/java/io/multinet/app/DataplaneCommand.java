package io.multinet.app;

import io.multinet.dataplane.DataplaneBackend;
import io.multinet.dataplane.DataplaneException;
import io.multinet.dataplane.DesiredStates;
import io.multinet.dataplane.programmer.DataplaneProgrammer;
import io.multinet.dataplane.v1.DesiredState;
import java.io.IOException;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.Callable;
import org.jspecify.annotations.Nullable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code multinet-proxy dataplane}: program, inspect and clean a dataplane directly. */
@Command(
    name = "dataplane",
    mixinStandardHelpOptions = true,
    versionProvider = BuildInfo.class,
    description =
        "Apply a desired state to a dataplane, show an agent's status, or remove everything.",
    footer = {
      "",
      "Examples:",
      "  multinet-proxy explain --manifests examples/demo -o dataplane > state.json",
      "  multinet-proxy dataplane apply --netns node-1 --state state.json",
      "  multinet-proxy dataplane apply --state state.json \\",
      "      --dataplane-endpoint unix:///run/multinet/dataplane.sock",
      "  multinet-proxy dataplane status --dataplane-endpoint unix:///tmp/node-1.sock",
      "  multinet-proxy dataplane cleanup --netns node-1",
    },
    subcommands = {
      DataplaneCommand.Apply.class,
      DataplaneCommand.Cleanup.class,
      DataplaneCommand.Status.class
    })
final class DataplaneCommand implements Runnable {

  @CommandLine.Spec
  @SuppressWarnings("NullAway.Init") // injected by picocli
  CommandLine.Model.CommandSpec spec;

  @Override
  public void run() {
    spec.commandLine().usage(spec.commandLine().getOut());
  }

  /**
   * {@code dataplane apply}: exits 0 only when the state is applied, directly or (with {@code
   * --dataplane-endpoint}) by a running agent that acknowledged it.
   */
  @Command(
      name = "apply",
      mixinStandardHelpOptions = true,
      versionProvider = BuildInfo.class,
      description = {
        "Apply a desired state (proto3 JSON, as explain -o dataplane prints it) to a dataplane,",
        "or, with --dataplane-endpoint, through a running agent (the whole state; it replaces",
        "what the agent serves until its programmer sends the next state)."
      })
  static final class Apply implements Callable<Integer> {
    @CommandLine.Spec
    @SuppressWarnings("NullAway.Init")
    CommandLine.Model.CommandSpec spec;

    @CommandLine.Mixin BackendOptions dataplane = new BackendOptions();

    @CommandLine.Mixin KernelFlags kernel = new KernelFlags();

    @Option(
        names = "--dataplane-endpoint",
        description =
            "Program through the agent at this endpoint (unix:///path) and wait for its"
                + " acknowledgement, instead of opening a dataplane (no --backend, --netns or"
                + " --vpp-socket then).")
    @Nullable String endpoint;

    @Option(
        names = "--state",
        required = true,
        description = "File with the desired state, or - for standard input.")
    @SuppressWarnings("NullAway.Init")
    String state;

    @Override
    public Integer call() throws IOException {
      PrintWriter err = spec.commandLine().getErr();
      int batchElements;
      try {
        batchElements = kernel.batchElements();
      } catch (IllegalArgumentException e) {
        err.println("dataplane apply: " + e.getMessage());
        return 2;
      }
      String json =
          state.equals("-")
              ? new String(System.in.readAllBytes(), StandardCharsets.UTF_8)
              : Files.readString(Path.of(state));
      DesiredState desired;
      try {
        desired = DesiredStates.fromJson(json);
      } catch (IllegalArgumentException e) {
        err.println("dataplane apply: " + e.getMessage());
        return 2;
      }
      String through = "";
      String agent = endpoint;
      if (agent != null) {
        var parsed = spec.commandLine().getParseResult();
        for (String o : new String[] {"--backend", "--netns", "--vpp-socket"}) {
          if (parsed.hasMatchedOption(o)) {
            err.println(
                "dataplane apply: "
                    + o
                    + " (expected: none with --dataplane-endpoint; the agent has its dataplane)");
            return 2;
          }
        }
        try (var p = DataplaneProgrammer.connect(agent, Duration.ofSeconds(60))) {
          through = " through " + agent + " (generation " + p.apply(desired) + ")";
        } catch (DataplaneException | IllegalArgumentException e) {
          err.println("dataplane apply: " + agent + ": " + e.getMessage());
          return 1;
        } catch (RuntimeException e) {
          // gRPC's own failures (e.g. no agent at the socket) arrive unchecked
          err.println("dataplane apply: " + agent + ": " + e);
          return 1;
        }
      } else {
        try (DataplaneBackend b = dataplane.open(batchElements)) {
          b.applyFull(desired);
        } catch (DataplaneException e) {
          err.println("dataplane apply: " + e.getMessage());
          return 1;
        }
      }
      spec.commandLine()
          .getOut()
          .println(
              "applied "
                  + desired.getServicePortsCount()
                  + " service ports in "
                  + desired.getNetworksCount()
                  + " networks"
                  + through);
      spec.commandLine().getOut().flush();
      return 0;
    }
  }

  /** {@code dataplane cleanup}: removes the table and the policy routing rules. */
  @Command(
      name = "cleanup",
      mixinStandardHelpOptions = true,
      versionProvider = BuildInfo.class,
      description = "Remove everything multinet-proxy programmed into the dataplane.")
  static final class Cleanup implements Callable<Integer> {
    @CommandLine.Spec
    @SuppressWarnings("NullAway.Init")
    CommandLine.Model.CommandSpec spec;

    @CommandLine.Mixin BackendOptions dataplane = new BackendOptions();

    @Override
    public Integer call() {
      try (DataplaneBackend b = dataplane.open()) {
        b.cleanup();
      } catch (DataplaneException e) {
        spec.commandLine().getErr().println("dataplane cleanup: " + e.getMessage());
        return 1;
      }
      return 0;
    }
  }

  /**
   * {@code dataplane status}: the agent's applied generation and counts, then what its backend
   * reads from the dataplane (VPP: tables, translations, cnat clients; the kernel: its table).
   */
  @Command(
      name = "status",
      mixinStandardHelpOptions = true,
      versionProvider = BuildInfo.class,
      description = {
        "Ask a dataplane agent what it has applied, and show what its backend reads from the",
        "dataplane (VPP: FIB tables, cnat translations and clients; kernel: its nftables table)."
      })
  static final class Status implements Callable<Integer> {
    @CommandLine.Spec
    @SuppressWarnings("NullAway.Init")
    CommandLine.Model.CommandSpec spec;

    @Option(
        names = "--dataplane-endpoint",
        defaultValue = "unix:///run/multinet/dataplane.sock",
        description = "The agent to ask. Default: ${DEFAULT-VALUE}.")
    String endpoint = "unix:///run/multinet/dataplane.sock";

    @Override
    public Integer call() {
      try (var p = DataplaneProgrammer.connect(endpoint, Duration.ofSeconds(5))) {
        var s = p.status(true);
        PrintWriter out = spec.commandLine().getOut();
        out.printf(
            "backend %s, generation %d: %d networks, %d service ports, %d backends; %d full syncs, %d deltas, %d errors%s%n",
            s.getBackend(),
            s.getAppliedGeneration(),
            s.getNetworks(),
            s.getServicePorts(),
            s.getBackends(),
            s.getFullSyncs(),
            s.getDeltas(),
            s.getErrors(),
            s.getLastError().isEmpty() ? "" : " (last: " + s.getLastError() + ")");
        for (String line : s.getViewList()) {
          out.println("  " + line);
        }
        out.flush();
        return 0;
      } catch (RuntimeException e) {
        spec.commandLine()
            .getErr()
            .println("dataplane status: " + endpoint + ": " + e.getMessage());
        return 1;
      }
    }
  }
}
