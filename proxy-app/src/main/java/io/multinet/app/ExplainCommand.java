package io.multinet.app;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.multinet.apiserver.EmbeddedApiServer;
import io.multinet.apiserver.ManifestLoader;
import io.multinet.dataplane.DesiredStates;
import io.multinet.explain.DnsTrace;
import io.multinet.explain.Explain;
import io.multinet.explain.Trace;
import io.multinet.explain.TraceResult;
import io.multinet.kube.Problem;
import io.multinet.kube.network.NetworkCatalog;
import io.multinet.nodeproxy.Caches;
import io.multinet.nodeproxy.dns.DnsOptions;
import io.multinet.watcher.EndpointWatcher;
import io.multinet.watcher.explain.ExplainReport;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.logging.Level;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code multinet-proxy explain}: loads manifests into an embedded API server, runs the same
 * controller code to convergence and prints what it made of them.
 */
@Command(
    name = "explain",
    mixinStandardHelpOptions = true,
    versionProvider = BuildInfo.class,
    description =
        "Load manifests offline, run the controller on them and print the per-network result.",
    footer = {
      "",
      "Examples:",
      "  multinet-proxy explain --manifests examples/demo -o table",
      "  kubectl get -A -o yaml pods,services,endpointslices,networks > dump/all.yaml",
      "  multinet-proxy explain --manifests dump -o json",
      "  multinet-proxy explain --manifests examples/demo --node node-1 \\",
      "      --trace network=red,dst=10.96.0.10:80/TCP,src=10.1.0.99",
      "  multinet-proxy explain --manifests examples/dns \\",
      "      --trace network=blue,name=web.shop.svc.cluster.local",
      "  multinet-proxy explain --manifests examples/demo -o dataplane > state.json",
    })
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
          "network=NAME,dst=ADDR:PORT/PROTO[,src=ADDR[:PORT]]: the backends eligible on --node, why not the others, and the one chosen; network=NAME,name=NAME[,type=A|AAAA|CNAME|PTR|SRV|TXT|SOA|ANY]: the answer the node's DNS gives that network's clients; repeatable.")
  List<String> traces = new ArrayList<>();

  @Option(
      names = "--cluster-domain",
      paramLabel = "DOMAIN",
      defaultValue = DnsOptions.DEFAULT_DOMAIN,
      description =
          "The node proxy's cluster domain (run --cluster-domain), for networks without"
              + " spec.dns.clusterDomain. Default: ${DEFAULT-VALUE}.")
  String clusterDomain = DnsOptions.DEFAULT_DOMAIN;

  @Option(
      names = "--dns-upstream",
      paramLabel = "ADDR[:PORT]",
      description =
          "The node's resolvers (run --dns-upstream), named by DNS traces of names outside the"
              + " cluster domain; repeatable. Default: this machine's /etc/resolv.conf.")
  List<String> dnsUpstreams = new ArrayList<>();

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
    DnsOptions dns;
    try {
      dns = DnsOptions.defaults().withClusterDomain(clusterDomain);
    } catch (IllegalArgumentException e) {
      err.println(
          "explain: --cluster-domain: "
              + clusterDomain
              + " (expected: a DNS name such as cluster.local)");
      return 2;
    }
    try {
      dns = dns.withNodeUpstreams(DnsFlags.nodeUpstreams(dnsUpstreams));
    } catch (IllegalArgumentException e) {
      err.println("explain: " + e.getMessage());
      return 2;
    }
    // The controller's own warnings go to the report, not to the terminal.
    Logging.quiet("io.multinet", Level.SEVERE, MultinetProxy.verbose(spec));
    try (var api = new EmbeddedApiServer();
        KubernetesClient client = api.newClient()) {
      List<Problem> problems = new ArrayList<>(Explain.loadCrds(client));
      var loader = new ManifestLoader(client, "default");
      problems.addAll(loader.loadDirectory(manifests).problems());
      NetworkCatalog loaded = Explain.catalog(client, node);
      try (var watcher = new EndpointWatcher(client, Clock.systemUTC())) {
        watcher.start();
        watcher.setLeading(true);
        if (!watcher.awaitIdle(timeout, Duration.ofMillis(500))) {
          err.println("explain: the controller did not converge within " + timeout);
          return 1;
        }
        if (!traces.isEmpty()) {
          List<TraceResult> results = new ArrayList<>();
          for (String t : traces) {
            try {
              results.add(
                  DnsTrace.isDns(t)
                      ? DnsTrace.run(Caches.list(client, node), watcher.catalog(), node, dns, t)
                      : Trace.run(client, watcher.catalog(), node, t));
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
        Explain.addDns(report, loaded, Explain.catalog(client, node), dns.clusterDomain());
        if (output == Format.json) {
          out.println(ExplainReport.toJson(report));
        } else if (output == Format.dataplane) {
          out.println(DesiredStates.toJson(Explain.dataplaneState(client, node)));
        } else {
          ExplainTable.print(report, out);
        }
      }
    }
    out.flush();
    return 0;
  }
}
