package io.multinet.watcher;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.multinet.kube.WellKnown;
import io.multinet.kube.crd.ClusterIPClaim;
import io.multinet.kube.crd.NetworkResource;
import io.multinet.kube.testing.KubeObjects;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Builds objects in the mock API server. Address ranges: networks blue (id 56) and red (id 57) both
 * use service range 10.96.0.0/16 and pod range 10.1.0.0/16, so their addresses overlap on purpose;
 * attachments are default/blue-net and default/red-net.
 */
final class TestCluster {

  static final String NS = "default";

  private final KubernetesClient client;

  TestCluster(KubernetesClient client) {
    this.client = client;
  }

  /** Registers our CRDs from the chart, so the mock honours the status subresource. */
  TestCluster crds() throws IOException {
    for (String f : List.of("networks.multinet.io.yaml", "clusteripclaims.multinet.io.yaml")) {
      try (InputStream in = Files.newInputStream(Path.of("../charts/multinet-proxy/crds", f))) {
        client.load(in).items().forEach(i -> client.resource(i).create());
      }
    }
    return this;
  }

  TestCluster network(String name, int id, String attachment) {
    var n = new NetworkResource();
    n.getMetadata().setName(name);
    var spec = new NetworkResource.Spec();
    spec.id = id;
    spec.serviceCIDRs = List.of("10.96.0.0/16");
    spec.podCIDRs = List.of("10.1.0.0/16");
    spec.attachments = List.of(attachment);
    n.setSpec(spec);
    client.resources(NetworkResource.class).resource(n).create();
    return this;
  }

  TestCluster blueAndRed() {
    return network("blue", 56, "default/blue-net").network("red", 57, "default/red-net");
  }

  Service service(String name, String network, String app, int port, int targetPort) {
    return client
        .resource(
            KubeObjects.service(
                NS,
                name,
                Map.of("multinet.io/network", network),
                Map.of("app", app),
                port,
                targetPort))
        .create();
  }

  /** Edits pod {@code name} of the test namespace in the API server. */
  Pod editPod(String name, java.util.function.UnaryOperator<Pod> edit) {
    return client.pods().inNamespace(NS).withName(name).edit(edit);
  }

  /** A running, ready pod with one interface per (attachment, address) pair given. */
  Pod pod(String name, String app, String node, String... attachmentAndAddress) {
    return client
        .resource(
            KubeObjects.readyPod(
                NS, name, app, node, KubeObjects.networkStatus(attachmentAndAddress)))
        .create();
  }

  List<EndpointSlice> slices(String service) {
    return client
        .discovery()
        .v1()
        .endpointSlices()
        .inNamespace(NS)
        .withLabel(WellKnown.SERVICE_NAME_LABEL, service)
        .withLabel(WellKnown.MANAGED_BY_LABEL, WellKnown.MANAGED_BY)
        .list()
        .getItems();
  }

  /** "address:port ready" for every endpoint of the Service's slices, sorted. */
  List<String> endpoints(String service) {
    List<String> out = new ArrayList<>();
    for (EndpointSlice s : slices(service)) {
      int port = s.getPorts().getFirst().getPort();
      for (var e : s.getEndpoints()) {
        out.add(
            e.getAddresses().getFirst()
                + ":"
                + port
                + (Boolean.TRUE.equals(e.getConditions().getReady()) ? " ready" : " not-ready")
                + " "
                + s.getMetadata().getLabels().get(WellKnown.NETWORK_LABEL));
      }
    }
    out.sort(null);
    return out;
  }

  /** The claims Services hold (not the networks' DNS addresses). */
  List<ClusterIPClaim> serviceClaims() {
    return client.resources(ClusterIPClaim.class).list().getItems().stream()
        .filter(c -> !c.getSpec().heldByNetwork())
        .toList();
  }

  /** The claims networks' DNS services hold. */
  List<ClusterIPClaim> dnsClaims() {
    return client.resources(ClusterIPClaim.class).list().getItems().stream()
        .filter(c -> c.getSpec().heldByNetwork())
        .toList();
  }

  String annotation(HasMetadata o, String key) {
    Map<String, String> a = o.getMetadata().getAnnotations();
    return a == null ? "" : a.getOrDefault(key, "");
  }
}
