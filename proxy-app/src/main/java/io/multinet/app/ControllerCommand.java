package io.multinet.app;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.multinet.watcher.EndpointWatcher;
import io.multinet.watcher.LeaderElection;
import java.net.InetAddress;
import java.time.Clock;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import org.jspecify.annotations.Nullable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code multinet-proxy controller}: the endpoint-watcher, writing only while it holds the Lease.
 */
@Command(
    name = "controller",
    mixinStandardHelpOptions = true,
    versionProvider = BuildInfo.class,
    description = "Run the endpoint-watcher controller with leader election.")
final class ControllerCommand implements Callable<Integer> {

  @CommandLine.Spec
  @SuppressWarnings("NullAway.Init")
  CommandLine.Model.CommandSpec spec;

  @Option(names = "--leader-elect-namespace", defaultValue = "kube-system")
  String namespace = "kube-system";

  @Option(
      names = "--identity",
      description = "This replica's name in the Lease (default: $POD_NAME, else the host name).")
  @Nullable String identity;

  @Override
  public Integer call() throws Exception {
    String id =
        identity != null
            ? identity
            : System.getenv().getOrDefault("POD_NAME", InetAddress.getLocalHost().getHostName());
    var stop = new CountDownLatch(1);
    try (KubernetesClient client = new KubernetesClientBuilder().build();
        var watcher = new EndpointWatcher(client, Clock.systemUTC())) {
      watcher.start();
      try (var election =
          new LeaderElection(client, watcher, namespace, id, LeaderElection.Timing.DEFAULT)) {
        election.start();
        spec.commandLine()
            .getOut()
            .println(
                "endpoint-watcher " + id + " started; campaigning for the Lease in " + namespace);
        spec.commandLine().getOut().flush();
        Runtime.getRuntime().addShutdownHook(new Thread(stop::countDown));
        stop.await();
      }
    }
    return 0;
  }
}
