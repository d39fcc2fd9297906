package io.multinet.app;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.multinet.apiserver.EmbeddedApiServer;
import io.multinet.apiserver.ManifestLoader;
import io.multinet.dataplane.lab.Topology;
import io.multinet.demo.Demo;
import java.io.InputStream;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.logging.Level;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code multinet-proxy demo}: a small multi-network cluster on this machine (root needed), built
 * from manifests and exercised with real traffic; nothing leaves the machine.
 */
@Command(
    name = "demo",
    mixinStandardHelpOptions = true,
    versionProvider = BuildInfo.class,
    description = "Build a local multi-network cluster in network namespaces and show it serving.",
    footer = {
      "",
      "Needs root, nft, ip and libnftables; nothing leaves this machine.",
      "",
      "Examples:",
      "  sudo bin/multinet-proxy demo",
      "  sudo bin/multinet-proxy demo --keep   # leave it running; Ctrl-C removes it",
      "  sudo bin/multinet-proxy demo --manifests my-manifests --requests 20",
    })
final class DemoCommand implements Callable<Integer> {

  @CommandLine.Spec
  @SuppressWarnings("NullAway.Init")
  CommandLine.Model.CommandSpec spec;

  @Option(
      names = "--manifests",
      defaultValue = "examples/demo",
      description = "Manifests to load (default: examples/demo).")
  Path manifests = Path.of("examples/demo");

  @Option(
      names = "--keep",
      description = "Leave the cluster running and print how to poke it; Ctrl-C removes it.")
  boolean keep;

  @Option(
      names = "--requests",
      defaultValue = "6",
      description = "Requests per VIP from each network's client.")
  int requests = 6;

  /** The VIP of the Service in {@link #tryItManifest}. */
  static final String TRY_IT_VIP = "10.96.0.20";

  /**
   * A Pod on network red and a Service for it at {@link #TRY_IT_VIP}, for a user to apply to the
   * running demo (the {@code --keep} banner says how).
   */
  static String tryItManifest() throws java.io.IOException {
    try (InputStream in =
        DemoCommand.class.getResourceAsStream("/io/multinet/demo/hello-red.yaml")) {
      if (in == null) {
        throw new IllegalStateException("hello-red.yaml missing from the jar");
      }
      return new String(in.readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
    }
  }

  /**
   * For each chain, the dig command that asks its question from its client as the demo did: {@code
   * ip netns exec CLIENT dig @DNS NAME}.
   */
  static List<String> digLines(List<Demo.DnsChain> chains) {
    return chains.stream()
        .map(c -> "ip netns exec " + c.clientNamespace() + " dig @" + c.dns() + " " + c.name())
        .toList();
  }

  /** Loads our CRDs, then every manifest under {@code dir}, into the API server. */
  static ManifestLoader.Result load(KubernetesClient client, Path dir) throws java.io.IOException {
    var loader = new ManifestLoader(client, "default");
    List<HasMetadata> crds = new ArrayList<>();
    for (String f : List.of("networks.multinet.io.yaml", "clusteripclaims.multinet.io.yaml")) {
      try (InputStream in = DemoCommand.class.getResourceAsStream("/io/multinet/kube/crds/" + f)) {
        if (in == null) {
          throw new IllegalStateException("CRD " + f + " missing from the jar");
        }
        crds.addAll(loader.parse(in));
      }
    }
    loader.create(crds);
    return loader.loadDirectory(dir);
  }

  @Override
  public Integer call() throws Exception {
    PrintWriter out = spec.commandLine().getOut();
    PrintWriter err = spec.commandLine().getErr();
    String why = Topology.unsupportedReason();
    if (why != null) {
      err.println("demo: " + why + " (run it as root, e.g. sudo bin/multinet-proxy demo)");
      return 2;
    }
    if (!Files.isDirectory(manifests)) {
      err.println(
          "demo: --manifests " + manifests + " (expected: a directory of YAML/JSON manifests)");
      return 2;
    }
    Logging.quiet("", Level.WARNING, MultinetProxy.verbose(spec));
    try (var api = new EmbeddedApiServer();
        KubernetesClient client = api.newClient()) {
      var loaded = load(client, manifests);
      loaded.problems().forEach(p -> out.println("manifest: " + p));
      out.println(
          "embedded API server on 127.0.0.1:"
              + api.port()
              + " with "
              + loaded.created().size()
              + " objects from "
              + manifests);
      Demo demo = Demo.start(client, out);
      try {
        out.println();
        out.println("requests from each network's client to its VIPs (backend -> answers):");
        demo.probeAll(requests);
        out.println();
        out.println(
            "a name from each network's client, asked at its network's DNS address"
                + " (name -> VIP -> backend -> answers):");
        List<Demo.DnsChain> chains = demo.resolveAll(requests);
        if (keep) {
          out.println();
          out.println("the cluster keeps running; in another shell, as root:");
          out.println(
              "  ip netns list | grep "
                  + demo.topology().node().substring(0, demo.topology().node().lastIndexOf('-')));
          out.println(
              "  ip netns exec " + demo.topology().node() + " nft list table inet multinet");
          if (demo.hasClient("blue")) {
            out.println(
                "  ip netns exec "
                    + demo.clientNamespace("blue")
                    + " curl -s --max-time 2 telnet://10.96.0.10:80");
          }
          digLines(chains).forEach(l -> out.println("  " + l));
          Path dir = Files.createTempDirectory("multinet-demo-");
          dir.toFile().deleteOnExit();
          Path kubeconfig = dir.resolve("kubeconfig");
          kubeconfig.toFile().deleteOnExit();
          Files.writeString(kubeconfig, api.kubeconfig());
          out.println(
              "  export KUBECONFIG=" + kubeconfig + "; kubectl get networks,svc -A   # the API");
          if (demo.hasClient("red")) {
            Path tryIt = dir.resolve("hello-red.yaml");
            tryIt.toFile().deleteOnExit();
            Files.writeString(tryIt, tryItManifest());
            out.println("it is live: a pod and a service on network red, then their VIP from red:");
            // --validate=false: the embedded API server serves no OpenAPI to validate against.
            out.println(
                "  kubectl apply --validate=false -f " + tryIt + "; kubectl get pods -n demo");
            out.println(
                "  ip netns exec "
                    + demo.clientNamespace("red")
                    + " curl -s --max-time 2 telnet://"
                    + TRY_IT_VIP
                    + ":80");
          }
          out.println("Ctrl-C removes everything.");
          out.flush();
          var stop = new CountDownLatch(1);
          Runtime.getRuntime()
              .addShutdownHook(
                  new Thread(
                      () -> {
                        demo.close();
                        stop.countDown();
                      }));
          stop.await();
        }
      } finally {
        demo.close(); // idempotent: the shutdown hook may have closed it already
      }
      out.println("demo cluster removed");
      out.flush();
    }
    return 0;
  }
}
