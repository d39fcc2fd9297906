package io.multinet.app;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.multinet.apiserver.EmbeddedApiServer;
import io.multinet.dataplane.programmer.DataplaneProgrammer;
import io.multinet.nodeproxy.HealthServer;
import io.multinet.nodeproxy.NodeProxy;
import io.multinet.nodeproxy.dns.DnsOptions;
import io.multinet.watcher.EndpointWatcher;
import io.multinet.watcher.LeaderElection;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.function.BooleanSupplier;
import java.util.logging.Level;
import java.util.stream.Stream;
import picocli.CommandLine;
import picocli.CommandLine.Command;

/**
 * The training run of the JDK ahead-of-time cache that the build ships ({@code -XX:AOTCacheOutput},
 * JEP 514): it starts what {@code run} and {@code controller} start, against the embedded API
 * server loaded with the demo's manifests, so that the classes they load and link are in the cache.
 * It needs no privileges (a build, or an image build, runs it), so the node proxy programs through
 * an agent address nobody listens on: everything up to the dataplane call is trained.
 */
@Command(
    name = "aot-training",
    hidden = true,
    mixinStandardHelpOptions = true,
    description = "The build's training run for the JDK AOT cache (not for operators).")
final class AotTrainingCommand implements Callable<Integer> {

  private static final String NODE = "node-1";
  private static final List<String> MANIFESTS =
      List.of("00-networks.yaml", "10-pods.yaml", "20-services.yaml");
  private static final Duration STEP_TIMEOUT = Duration.ofSeconds(20);

  @CommandLine.Spec
  @SuppressWarnings("NullAway.Init") // injected by picocli before call()
  CommandLine.Model.CommandSpec spec;

  @Override
  public Integer call() throws Exception {
    PrintWriter out = spec.commandLine().getOut();
    Logging.quiet("", Level.SEVERE, MultinetProxy.verbose(spec));
    long start = System.nanoTime();
    Path dir = Files.createTempDirectory("multinet-aot-training");
    try {
      for (String m : MANIFESTS) {
        try (InputStream in = resource("training/" + m)) {
          Files.copy(in, dir.resolve(m));
        }
      }
      try (var api = new EmbeddedApiServer();
          KubernetesClient client = api.newClient()) {
        DemoCommand.load(client, dir);
        train(client, dir.resolve("no-agent.sock"));
      }
      new CommandLine(new MultinetProxy())
          .setOut(new PrintWriter(PrintWriter.nullWriter()))
          .execute("explain", "--manifests", dir.toString(), "-o", "json");
    } finally {
      try (Stream<Path> files = Files.walk(dir)) {
        for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
          Files.deleteIfExists(p);
        }
      }
    }
    out.printf(
        "aot-training: done in %d ms%n", Duration.ofNanos(System.nanoTime() - start).toMillis());
    out.flush();
    return 0;
  }

  private static void train(KubernetesClient client, Path noAgent) throws Exception {
    try (var watcher = new EndpointWatcher(client, Clock.systemUTC());
        var election =
            new LeaderElection(
                client, watcher, "default", "aot-training", LeaderElection.Timing.DEFAULT)) {
      watcher.start();
      election.start();
      await(watcher::isLeading);
      watcher.awaitIdle(STEP_TIMEOUT, Duration.ofMillis(200));
      DnsOptions dns =
          DnsOptions.defaults()
              .withListenAddresses(List.of(InetAddress.getLoopbackAddress()))
              .withNodeUpstreams(List.of());
      var options = NodeProxy.Options.DEFAULTS.withDns(dns, List.of());
      try (var programmer =
              DataplaneProgrammer.connect("unix://" + noAgent, Duration.ofSeconds(1));
          var proxy = new NodeProxy(client, NODE, programmer, Clock.systemUTC(), options)) {
        proxy.start();
        // The first sync builds everything and fails at the dataplane call.
        await(() -> proxy.metrics().syncFailures() > 0);
        var loopback = new InetSocketAddress(InetAddress.getLoopbackAddress(), 0);
        try (var health = new HealthServer(proxy, loopback, loopback, Duration.ofSeconds(60));
            var http = HttpClient.newHttpClient()) {
          for (String url :
              List.of(
                  "http://127.0.0.1:" + health.healthPort() + "/healthz",
                  "http://127.0.0.1:" + health.metricsPort() + "/metrics")) {
            http.send(
                HttpRequest.newBuilder(URI.create(url)).build(),
                HttpResponse.BodyHandlers.discarding());
          }
        }
      }
    }
  }

  /** Waits for {@code condition} at most {@link #STEP_TIMEOUT}: a step that fails trains less. */
  private static void await(BooleanSupplier condition) throws InterruptedException {
    long deadline = System.nanoTime() + STEP_TIMEOUT.toNanos();
    while (!condition.getAsBoolean() && System.nanoTime() < deadline) {
      Thread.sleep(50);
    }
  }

  private static InputStream resource(String name) throws IOException {
    InputStream in = AotTrainingCommand.class.getResourceAsStream(name);
    if (in == null) {
      throw new IOException("resource missing from the jar: io/multinet/app/" + name);
    }
    return in;
  }
}
