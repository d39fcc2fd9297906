package io.multinet.nodeproxy.view;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.LabelSelectorBuilder;
import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSliceBuilder;
import io.multinet.kube.crd.NetworkResource;
import io.multinet.kube.network.NetworkCatalog;
import io.multinet.network.IpAddress;
import io.multinet.network.Protocol;
import io.multinet.service.Endpoint;
import io.multinet.service.NodeInfo;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Network blue: services 10.96.0.0/16, pods 10.1.0.0/16; 192.168.7.0/24 is outside it. Network
 * tenants: the same ranges, for namespaces labelled tenant=a.
 */
class NodeViewTest {

  @Test
  void build_selectorlessNetworkService_usesHandWrittenSlicesButNotForeignAddresses() {
    var blue = new NetworkResource();
    blue.getMetadata().setName("blue");
    var spec = new NetworkResource.Spec();
    spec.id = 56;
    spec.serviceCIDRs = List.of("10.96.0.0/16");
    spec.podCIDRs = List.of("10.1.0.0/16");
    blue.setSpec(spec);
    NetworkCatalog catalog = NetworkCatalog.build(List.of(blue), List.of(), List.of());
    var svc =
        new ServiceBuilder()
            .withNewMetadata()
            .withName("manual")
            .withNamespace("ns")
            .withAnnotations(
                Map.of("multinet.io/network", "blue", "multinet.io/cluster-ips", "10.96.0.9"))
            .endMetadata()
            .withNewSpec()
            .addNewPort()
            .withName("http")
            .withProtocol("TCP")
            .withPort(80)
            .endPort()
            .endSpec()
            .build();
    var slice =
        new EndpointSliceBuilder()
            .withNewMetadata()
            .withName("manual-1")
            .withNamespace("ns")
            .withLabels(Map.of("kubernetes.io/service-name", "manual"))
            .endMetadata()
            .withAddressType("IPv4")
            .addNewEndpoint()
            .withAddresses("10.1.0.5")
            .endEndpoint()
            .addNewEndpoint()
            .withAddresses("192.168.7.7")
            .endEndpoint()
            .addNewPort()
            .withName("http")
            .withProtocol("TCP")
            .withPort(8080)
            .endPort()
            .build();
    var labelled =
        new ServiceBuilder(svc)
            .editMetadata()
            .withName("other")
            .withLabels(Map.of(NodeView.SERVICE_PROXY_NAME, "someone-else"))
            .endMetadata()
            .build();

    var view =
        NodeView.build(
            new NodeInfo("node-a", null),
            catalog,
            List.of(svc, labelled),
            List.of(slice),
            ns -> null,
            null,
            null);

    var entry = view.table().lookup(56, IpAddress.parse("10.96.0.9"), Protocol.TCP, 80);
    assertThat(entry).isNotNull();
    assertThat(entry.backends()).extracting(Endpoint::hostPort).containsExactly("10.1.0.5:8080");
    assertThat(view.skipped()).anySatisfy(s -> assertThat(s).contains("192.168.7.7"));
    assertThat(view.table().size()).isEqualTo(1); // the other proxy's Service is left alone
  }

  @Test
  void build_handWrittenSliceFromNamespaceOutsideSelector_isNotServed() {
    var tenants = new NetworkResource();
    tenants.getMetadata().setName("tenants");
    var spec = new NetworkResource.Spec();
    spec.id = 60;
    spec.serviceCIDRs = List.of("10.96.0.0/16");
    spec.podCIDRs = List.of("10.1.0.0/16");
    spec.namespaceSelector =
        new LabelSelectorBuilder().withMatchLabels(Map.of("tenant", "a")).build();
    tenants.setSpec(spec);
    NetworkCatalog catalog = NetworkCatalog.build(List.of(tenants), List.of(), List.of());
    List<Service> services =
        List.of(manual("tenant-a", "10.96.0.9"), manual("tenant-b", "10.96.0.10"));
    List<EndpointSlice> slices =
        List.of(handWritten("tenant-a", "10.1.0.5"), handWritten("tenant-b", "10.1.0.6"));
    var labels = new java.util.HashMap<>(Map.of("tenant-a", "a", "tenant-b", "b"));

    var view = build(catalog, services, slices, labels);

    assertThat(view.table().lookup(60, IpAddress.parse("10.96.0.9"), Protocol.TCP, 80).backends())
        .extracting(Endpoint::hostPort)
        .containsExactly("10.1.0.5:8080");
    assertThat(view.table().lookup(60, IpAddress.parse("10.96.0.10"), Protocol.TCP, 80)).isNull();
    assertThat(view.table().size()).isEqualTo(1);

    // Relabelled in, then the other relabelled out.
    labels.put("tenant-b", "a");
    labels.put("tenant-a", "c");
    var relabelled = build(catalog, services, slices, labels);

    assertThat(relabelled.table().lookup(60, IpAddress.parse("10.96.0.9"), Protocol.TCP, 80))
        .isNull();
    assertThat(
            relabelled
                .table()
                .lookup(60, IpAddress.parse("10.96.0.10"), Protocol.TCP, 80)
                .backends())
        .extracting(Endpoint::hostPort)
        .containsExactly("10.1.0.6:8080");
  }

  private static NodeView.Result build(
      NetworkCatalog catalog,
      List<Service> services,
      List<EndpointSlice> slices,
      Map<String, String> tenantOf) {
    return NodeView.build(
        new NodeInfo("node-a", null),
        catalog,
        services,
        slices,
        ns -> namespace(ns, tenantOf.get(ns)),
        null,
        null);
  }

  private static Namespace namespace(String name, String tenant) {
    return new NamespaceBuilder()
        .withNewMetadata()
        .withName(name)
        .withLabels(Map.of("tenant", tenant))
        .endMetadata()
        .build();
  }

  private static Service manual(String ns, String vip) {
    return new ServiceBuilder()
        .withNewMetadata()
        .withName("manual")
        .withNamespace(ns)
        .withAnnotations(Map.of("multinet.io/network", "tenants", "multinet.io/cluster-ips", vip))
        .endMetadata()
        .withNewSpec()
        .addNewPort()
        .withName("http")
        .withProtocol("TCP")
        .withPort(80)
        .endPort()
        .endSpec()
        .build();
  }

  private static EndpointSlice handWritten(String ns, String address) {
    return new EndpointSliceBuilder()
        .withNewMetadata()
        .withName("manual-1")
        .withNamespace(ns)
        .withLabels(
            Map.of("kubernetes.io/service-name", "manual", "multinet.io/network", "tenants"))
        .endMetadata()
        .withAddressType("IPv4")
        .addNewEndpoint()
        .withAddresses(address)
        .endEndpoint()
        .addNewPort()
        .withName("http")
        .withProtocol("TCP")
        .withPort(8080)
        .endPort()
        .build();
  }
}
