package io.multinet.explain;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.multinet.apiserver.ManifestLoader;
import io.multinet.dataplane.v1.DesiredState;
import io.multinet.kube.Problem;
import io.multinet.nodeproxy.Caches;
import io.multinet.nodeproxy.NodePipeline;
import io.multinet.nodeproxy.NodeProxy;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;

/**
 * What {@code explain} computes besides the controller's report and the trace: our CRDs in the
 * embedded API server, and the dataplane state a node would program.
 */
public final class Explain {

  private Explain() {}

  /** Our CRDs, so that Network status and claims behave as on a real cluster. */
  public static List<Problem> loadCrds(KubernetesClient client) throws IOException {
    var loader = new ManifestLoader(client, "default");
    List<HasMetadata> items = new ArrayList<>();
    for (String f : List.of("networks.multinet.io.yaml", "clusteripclaims.multinet.io.yaml")) {
      try (InputStream in = Explain.class.getResourceAsStream("/io/multinet/kube/crds/" + f)) {
        if (in == null) {
          throw new IllegalStateException("CRD " + f + " missing from the jar");
        }
        items.addAll(loader.parse(in));
      }
    }
    return loader.create(items).problems();
  }

  /**
   * The desired dataplane state of {@code node}, as the node proxy would program it: the node
   * proxy's pipeline, run once over the API server's objects.
   */
  public static DesiredState dataplaneState(KubernetesClient client, String node) {
    return new NodePipeline(node, NodeProxy.Options.DEFAULTS)
        .run(Caches.list(client, node), null)
        .state();
  }
}
