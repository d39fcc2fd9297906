package io.multinet.app;

import io.multinet.dataplane.DataplaneBackend;
import io.multinet.dataplane.agent.AgentServer;
import io.multinet.dataplane.agent.DataplaneAgent;
import java.nio.file.Path;
import java.util.concurrent.Callable;
import org.jspecify.annotations.Nullable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code multinet-proxy agent}: serves the dataplane API in front of one backend. */
@Command(
    name = "agent",
    mixinStandardHelpOptions = true,
    versionProvider = BuildInfo.class,
    description = "Serve the gRPC dataplane API on a unix socket in front of a dataplane backend.",
    footer = {
      "",
      "Examples:",
      "  multinet-proxy agent --backend kernel",
      "  multinet-proxy agent --netns node-1 --socket /tmp/node-1.sock",
      "  multinet-proxy agent --backend vpp --vpp-socket /run/vpp/api.sock",
    })
final class AgentCommand implements Callable<Integer> {

  @CommandLine.Spec
  @SuppressWarnings("NullAway.Init")
  CommandLine.Model.CommandSpec spec;

  @CommandLine.Mixin BackendOptions dataplane = new BackendOptions();

  @CommandLine.Mixin KernelFlags kernel = new KernelFlags();

  @Option(
      names = "--socket",
      defaultValue = "/run/multinet/dataplane.sock",
      description = "The unix socket to serve on (made 0600).")
  Path socket = AgentServer.DEFAULT_SOCKET;

  /** The server while it runs; tests close it to end the command. */
  volatile @Nullable AgentServer serving;

  @Override
  public Integer call() throws Exception {
    int batchElements;
    try {
      batchElements = kernel.batchElements();
    } catch (IllegalArgumentException e) {
      spec.commandLine().getErr().println("agent: " + e.getMessage());
      spec.commandLine().getErr().flush();
      return 2;
    }
    try (DataplaneBackend b = dataplane.open(batchElements);
        AgentServer server = AgentServer.unixSocket(socket, new DataplaneAgent(b))) {
      spec.commandLine()
          .getOut()
          .println("dataplane agent (" + b.name() + ") serving on unix://" + socket);
      spec.commandLine().getOut().flush();
      Runtime.getRuntime().addShutdownHook(new Thread(server::close));
      serving = server;
      server.awaitTermination();
    }
    return 0;
  }
}
