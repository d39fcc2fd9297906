package io.multinet.app;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.multinet.dataplane.DesiredStates;
import io.multinet.dataplane.v1.DesiredState;
import io.multinet.dataplane.v1.NodeFacts;
import io.multinet.nodeproxy.NodeProxy;
import io.multinet.service.NodeInfo;
import io.multinet.watcher.EndpointWatcher;
import io.multinet.watcher.Problem;
import io.multinet.watcher.explain.ExplainReport;
import io.multinet.watcher.explain.Trace;
import io.multinet.watcher.manifest.ManifestLoader;
import io.multinet.watcher.network.NetworkCatalog;
import io.multinet.watcher.slice.EndpointBuilder;
import io.multinet.watcher.view.NodeView;
import java.io.InputStream;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.logging.Level;
import java.util.logging.Logger;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code multinet-proxy explain}: loads manifests into an embedded API server, runs the same
 * controller code to convergence and prints what it made of them.
 */
@Command(
    name = "explain",
    description =
        "Load manifests offline, run the controller on them and print the per-network result.")
final class ExplainCommand implements Callable<Integer> {

  enum Format {
    json,
    table,
    dataplane
  }

  @CommandLine.Spec
  @SuppressWarnings("NullAway.Init") // injected by picocli before call()
  CommandLine.Model.CommandSpec spec;

  @Option(
      names = "--manifests",
      required = true,
      description = "Directory of YAML/JSON manifests (searched recursively).")
  @SuppressWarnings("NullAway.Init") // required option
  Path manifests;

  @Option(
      names = {"-o", "--output"},
      defaultValue = "json",
      description = "Output format: ${COMPLETION-CANDIDATES}.")
  Format output = Format.json;

  @Option(
      names = "--node",
      defaultValue = "node-1",
      description = "The node to trace for: its zone and which endpoints are local.")
  String node = "node-1";

  @Option(
      names = "--trace",
      description =
          "network=NAME,dst=ADDR:PORT/PROTO[,src=ADDR[:PORT]]: the backends eligible on --node, why not the others, and the one chosen; repeatable.")
  List<String> traces = new ArrayList<>();

  @Option(
      names = "--timeout",
      defaultValue = "PT60S",
      description = "How long to wait for convergence (ISO-8601).")
  Duration timeout = Duration.ofSeconds(60);

  @Override
  public Integer call() throws Exception {
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    if (!Files.isDirectory(manifests)) {
      err.println("explain: --manifests " + manifests + " (expected: a directory)");
      return 2;
    }
    // The controller's own warnings go to the report, not to the terminal.
    Logger.getLogger("io.multinet").setLevel(Level.SEVERE);
    Logger.getLogger("io.fabric8")
        .setLevel(Level.WARNING); // the embedded server logs every request
    try (var api = new EmbeddedApiServer();
        KubernetesClient client = api.newClient()) {
      List<Problem> problems = new ArrayList<>(loadCrds(client));
      var loader = new ManifestLoader(client, "default");
      problems.addAll(loader.loadDirectory(manifests).problems());
      try (var watcher = new EndpointWatcher(client, Clock.systemUTC())) {
        watcher.start();
        watcher.setLeading(true);
        if (!watcher.awaitIdle(timeout, Duration.ofMillis(500))) {
          err.println("explain: the controller did not converge within " + timeout);
          return 1;
        }
        if (!traces.isEmpty()) {
          List<Trace.Result> results = new ArrayList<>();
          for (String t : traces) {
            try {
              results.add(Trace.run(client, watcher.catalog(), node, t));
            } catch (IllegalArgumentException e) {
              err.println("explain: " + e.getMessage());
              return 2;
            }
          }
          // Text unless -o json is asked for: a trace is read by people first.
          if (output == Format.json && spec.commandLine().getParseResult().hasMatchedOption("-o")) {
            out.println(Trace.toJson(results));
          } else {
            for (int i = 0; i < results.size(); i++) {
              if (i > 0) {
                out.println();
              }
              results.get(i).lines().forEach(out::println);
            }
          }
          out.flush();
          return 0;
        }
        var report = ExplainReport.build(client, watcher.catalog(), problems);
        if (output == Format.json) {
          out.println(ExplainReport.toJson(report));
        } else if (output == Format.dataplane) {
          out.println(DesiredStates.toJson(dataplaneState(client, watcher.catalog())));
        } else {
          ExplainTable.print(report, out);
        }
      }
    }
    out.flush();
    return 0;
  }

  /** The desired dataplane state of {@code --node}, as the node proxy would program it. */
  private DesiredState dataplaneState(KubernetesClient client, NetworkCatalog catalog) {
    var nodeObj = client.nodes().withName(node).get();
    String zone =
        nodeObj == null || nodeObj.getMetadata().getLabels() == null
            ? null
            : nodeObj.getMetadata().getLabels().get(EndpointBuilder.ZONE_LABEL);
    var view =
        NodeView.build(
            new NodeInfo(node, zone),
            catalog,
            client.services().inAnyNamespace().list().getItems(),
            client.discovery().v1().endpointSlices().inAnyNamespace().list().getItems(),
            ns -> client.namespaces().withName(ns).get(),
            null,
            null);
    return DesiredStates.from(
        view.table(),
        NodeProxy.networkSpecs(catalog),
        NodeFacts.newBuilder().setName(node).build());
  }

  /** Our CRDs, so that Network status and claims behave as on a real cluster. */
  private static List<Problem> loadCrds(KubernetesClient client) throws java.io.IOException {
    var loader = new ManifestLoader(client, "default");
    List<HasMetadata> items = new ArrayList<>();
    for (String f : List.of("networks.multinet.io.yaml", "clusteripclaims.multinet.io.yaml")) {
      try (InputStream in =
          ExplainCommand.class.getResourceAsStream("/io/multinet/watcher/crds/" + f)) {
        if (in == null) {
          throw new IllegalStateException("CRD " + f + " missing from the jar");
        }
        items.addAll(loader.parse(in));
      }
    }
    return loader.create(items).problems();
  }
}
