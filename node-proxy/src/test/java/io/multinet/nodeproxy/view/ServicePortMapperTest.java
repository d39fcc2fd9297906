package io.multinet.nodeproxy.view;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSliceBuilder;
import io.multinet.network.IpAddress;
import io.multinet.service.Endpoint;
import io.multinet.service.LoadBalancing;
import io.multinet.service.ServicePort;
import io.multinet.service.TrafficPolicy;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * A default-network Service as kube-proxy reads it. Ranges: cluster IPs 172.30.0.0/16 and
 * fd00:30::/112, pods 10.0.0.0/16, external addresses 203.0.113.0/24 (TEST-NET-3).
 */
class ServicePortMapperTest {

  @Test
  void map_defaultNetworkService_likeKubeProxy() {
    Service svc =
        new ServiceBuilder()
            .withNewMetadata()
            .withName("web")
            .withNamespace("ns")
            .withAnnotations(Map.of(ServicePortMapper.LOAD_BALANCING, "Maglev"))
            .endMetadata()
            .withNewSpec()
            .withType("LoadBalancer")
            .withClusterIPs("172.30.0.10", "fd00:30::10")
            .withExternalIPs("203.0.113.5", "2001:db8::5")
            .withSessionAffinity("ClientIP")
            .withNewSessionAffinityConfig()
            .withNewClientIP()
            .withTimeoutSeconds(60)
            .endClientIP()
            .endSessionAffinityConfig()
            .withExternalTrafficPolicy("Local")
            .addNewPort()
            .withName("http")
            .withProtocol("TCP")
            .withPort(80)
            .withNodePort(30080)
            .withTargetPort(new IntOrString("http"))
            .endPort()
            .endSpec()
            .withNewStatus()
            .withNewLoadBalancer()
            .addNewIngress()
            .withIp("203.0.113.9")
            .endIngress()
            .endLoadBalancer()
            .endStatus()
            .build();
    EndpointSlice kubernetesOwn =
        new EndpointSliceBuilder()
            .withNewMetadata()
            .withName("web-abc")
            .withNamespace("ns")
            .withLabels(
                Map.of(
                    "kubernetes.io/service-name",
                    "web",
                    "endpointslice.kubernetes.io/managed-by",
                    "endpointslice-controller.k8s.io"))
            .endMetadata()
            .withAddressType("IPv4")
            .addNewEndpoint()
            .withAddresses("10.0.0.5")
            .withNodeName("node-a")
            .endEndpoint() // nil conditions: ready
            .addNewEndpoint()
            .withAddresses("10.0.0.6")
            .withNewConditions()
            .withReady(false)
            .withServing(true)
            .withTerminating(true)
            .endConditions()
            .withNewHints()
            .addNewForZone("zone-b")
            .endHints()
            .endEndpoint()
            .addNewPort()
            .withName("http")
            .withProtocol("TCP")
            .withPort(8080)
            .endPort()
            .build();
    EndpointSlice networkSlice =
        new EndpointSliceBuilder(kubernetesOwn)
            .editMetadata()
            .withName("web-blue-x")
            .addToLabels("multinet.io/network", "blue")
            .endMetadata()
            .build();

    ServicePortMapper.Result r =
        ServicePortMapper.map(
            svc, null, List.of(SliceRecord.of(kubernetesOwn), SliceRecord.of(networkSlice)));

    assertThat(r.skipped()).isEmpty();
    assertThat(r.ports()).hasSize(2);
    ServicePort v4 = r.ports().get(0);
    assertThat(v4.key().toString()).isEqualTo("0/172.30.0.10:80/TCP");
    assertThat(v4.nodePort()).isEqualTo(30080);
    assertThat(v4.externalAddresses())
        .containsExactly(IpAddress.parse("203.0.113.5"), IpAddress.parse("203.0.113.9"));
    assertThat(v4.policy().sessionAffinity().timeoutSeconds()).isEqualTo(60);
    assertThat(v4.policy().externalTrafficPolicy()).isEqualTo(TrafficPolicy.LOCAL);
    assertThat(v4.policy().loadBalancing()).isEqualTo(LoadBalancing.MAGLEV);
    assertThat(v4.endpoints())
        .extracting(Endpoint::hostPort)
        .containsExactly("10.0.0.5:8080", "10.0.0.6:8080");
    assertThat(v4.endpoints().get(0).ready()).isTrue();
    assertThat(v4.endpoints().get(1).serving()).isTrue();
    assertThat(v4.endpoints().get(1).zoneHints()).containsExactly("zone-b");
    ServicePort v6 = r.ports().get(1);
    assertThat(v6.externalAddresses()).containsExactly(IpAddress.parse("2001:db8::5"));
    assertThat(v6.endpoints()).isEmpty(); // no IPv6 slice
  }
}
