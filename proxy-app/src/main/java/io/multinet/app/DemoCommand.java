package io.multinet.app;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.multinet.dataplane.lab.Topology;
import io.multinet.demo.Demo;
import io.multinet.watcher.manifest.ManifestLoader;
import java.io.InputStream;
import java.io.PrintWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.logging.Level;
import java.util.logging.Logger;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code multinet-proxy demo}: a small multi-network cluster on this machine (root needed), built
 * from manifests and exercised with real traffic; nothing leaves the machine.
 */
@Command(
    name = "demo",
    description = "Build a local multi-network cluster in network namespaces and show it serving.")
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

  /** Loads our CRDs, then every manifest under {@code dir}, into the API server. */
  static ManifestLoader.Result load(KubernetesClient client, Path dir) throws java.io.IOException {
    var loader = new ManifestLoader(client, "default");
    List<HasMetadata> crds = new ArrayList<>();
    for (String f : List.of("networks.multinet.io.yaml", "clusteripclaims.multinet.io.yaml")) {
      try (InputStream in =
          DemoCommand.class.getResourceAsStream("/io/multinet/watcher/crds/" + f)) {
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
    Logger.getLogger("").setLevel(Level.WARNING);
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
        if (keep) {
          out.println();
          out.println("the cluster keeps running; in another shell, as root:");
          out.println(
              "  ip netns list | grep "
                  + demo.topology().node().substring(0, demo.topology().node().lastIndexOf('-')));
          out.println(
              "  ip netns exec " + demo.topology().node() + " nft list table inet multinet");
          out.println(
              "  ip netns exec "
                  + demo.topology().pod("client-blue").netns()
                  + " curl -s --max-time 2 telnet://10.96.0.10:80");
          Path kubeconfig = Files.createTempFile("multinet-demo-", ".kubeconfig");
          kubeconfig.toFile().deleteOnExit();
          Files.writeString(kubeconfig, api.kubeconfig());
          out.println(
              "  export KUBECONFIG=" + kubeconfig + "; kubectl get networks,svc -A   # the API");
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
