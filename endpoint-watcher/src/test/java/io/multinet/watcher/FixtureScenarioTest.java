package io.multinet.watcher;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.EnableKubernetesMockClient;
import io.multinet.apiserver.ManifestLoader;
import io.multinet.kube.crd.ClusterIPClaim;
import io.multinet.kube.crd.NetworkResource;
import io.multinet.kube.testing.KubeObjects;
import java.io.IOException;
import java.io.InputStream;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.ObjectMapper;

/**
 * Other projects' manifests, loaded unchanged from {@code fixtures/} (see its SOURCES.md), with
 * only what a live cluster would add on top (pod status, network-status, node names). Address
 * ranges are the fixtures' own: Calico/VPP blue 172.19.0.0/16 and red 172.21.0.0/16; multus-service
 * testnet1 10.1.1.0/24 (service range 10.97.0.0/16 is ours).
 */
@EnableKubernetesMockClient(crud = true)
class FixtureScenarioTest {

  private static final String VPP = "fixtures/vpp-dataplane/test/yaml/multinet/";

  KubernetesClient client;
  private EndpointWatcher watcher;

  @AfterEach
  void tearDown() {
    if (watcher != null) {
      watcher.close();
    }
  }

  @Test
  void calicoVppMultinet_serviceOnBlueSelectsBlueInterfacesOnly() throws Exception {
    var loader = new ManifestLoader(client, "default");
    List<HasMetadata> items = new ArrayList<>();
    for (String f :
        List.of(
            "projectcalico.org_networks.yaml",
            "network.yaml",
            "netdefinitions.yaml",
            "service.yaml")) {
      items.addAll(loader.parse(resource(VPP + f)));
    }
    items.addAll(
        loader.parse(
            resource("fixtures/network-attachment-definition-client/artifacts/networks-crd.yaml")));
    ManifestLoader.Result loaded = loader.create(items);
    assertThat(loaded.problems()).isEmpty();
    // What multus and the kubelet would have written on a live cluster.
    runningWithStatus(
        "my-pod",
        "node-1",
        "[{\"name\":\"k8s-pod-network\",\"ips\":[\"10.244.1.5\"],\"default\":true},"
            + "{\"name\":\"default/network-blue-conf\",\"interface\":\"eth1\",\"ips\":[\"172.19.0.5\"]},"
            + "{\"name\":\"default/network-blue-conf\",\"interface\":\"eth2\",\"ips\":[\"172.19.0.6\"]}]");
    runningWithStatus(
        "my-pod2",
        "node-2",
        "[{\"name\":\"k8s-pod-network\",\"ips\":[\"10.244.2.5\"],\"default\":true},"
            + "{\"name\":\"default/network-blue-conf\",\"interface\":\"eth1\",\"ips\":[\"172.19.0.7\"]},"
            + "{\"name\":\"default/network-red-conf\",\"interface\":\"eth2\",\"ips\":[\"172.21.0.7\"]}]");

    startLeading();

    assertThat(watcher.catalog().byName("blue").network().id()).isEqualTo(56);
    assertThat(watcher.catalog().byName("red").network().id()).isEqualTo(88);
    var slices = new TestCluster(client).endpoints("my-service");
    assertThat(slices)
        .containsExactly(
            "172.19.0.5:9376 ready blue",
            "172.19.0.6:9376 ready blue",
            "172.19.0.7:9376 ready blue");
    // Calico/VPP networks keep Kubernetes' cluster IPs: nothing is allocated.
    assertThat(client.resources(ClusterIPClaim.class).list().getItems()).isEmpty();
  }

  @Test
  void multusService_serviceNetworkAnnotationMapsThroughAttachments() throws Exception {
    var net = new NetworkResource();
    net.getMetadata().setName("testnet");
    var spec = new NetworkResource.Spec();
    spec.id = 10;
    spec.serviceCIDRs = List.of("10.97.0.0/16");
    spec.podCIDRs = List.of("10.1.1.0/24");
    spec.attachments = List.of("default/testnet1");
    net.setSpec(spec);
    client.resources(NetworkResource.class).resource(net).create();
    client
        .resource(
            new ServiceBuilder()
                .withNewMetadata()
                .withName("testsvc")
                .withNamespace("default")
                .withLabels(Map.of("service.kubernetes.io/service-proxy-name", "multus-proxy"))
                .withAnnotations(Map.of("k8s.v1.cni.cncf.io/service-network", "testnet1"))
                .endMetadata()
                .withNewSpec()
                .withSelector(Map.of("app", "test"))
                .addNewPort()
                .withName("http")
                .withProtocol("TCP")
                .withPort(80)
                .withTargetPort(new IntOrString(8080))
                .endPort()
                .endSpec()
                .build())
        .create();
    // The "terminating pods" case: pod0 ready, pod1 being deleted.
    JsonNode samples =
        new ObjectMapper()
            .readTree(
                resource(
                    "fixtures/multus-service/pkg/service-controller/endpointslice_controller_test.go.literals.json"))
            .get("samples");
    for (JsonNode s : samples) {
      if (!s.get("test_case")
          .asString()
          .equals("Terminating pods with EndpointSliceTerminatingCondition enabled")) {
        continue;
      }
      String name = s.get("pod_name").asString();
      boolean deleting = s.get("pod_deletion_timestamp").asString().equals("&deletionTimestamp");
      client
          .resource(
              new PodBuilder(KubeObjects.readyPod("default", name, "test", "node-1", ""))
                  .editMetadata()
                  .withAnnotations(
                      Map.of(s.get("annotation_key").asString(), s.get("value").asString()))
                  .withFinalizers(deleting ? List.of("multinet.io/test") : List.of())
                  .endMetadata()
                  .build())
          .create();
      if (deleting) {
        client.pods().inNamespace("default").withName(name).delete();
      }
    }

    startLeading();

    var cluster = new TestCluster(client);
    await()
        .atMost(Duration.ofSeconds(10))
        .untilAsserted(
            () ->
                assertThat(cluster.endpoints("testsvc"))
                    .containsExactly(
                        "10.1.1.1:8080 ready testnet", "10.1.1.2:8080 not-ready testnet"));
    assertThat(
            cluster.annotation(
                client.services().inNamespace("default").withName("testsvc").get(),
                "multinet.io/cluster-ips"))
        .startsWith("10.97.");
    String json =
        io.multinet.watcher.explain.ExplainReport.toJson(
            io.multinet.watcher.explain.ExplainReport.build(client, watcher.catalog(), List.of()));
    assertThat(json)
        .contains("\"name\" : \"testsvc\"")
        .contains("\"address\" : \"10.1.1.2\"")
        .contains("\"terminating\" : true");
  }

  @Test
  void ovnUserDefinedNetworkStatus_explainShowsTheSecondaryInterface() throws Exception {
    var net = new NetworkResource();
    net.getMetadata().setName("green");
    var spec = new NetworkResource.Spec();
    spec.id = 30;
    spec.serviceCIDRs = List.of("10.98.0.0/16");
    spec.podCIDRs = List.of("100.10.0.0/16");
    spec.attachments = List.of("green/green-secondary-network");
    net.setSpec(spec);
    client.resources(NetworkResource.class).resource(net).create();
    String status =
        new String(
            resource(
                    "fixtures/ovn-kubernetes/docs/features/user-defined-networks/user-defined-networks.md.d/L323-348_network-status-green.json")
                .readAllBytes(),
            java.nio.charset.StandardCharsets.UTF_8);
    client.resource(KubeObjects.readyPod("green", "green-pod", "green", "node-1", status)).create();
    client
        .resource(
            new ServiceBuilder()
                .withNewMetadata()
                .withName("green-svc")
                .withNamespace("green")
                .withAnnotations(Map.of("multinet.io/network", "green"))
                .endMetadata()
                .withNewSpec()
                .withSelector(Map.of("app", "green"))
                .addNewPort()
                .withName("http")
                .withProtocol("TCP")
                .withPort(80)
                .withTargetPort(new IntOrString(8080))
                .endPort()
                .endSpec()
                .build())
        .create();

    startLeading();

    String json =
        io.multinet.watcher.explain.ExplainReport.toJson(
            io.multinet.watcher.explain.ExplainReport.build(client, watcher.catalog(), List.of()));
    JsonNode report = new ObjectMapper().readTree(json);
    JsonNode svc = report.path("networks").get(0).path("services").get(0);
    assertThat(report.path("networks").get(0).path("name").asString()).isEqualTo("green");
    assertThat(svc.path("name").asString()).isEqualTo("green-svc");
    // Only the secondary interface is on green: not eth0's 10.244.0.6, not the primary UDN's
    // 200.203.2.5.
    assertThat(svc.path("ports").get(0).path("endpoints").toString())
        .contains("\"address\":\"100.10.1.7\"")
        .contains("\"interface\":\"net1\"")
        .doesNotContain("10.244.0.6")
        .doesNotContain("200.203.2.5");
  }

  private void runningWithStatus(String pod, String node, String networkStatus) {
    client
        .pods()
        .inNamespace("default")
        .withName(pod)
        .edit(
            p -> {
              var a = new java.util.HashMap<>(p.getMetadata().getAnnotations());
              a.put("k8s.v1.cni.cncf.io/network-status", networkStatus);
              Pod edited =
                  new PodBuilder(p)
                      .editMetadata()
                      .withAnnotations(a)
                      .endMetadata()
                      .editSpec()
                      .withNodeName(node)
                      .endSpec()
                      .withNewStatus()
                      .withPhase("Running")
                      .addNewCondition()
                      .withType("Ready")
                      .withStatus("True")
                      .endCondition()
                      .endStatus()
                      .build();
              return edited;
            });
  }

  private void startLeading() throws InterruptedException {
    watcher = new EndpointWatcher(client, Clock.systemUTC());
    watcher.start();
    watcher.setLeading(true);
    assertThat(watcher.awaitIdle(Duration.ofSeconds(20), Duration.ofMillis(300))).isTrue();
  }

  private static InputStream resource(String path) throws IOException {
    InputStream in = FixtureScenarioTest.class.getClassLoader().getResourceAsStream(path);
    if (in == null) {
      throw new IOException("missing test resource " + path);
    }
    return in;
  }
}
