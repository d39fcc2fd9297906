package io.multinet.watcher.slice;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.ContainerPortBuilder;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.multinet.kube.Problem;
import io.multinet.kube.attachment.NetworkStatus;
import io.multinet.kube.attachment.PodInterface;
import io.multinet.kube.network.NetworkDefinition;
import io.multinet.network.Cidr;
import io.multinet.network.IpAddress;
import io.multinet.network.Network;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

// Addresses: 192.0.2.0/24 (TEST-NET-1), never routed; no traffic in this test.
class PodRecordTest {

  private static final String NETWORK_STATUS =
      "[{\"name\":\"default\",\"interface\":\"eth0\",\"ips\":[\"10.0.0.5\"],\"default\":true},"
          + "{\"name\":\"shop/blue\",\"interface\":\"net1\",\"ips\":[\"192.0.2.10\"]}]";

  private static final NetworkDefinition BLUE =
      new NetworkDefinition(
          Network.of("blue", 1, List.of(), List.of(Cidr.parse("192.0.2.0/24"))),
          List.of("shop/blue"),
          List.of(),
          null,
          null,
          NetworkDefinition.MULTINET);

  private static PodBuilder pod(String networkStatus) {
    return new PodBuilder()
        .withNewMetadata()
        .withName("web-1")
        .withNamespace("shop")
        .withUid("0d6a1c3e")
        .withResourceVersion("42")
        .withLabels(Map.of("app", "web"))
        .withAnnotations(Map.of(NetworkStatus.ANNOTATION, networkStatus))
        .withDeletionTimestamp("2026-12-06T00:00:00Z")
        .endMetadata()
        .withNewSpec()
        .withNodeName("node-a")
        .withHostname("web-1")
        .withSubdomain("web")
        .addNewContainer()
        .withName("web")
        .withImage("registry.example/web:1.2.3")
        .withPorts(
            new ContainerPortBuilder().withName("http").withContainerPort(8080).build(),
            new ContainerPortBuilder()
                .withName("dns")
                .withProtocol("UDP")
                .withContainerPort(5353)
                .build(),
            new ContainerPortBuilder().withContainerPort(9090).build())
        .endContainer()
        .endSpec()
        .withNewStatus()
        .withPhase("Running")
        .addNewCondition()
        .withType("PodScheduled")
        .withStatus("True")
        .endCondition()
        .addNewCondition()
        .withType("Ready")
        .withStatus("True")
        .endCondition()
        .endStatus();
  }

  private static Service service(String name) {
    return new ServiceBuilder()
        .withNewMetadata()
        .withName(name)
        .withNamespace("shop")
        .endMetadata()
        .withNewSpec()
        .withSelector(Map.of("app", "web"))
        .addNewPort()
        .withName("http")
        .withPort(80)
        .withTargetPort(new IntOrString("http"))
        .endPort()
        .endSpec()
        .build();
  }

  @Test
  void of_aFullPod_keepsEveryFieldTheBuilderReads() {
    PodRecord r = PodRecord.of(pod(NETWORK_STATUS).build());

    assertThat(r.namespace()).isEqualTo("shop");
    assertThat(r.name()).isEqualTo("web-1");
    assertThat(r.uid()).isEqualTo("0d6a1c3e");
    assertThat(r.resourceVersion()).isEqualTo("42");
    assertThat(r.labels()).isEqualTo(Map.of("app", "web"));
    assertThat(r.nodeName()).isEqualTo("node-a");
    assertThat(r.hostname()).isEqualTo("web-1");
    assertThat(r.subdomain()).isEqualTo("web");
    assertThat(r.finished()).isFalse();
    assertThat(r.ready()).isTrue();
    assertThat(r.terminating()).isTrue();
    assertThat(r.ports())
        .containsExactly(
            new PodRecord.NamedPort("http", "TCP", 8080),
            new PodRecord.NamedPort("dns", "UDP", 5353));
    assertThat(r.interfaces())
        .containsExactly(
            new PodInterface("default", "eth0", List.of(IpAddress.parse("10.0.0.5")), true),
            new PodInterface("shop/blue", "net1", List.of(IpAddress.parse("192.0.2.10")), false));
    assertThat(r.networkStatusError()).isNull();
  }

  @Test
  void of_twoPods_sharesTheirRepeatedStrings() {
    PodRecord a = PodRecord.of(pod(NETWORK_STATUS).build());
    PodRecord b = PodRecord.of(pod(NETWORK_STATUS).build());

    assertThat(b.namespace()).isSameAs(a.namespace());
    assertThat(b.nodeName()).isSameAs(a.nodeName());
    assertThat(b.labels().keySet().iterator().next())
        .isSameAs(a.labels().keySet().iterator().next());
    assertThat(b.interfaces().get(1).attachment()).isSameAs(a.interfaces().get(1).attachment());
  }

  @Test
  void of_aFinishedOrUnreadyPod_saysSo() {
    Pod failed = pod(NETWORK_STATUS).editStatus().withPhase("Failed").endStatus().build();
    Pod unready =
        pod(NETWORK_STATUS)
            .editStatus()
            .withConditions()
            .addNewCondition()
            .withType("Ready")
            .withStatus("False")
            .endCondition()
            .endStatus()
            .build();
    Pod succeeded = pod(NETWORK_STATUS).editStatus().withPhase("Succeeded").endStatus().build();

    assertThat(PodRecord.of(failed).finished()).isTrue();
    assertThat(PodRecord.of(succeeded).finished()).isTrue();
    assertThat(PodRecord.of(unready).ready()).isFalse();
    assertThat(PodRecord.of(unready).finished()).isFalse();
  }

  @Test
  void of_malformedNetworkStatus_keepsTheParsersError() {
    String malformed = "[{\"name\":";
    String expected;
    try {
      NetworkStatus.fromAnnotations(Map.of(NetworkStatus.ANNOTATION, malformed));
      throw new AssertionError("expected the parser to refuse " + malformed);
    } catch (IllegalArgumentException e) {
      expected = e.getMessage();
    }

    PodRecord r = PodRecord.of(pod(malformed).build());

    assertThat(r.networkStatusError()).isEqualTo(expected);
    assertThat(r.interfaces()).isEmpty();
  }

  @Test
  void build_ofAMalformedRecord_reportsTheSameProblemAsBefore() {
    PodRecord r = PodRecord.of(pod("not json").build());

    EndpointBuilder.Result result =
        EndpointBuilder.build(service("web"), BLUE, Map.of("app", "web"), List.of(r), n -> null);

    assertThat(result.endpoints()).isEmpty();
    assertThat(result.problems())
        .containsExactly(
            new Problem("Pod", "shop", "web-1", "MalformedNetworkStatus", r.networkStatusError()));
    assertThat(r.networkStatusError()).startsWith(NetworkStatus.ANNOTATION + ": malformed JSON");
  }

  @Test
  void build_ofARecord_resolvesTheNamedPortOnTheNetworkAddress() {
    PodRecord r = PodRecord.of(pod(NETWORK_STATUS).build());

    EndpointBuilder.Result result =
        EndpointBuilder.build(service("web"), BLUE, Map.of("app", "web"), List.of(r), n -> null);

    assertThat(result.problems()).isEmpty();
    assertThat(result.endpoints()).hasSize(1);
    DesiredEndpoint e = result.endpoints().getFirst();
    assertThat(e.address()).isEqualTo(IpAddress.parse("192.0.2.10"));
    assertThat(e.ports()).containsExactly(new PortRef("http", "TCP", 8080));
    assertThat(e.podName()).isEqualTo("web-1");
    assertThat(e.podUid()).isEqualTo("0d6a1c3e");
    assertThat(e.nodeName()).isEqualTo("node-a");
    assertThat(e.interfaceName()).isEqualTo("net1");
    assertThat(e.serving()).isTrue();
    assertThat(e.terminating()).isTrue();
    assertThat(e.ready()).isFalse();
  }

  @Test
  void hostname_ofARecord_isSpecHostnameOnlyWhenItsSubdomainIsTheService() {
    PodRecord r = PodRecord.of(pod(NETWORK_STATUS).build());
    Service other = service("db");
    Service elsewhere = service("web");
    elsewhere.getMetadata().setNamespace("bank");

    assertThat(EndpointBuilder.hostname(r, service("web"))).isEqualTo("web-1");
    assertThat(EndpointBuilder.hostname(r, other)).isNull();
    assertThat(EndpointBuilder.hostname(r, elsewhere)).isNull();
    assertThat(
            EndpointBuilder.hostname(
                PodRecord.of(pod(NETWORK_STATUS).editSpec().withHostname(null).endSpec().build()),
                service("web")))
        .isNull();
  }
}
