package io.multinet.app;

import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.ScopeType;

/**
 * The {@code multinet-proxy} command line: one binary for the node proxy, controller and agents.
 */
@Command(
    name = "multinet-proxy",
    mixinStandardHelpOptions = true,
    versionProvider = BuildInfo.class,
    description = "A network-aware service proxy for Kubernetes that replaces kube-proxy.",
    footer = {
      "",
      "Run `multinet-proxy COMMAND --help` for a command's options and examples.",
    },
    subcommands = {
      VersionCommand.class,
      RunCommand.class,
      DemoCommand.class,
      ControllerCommand.class,
      ExplainCommand.class,
      AgentCommand.class,
      DataplaneCommand.class,
      AotTrainingCommand.class,
      CommandLine.HelpCommand.class
    })
public final class MultinetProxy implements Runnable {

  @CommandLine.Spec
  @SuppressWarnings("NullAway.Init") // injected by picocli before run()
  CommandLine.Model.CommandSpec spec;

  @Option(
      names = {"-v", "--verbose"},
      scope = ScopeType.INHERIT,
      description =
          "Also print the log lines of the libraries (the embedded API server's requests).")
  boolean verbose;

  public static void main(String[] args) {
    String aot = AotCache.unusedMessage();
    if (aot != null) {
      System.err.println(aot);
    }
    System.exit(newCommandLine().execute(args));
  }

  static CommandLine newCommandLine() {
    var root = new MultinetProxy();
    var cli = new CommandLine(root).setExecutionExceptionHandler(new MissingPrerequisite());
    cli.setExecutionStrategy(
        parsed -> {
          Logging.configure(root.verbose);
          return new CommandLine.RunLast().execute(parsed);
        });
    return cli;
  }

  /** Whether {@code -v} was given, on the command of {@code spec} or any above it. */
  static boolean verbose(CommandLine.Model.CommandSpec spec) {
    return spec.root().userObject() instanceof MultinetProxy p && p.verbose;
  }

  @Override
  public void run() {
    // No subcommand: print usage rather than silently doing nothing.
    spec.commandLine().usage(spec.commandLine().getOut());
  }
}
