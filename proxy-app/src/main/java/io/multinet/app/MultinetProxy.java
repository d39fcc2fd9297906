package io.multinet.app;

import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The {@code multinet-proxy} command line: one binary for the node proxy, controller and agents.
 */
@Command(
    name = "multinet-proxy",
    mixinStandardHelpOptions = true,
    versionProvider = BuildInfo.class,
    description = "A network-aware service proxy for Kubernetes that replaces kube-proxy.",
    subcommands = {
      VersionCommand.class,
      RunCommand.class,
      DemoCommand.class,
      ControllerCommand.class,
      ExplainCommand.class,
      AgentCommand.class,
      DataplaneCommand.class,
      CommandLine.HelpCommand.class
    })
public final class MultinetProxy implements Runnable {

  @CommandLine.Spec
  @SuppressWarnings("NullAway.Init") // injected by picocli before run()
  CommandLine.Model.CommandSpec spec;

  public static void main(String[] args) {
    System.exit(newCommandLine().execute(args));
  }

  static CommandLine newCommandLine() {
    return new CommandLine(new MultinetProxy())
        .setExecutionExceptionHandler(new MissingPrerequisite());
  }

  @Override
  public void run() {
    // No subcommand: print usage rather than silently doing nothing.
    spec.commandLine().usage(spec.commandLine().getOut());
  }
}
