package io.multinet.explain;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.multinet.apiserver.ManifestLoader;
import io.multinet.dataplane.v1.DesiredState;
import io.multinet.kube.Problem;
import io.multinet.kube.network.NetworkCatalog;
import io.multinet.kube.network.NetworkDefinition;
import io.multinet.kube.network.NetworkDns;
import io.multinet.network.IpAddress;
import io.multinet.nodeproxy.Caches;
import io.multinet.nodeproxy.NodePipeline;
import io.multinet.nodeproxy.NodeProxy;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

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

  /** The networks as the API server's objects say now (before the controller: the manifests). */
  public static NetworkCatalog catalog(KubernetesClient client, String node) {
    Caches c = Caches.list(client, node);
    return NetworkCatalog.build(c.networks(), c.calicoNetworks(), c.attachments());
  }

  /**
   * Adds {@code dns} to every network of {@code report} that has DNS: {@code clusterIPs} (the
   * addresses the node answers on), {@code clusterDomain}, {@code upstreams} when the network names
   * its own, and {@code pending: true} when the manifests neither request addresses nor carry a
   * {@code status.dns}: a live controller then picks them when it first sees the Network (its own
   * claims decide which), so an offline run cannot say which they will be, and lists none.
   *
   * @param loaded the networks as loaded, before the controller ran
   * @param converged the networks after it converged: its claims and status
   * @param clusterDomain the node proxy's default domain ({@code run --cluster-domain})
   */
  public static void addDns(
      ObjectNode report, NetworkCatalog loaded, NetworkCatalog converged, String clusterDomain) {
    for (JsonNode n : report.path("networks")) {
      NetworkDefinition d = converged.byName(n.path("name").asString());
      NetworkDns dns = d == null ? null : d.dns();
      if (d == null || dns == null) {
        continue;
      }
      NetworkDefinition before = loaded.byName(d.name());
      NetworkDns asLoaded = before == null ? null : before.dns();
      boolean pending = asLoaded == null || asLoaded.clusterIPs().isEmpty();
      ObjectNode o = ((ObjectNode) n).putObject("dns");
      ArrayNode ips = o.putArray("clusterIPs");
      if (!pending) {
        dns.clusterIPs().stream().map(IpAddress::toString).forEach(ips::add);
      }
      o.put("clusterDomain", Objects.requireNonNullElse(dns.clusterDomain(), clusterDomain));
      if (!dns.upstreams().isEmpty()) {
        ArrayNode up = o.putArray("upstreams");
        dns.upstreams().forEach(u -> up.add(DnsTrace.hostPort(u)));
      }
      if (pending) {
        o.put("pending", true);
      }
    }
  }
}
