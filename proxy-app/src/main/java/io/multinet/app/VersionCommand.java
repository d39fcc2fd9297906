package io.multinet.app;

import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/** {@code multinet-proxy version}: the build's version and the running JVM. */
@Command(
    name = "version",
    mixinStandardHelpOptions = true,
    versionProvider = BuildInfo.class,
    description = "Print the version of multinet-proxy and of the JVM.")
final class VersionCommand implements Callable<Integer> {

  @CommandLine.Spec
  @SuppressWarnings("NullAway.Init") // injected by picocli before call()
  CommandLine.Model.CommandSpec spec;

  @Override
  public Integer call() {
    var out = spec.commandLine().getOut();
    out.println("multinet-proxy " + BuildInfo.version());
    out.println(
        "java " + Runtime.version() + " (" + System.getProperty("java.vm.vendor", "unknown") + ")");
    out.flush();
    return 0;
  }
}
