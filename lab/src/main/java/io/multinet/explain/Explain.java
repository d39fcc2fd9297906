package io.multinet.explain;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.multinet.apiserver.ManifestLoader;
import io.multinet.dataplane.DesiredStates;
import io.multinet.dataplane.v1.DesiredState;
import io.multinet.dataplane.v1.NodeFacts;
import io.multinet.kube.Problem;
import io.multinet.kube.WellKnown;
import io.multinet.kube.network.NetworkCatalog;
import io.multinet.nodeproxy.NodeProxy;
import io.multinet.nodeproxy.view.NodeView;
import io.multinet.service.NodeInfo;
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

  /** The desired dataplane state of {@code node}, as the node proxy would program it. */
  public static DesiredState dataplaneState(
      KubernetesClient client, NetworkCatalog catalog, String node) {
    var nodeObj = client.nodes().withName(node).get();
    String zone =
        nodeObj == null || nodeObj.getMetadata().getLabels() == null
            ? null
            : nodeObj.getMetadata().getLabels().get(WellKnown.ZONE_LABEL);
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
}
