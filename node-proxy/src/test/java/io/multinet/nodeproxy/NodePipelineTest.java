package io.multinet.nodeproxy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSliceBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.multinet.dataplane.v1.ServicePort;
import io.multinet.kube.crd.NetworkResource;
import io.multinet.kube.network.NetworkCatalog;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * The node pipeline over lists and over informers. Ranges: the default network's VIPs
 * 172.30.0.0/16, endpoints 10.0.0.0/16; network blue (56) VIPs 10.96.0.0/16, pods 10.1.0.0/16.
 */
@EnableKubernetesMockClient(crud = true)
class NodePipelineTest {

  KubernetesClient client;

  private static final NodeProxy.Options OPTIONS = NodeProxy.Options.DEFAULTS;

  @Test
  void run_ofOneChangedService_deltaHoldsJustItsPorts_fromThePreviousRevision() {
    var pipeline = new NodePipeline("node-a", OPTIONS);
    List<Service> services = List.of(service("a", "172.30.0.1"), service("b", "172.30.0.2"));
    NodePipeline.Result first =
        pipeline.run(
            caches(services, List.of(slice("a", "10.0.0.1"), slice("b", "10.0.0.2"))), null);

    NodePipeline.Result second =
        pipeline.run(
            caches(services, List.of(slice("a", "10.0.0.1"), slice("b", "10.0.0.3"))),
            Set.of("ns/b"));

    assertThat(second.remapped()).isEqualTo(1);
    assertThat(second.baseRevision()).isEqualTo(first.revision());
    assertThat(second.revision()).isGreaterThan(first.revision());
    assertThat(second.delta().getUpsertServicePortsList())
        .extracting(ServicePort::getAddress)
        .containsExactly("172.30.0.2");
    assertThat(second.delta().getRemoveServicePortsCount()).isZero();
    assertThat(second.delta().getUpsertNetworksCount()).isZero();
  }

  @Test
  void run_afterANetworkChange_remapsEveryService() {
    var pipeline = new NodePipeline("node-a", OPTIONS);
    List<Service> services = List.of(blueService("a", "10.96.0.1"), blueService("b", "10.96.0.2"));
    List<EndpointSlice> slices = List.of(slice("a", "10.1.0.1"), slice("b", "10.1.0.2"));
    NodePipeline.Result first = pipeline.run(caches(services, slices, blue("10.1.0.0/16")), null);
    assertThat(first.state().getServicePortsList()).allMatch(p -> p.getBackendsCount() == 1);

    // Blue's pod CIDRs move: no Service changed, yet every port loses its endpoint.
    NodePipeline.Result second = pipeline.run(caches(services, slices, blue("10.2.0.0/16")), null);

    assertThat(second.remapped()).isEqualTo(2);
    assertThat(second.baseRevision()).isEqualTo(first.revision());
    assertThat(second.delta().getUpsertServicePortsList())
        .extracting(ServicePort::getAddress)
        .containsExactlyInAnyOrder("10.96.0.1", "10.96.0.2");
    assertThat(second.state().getServicePortsList()).allMatch(p -> p.getBackendsCount() == 0);
  }

  @Test
  void run_overLists_givesTheStateTheProxyProgrammedFromItsInformers() throws Exception {
    try (InputStream in =
        Files.newInputStream(Path.of("../charts/multinet-proxy/crds/networks.multinet.io.yaml"))) {
      client.load(in).items().forEach(i -> client.resource(i).create());
    }
    client.resources(NetworkResource.class).resource(blue("10.1.0.0/16")).create();
    client
        .resource(new NodeBuilder().withNewMetadata().withName("node-a").endMetadata().build())
        .create();
    for (Service s : List.of(service("a", "172.30.0.1"), blueService("b", "10.96.0.2"))) {
      client.resource(s).create();
    }
    client.resource(slice("a", "10.0.0.1")).create();
    client.resource(slice("b", "10.1.0.2")).create();

    try (var node =
        InProcessNode.start(client, "node-a", new NodeProxyTest.RecordingBackend(), OPTIONS)) {
      await()
          .atMost(Duration.ofSeconds(10))
          .until(() -> node.proxy().lastState() != null && node.proxy().table().size() == 2);
      var lists = Caches.list(client, "node-a");

      NodePipeline.Result fromLists = new NodePipeline("node-a", OPTIONS).run(lists, null);

      assertThat(fromLists.state()).isEqualTo(node.proxy().lastState());
      assertThat(fromLists.table().servicePorts())
          .containsExactlyInAnyOrderElementsOf(node.proxy().table().servicePorts());
      assertThat(NetworkCatalog.build(lists.networks(), List.of(), List.of()).networks())
          .hasSize(1);
    }
  }

  private static Caches caches(List<Service> services, List<EndpointSlice> slices) {
    return Caches.of(services, slices, List.of(), List.of(), List.of(), List.of(), null);
  }

  private static Caches caches(
      List<Service> services, List<EndpointSlice> slices, NetworkResource network) {
    return Caches.of(services, slices, List.of(), List.of(network), List.of(), List.of(), null);
  }

  private static NetworkResource blue(String podCidr) {
    var blue = new NetworkResource();
    blue.getMetadata().setName("blue");
    var spec = new NetworkResource.Spec();
    spec.id = 56;
    spec.serviceCIDRs = List.of("10.96.0.0/16");
    spec.podCIDRs = List.of(podCidr);
    blue.setSpec(spec);
    return blue;
  }

  private static Service service(String name, String vip) {
    return new ServiceBuilder()
        .withNewMetadata()
        .withName(name)
        .withNamespace("ns")
        .endMetadata()
        .withNewSpec()
        .withClusterIP(vip)
        .addNewPort()
        .withName("http")
        .withProtocol("TCP")
        .withPort(80)
        .endPort()
        .endSpec()
        .build();
  }

  private static Service blueService(String name, String vip) {
    return new ServiceBuilder(service(name, "None"))
        .editMetadata()
        .withAnnotations(Map.of("multinet.io/network", "blue", "multinet.io/cluster-ips", vip))
        .endMetadata()
        .editSpec()
        .withClusterIP(null)
        .endSpec()
        .build();
  }

  private static EndpointSlice slice(String service, String address) {
    boolean blue = address.startsWith("10.1.") || address.startsWith("10.2.");
    var b =
        new EndpointSliceBuilder()
            .withNewMetadata()
            .withName(service + "-1")
            .withNamespace("ns")
            .addToLabels("kubernetes.io/service-name", service)
            .endMetadata()
            .withAddressType("IPv4")
            .addNewPort()
            .withName("http")
            .withProtocol("TCP")
            .withPort(8080)
            .endPort()
            .addNewEndpoint()
            .withAddresses(address)
            .withNodeName("node-a")
            .endEndpoint();
    if (blue) {
      b.editMetadata()
          .addToLabels("multinet.io/network", "blue")
          .addToLabels("endpointslice.kubernetes.io/managed-by", "endpoint-watcher.multinet.io")
          .endMetadata();
    }
    return b.build();
  }
}
