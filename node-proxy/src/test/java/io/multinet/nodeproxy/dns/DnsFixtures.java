package io.multinet.nodeproxy.dns;

import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointBuilder;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSliceBuilder;
import io.multinet.kube.WellKnown;
import io.multinet.kube.crd.NetworkResource;
import io.multinet.nodeproxy.Caches;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * Networks, Services and slices for the DNS tests. Ranges: networks blue (56) and red (57) both
 * have VIPs 10.96.0.0/16 and pods 10.1.0.0/16 (they overlap on purpose), DNS at 10.96.0.53.
 */
final class DnsFixtures {

  private DnsFixtures() {}

  static NetworkResource network(String name, int id) {
    return network(name, id, null);
  }

  static NetworkResource network(String name, int id, @Nullable List<String> upstreams) {
    var n = new NetworkResource();
    n.getMetadata().setName(name);
    var spec = new NetworkResource.Spec();
    spec.id = id;
    spec.serviceCIDRs = List.of("10.96.0.0/16");
    spec.podCIDRs = List.of("10.1.0.0/16");
    spec.dns = new NetworkResource.Dns();
    spec.dns.clusterIPs = List.of("10.96.0.53");
    spec.dns.upstreams = upstreams;
    n.setSpec(spec);
    return n;
  }

  /** A ClusterIP Service in {@code network} (null: the default network) with named port http. */
  static Service service(String ns, String name, @Nullable String network, String... vips) {
    var b =
        new ServiceBuilder()
            .withNewMetadata()
            .withName(name)
            .withNamespace(ns)
            .endMetadata()
            .withNewSpec()
            .withSelector(Map.of("app", name))
            .addNewPort()
            .withName("http")
            .withProtocol("TCP")
            .withPort(80)
            .endPort()
            .addNewPort()
            .withProtocol("UDP")
            .withPort(9999)
            .endPort()
            .endSpec();
    if (network == null) {
      b.editSpec().withClusterIP(vips[0]).withClusterIPs(List.of(vips)).endSpec();
    } else {
      b.editMetadata()
          .withAnnotations(
              Map.of(
                  "multinet.io/network",
                  network,
                  WellKnown.CLUSTER_IPS_ANNOTATION,
                  String.join(",", vips)))
          .endMetadata();
    }
    return b.build();
  }

  static Service headless(String ns, String name, String network, boolean publishNotReady) {
    return new ServiceBuilder()
        .withNewMetadata()
        .withName(name)
        .withNamespace(ns)
        .withAnnotations(Map.of("multinet.io/network", network))
        .endMetadata()
        .withNewSpec()
        .withClusterIP("None")
        .withSelector(Map.of("app", name))
        .withPublishNotReadyAddresses(publishNotReady)
        .addNewPort()
        .withName("db")
        .withProtocol("TCP")
        .withPort(5432)
        .endPort()
        .endSpec()
        .build();
  }

  static Service externalName(String ns, String name, String network, String target) {
    return new ServiceBuilder()
        .withNewMetadata()
        .withName(name)
        .withNamespace(ns)
        .withAnnotations(Map.of("multinet.io/network", network))
        .endMetadata()
        .withNewSpec()
        .withType("ExternalName")
        .withExternalName(target)
        .endSpec()
        .build();
  }

  /** One endpoint: address, hostname (or null), ready. */
  record Ep(String address, @Nullable String hostname, boolean ready) {}

  /** The controller's slice of {@code service} on {@code network}, port db 5432/TCP. */
  static EndpointSlice slice(String ns, String service, String network, List<Ep> endpoints) {
    var b =
        new EndpointSliceBuilder()
            .withNewMetadata()
            .withName(service + "-" + network)
            .withNamespace(ns)
            .addToLabels(WellKnown.SERVICE_NAME_LABEL, service)
            .addToLabels(WellKnown.MANAGED_BY_LABEL, WellKnown.MANAGED_BY)
            .addToLabels(WellKnown.NETWORK_LABEL, network)
            .endMetadata()
            .withAddressType("IPv4")
            .addNewPort()
            .withName("db")
            .withProtocol("TCP")
            .withPort(5432)
            .endPort();
    List<io.fabric8.kubernetes.api.model.discovery.v1.Endpoint> eps = new ArrayList<>();
    for (Ep e : endpoints) {
      eps.add(
          new EndpointBuilder()
              .withAddresses(e.address())
              .withHostname(e.hostname())
              .withNewConditions()
              .withReady(e.ready())
              .endConditions()
              .build());
    }
    return b.withEndpoints(eps).build();
  }

  static Caches caches(
      List<NetworkResource> networks, List<Service> services, List<EndpointSlice> slices) {
    return Caches.of(services, slices, List.of(), networks, List.of(), List.of(), null);
  }
}
