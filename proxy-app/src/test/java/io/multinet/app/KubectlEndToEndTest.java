package io.multinet.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.api.model.EventBuilder;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.api.model.coordination.v1.LeaseBuilder;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSliceBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.multinet.apiserver.EmbeddedApiServer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The real kubectl 1.35 against the embedded API server loaded with the demo manifests. */
class KubectlEndToEndTest {

  @TempDir static Path home;
  static EmbeddedApiServer api;
  static KubernetesClient client;
  static Kubectl kubectl;

  @BeforeAll
  static void start() throws Exception {
    api = new EmbeddedApiServer();
    client = api.newClient();
    DemoCommand.load(client, Kubectl.repoRoot().resolve("examples/demo"));
    Path kubeconfig = home.resolve("kubeconfig");
    Files.writeString(kubeconfig, api.kubeconfig());
    kubectl = Kubectl.fetch(kubeconfig);
  }

  @AfterAll
  static void stop() {
    if (client != null) {
      client.close();
    }
    if (api != null) {
      api.close();
    }
  }

  @Test
  void apiResources_listsShortNamesAndCrds() throws Exception {
    var run = kubectl.run("api-resources");
    assertThat(run.exit()).as(run.toString()).isZero();
    assertThat(run.out()).contains("svc", "ns", "endpointslices", "networks", "clusteripclaims");
  }

  @Test
  void get_shortNamesAndCrds_listsObjects() throws Exception {
    var svc = kubectl.run("get", "svc", "-A");
    assertThat(svc.exit()).as(svc.toString()).isZero();
    assertThat(svc.out()).contains("web-red", "plain");
    var ns = kubectl.run("get", "ns");
    assertThat(ns.out()).as(ns.toString()).contains("tenant-red");
    var networks = kubectl.run("get", "networks");
    assertThat(networks.out()).as(networks.toString()).contains("blue", "red");
    var pods = kubectl.run("get", "po", "-n", "demo", "-l", "app=web", "-o", "name");
    assertThat(pods.out()).as(pods.toString()).contains("pod/web-blue-1", "pod/web-red-1");
  }

  @Test
  void labelAndAnnotate_changeTheStoredObject() throws Exception {
    var label = kubectl.run("label", "svc", "-n", "demo", "web", "kubectl-test=yes");
    assertThat(label.exit()).as(label.toString()).isZero();
    var annotate = kubectl.run("annotate", "network", "blue", "kubectl-test=yes");
    assertThat(annotate.exit()).as(annotate.toString()).isZero();
    var yaml = kubectl.run("get", "svc", "-n", "demo", "web", "-o", "yaml");
    assertThat(yaml.out()).as(yaml.toString()).contains("kubectl-test: \"yes\"");
    assertThat(
            client
                .genericKubernetesResources("multinet.io/v1alpha1", "Network")
                .withName("blue")
                .get()
                .getMetadata()
                .getAnnotations())
        .containsEntry("kubectl-test", "yes");
  }

  private static void createPod(String name, String app) {
    client
        .pods()
        .inNamespace("demo")
        .resource(
            new PodBuilder()
                .withNewMetadata()
                .withName(name)
                .addToLabels("app", app)
                .endMetadata()
                .withNewSpec()
                .addNewContainer()
                .withName("echo")
                .withImage("echo")
                .endContainer()
                .endSpec()
                .build())
        .create();
  }

  @Test
  void getWatch_printsListThenLaterChangesOfSelectedObjects() throws Exception {
    try (var watch = kubectl.start("get", "pods", "-n", "demo", "-l", "app=web", "-w")) {
      await()
          .atMost(Duration.ofSeconds(30))
          .untilAsserted(() -> assertThat(watch.out()).as(watch.err()).contains("web-red-1"));
      createPod("watch-other-1", "other");
      createPod("watch-web-1", "web");
      await()
          .atMost(Duration.ofSeconds(30))
          .untilAsserted(() -> assertThat(watch.out()).as(watch.err()).contains("watch-web-1"));
      // Events arrive in order: the unselected pod, created first, would have shown by now.
      assertThat(watch.out()).doesNotContain("watch-other-1");
      assertThat(watch.alive()).as(watch.err()).isTrue();
    } finally {
      client.pods().inNamespace("demo").withName("watch-other-1").delete();
      client.pods().inNamespace("demo").withName("watch-web-1").delete();
    }
  }

  @Test
  void getWatchOnly_printsOnlyLaterChanges() throws Exception {
    // -v=6 logs each request once answered: the watch's once its response has begun.
    try (var watch = kubectl.start("get", "svc", "-n", "demo", "--watch-only", "-v=6")) {
      await()
          .atMost(Duration.ofSeconds(30))
          .untilAsserted(() -> assertThat(watch.err()).contains("watch=true"));
      client
          .services()
          .inNamespace("demo")
          .resource(
              new ServiceBuilder()
                  .withNewMetadata()
                  .withName("watch-only")
                  .endMetadata()
                  .withNewSpec()
                  .addNewPort()
                  .withPort(80)
                  .endPort()
                  .endSpec()
                  .build())
          .create();
      await()
          .atMost(Duration.ofSeconds(30))
          .untilAsserted(() -> assertThat(watch.out()).as(watch.err()).contains("watch-only"));
      assertThat(watch.out()).doesNotContain("web-red", "plain");
    } finally {
      client.services().inNamespace("demo").withName("watch-only").delete();
    }
  }

  @Test
  void describe_podServiceEndpointSliceNetwork_printsThem() throws Exception {
    client
        .discovery()
        .v1()
        .endpointSlices()
        .inNamespace("demo")
        .resource(
            new EndpointSliceBuilder()
                .withNewMetadata()
                .withName("web-described")
                .addToLabels("kubernetes.io/service-name", "web")
                .endMetadata()
                .withAddressType("IPv4")
                .addNewEndpoint()
                .withAddresses("10.1.0.11")
                .endEndpoint()
                .build())
        .create();
    try {
      for (String[] what :
          new String[][] {
            {"pod", "web-red-1", "Containers:"},
            {"service", "web", "Selector:"},
            {"endpointslice", "web-described", "10.1.0.11"},
            {"network", "blue", "Spec:"}
          }) {
        var run = kubectl.run("describe", what[0], "-n", "demo", what[1]);
        assertThat(run.exit()).as(run.toString()).isZero();
        assertThat(run.out()).as(run.toString()).contains("Name:", what[1], what[2]);
      }
    } finally {
      client
          .discovery()
          .v1()
          .endpointSlices()
          .inNamespace("demo")
          .withName("web-described")
          .delete();
    }
  }

  private static Path manifest(String name, String yaml) throws Exception {
    return Files.writeString(home.resolve(name), yaml);
  }

  private static String configMap(String name, String value) {
    return """
        apiVersion: v1
        kind: ConfigMap
        metadata:
          name: %s
          namespace: demo
        data:
          key: "%s"
        """
        .formatted(name, value);
  }

  @Test
  void edit_withAnEditorScript_patchesTheStoredObject() throws Exception {
    client
        .configMaps()
        .inNamespace("demo")
        .resource(
            new ConfigMapBuilder()
                .withNewMetadata()
                .withName("kubectl-edited")
                .endMetadata()
                .addToData("key", "before")
                .build())
        .create();
    // kubectl edit runs $EDITOR on a temporary YAML file and sends what changed as a patch.
    Path editor = home.resolve("editor.sh");
    Files.writeString(editor, "#!/bin/sh\nsed -i 's/key: before/key: after/' \"$1\"\n");
    Files.setPosixFilePermissions(editor, PosixFilePermissions.fromString("rwx------"));

    var edit =
        kubectl
            .withEnv("EDITOR", editor.toString())
            .run("edit", "cm", "-n", "demo", "kubectl-edited");

    assertThat(edit.exit()).as(edit.toString()).isZero();
    assertThat(edit.out()).contains("configmap/kubectl-edited edited");
    assertThat(client.configMaps().inNamespace("demo").withName("kubectl-edited").get().getData())
        .containsEntry("key", "after");
  }

  @Test
  void getEventsAndLeases_listTheStoredOnes() throws Exception {
    client
        .v1()
        .events()
        .inNamespace("demo")
        .resource(
            new EventBuilder()
                .withNewMetadata()
                .withName("web.kubectl-test")
                .endMetadata()
                .withNewInvolvedObject()
                .withKind("Service")
                .withNamespace("demo")
                .withName("web")
                .endInvolvedObject()
                .withType("Warning")
                .withReason("KubectlTest")
                .withMessage("seen by kubectl")
                .build())
        .create();
    client
        .leases()
        .inNamespace("kube-system")
        .resource(
            new LeaseBuilder()
                .withNewMetadata()
                .withName("kubectl-test-lease")
                .endMetadata()
                .withNewSpec()
                .withHolderIdentity("node-a")
                .endSpec()
                .build())
        .create();

    var events = kubectl.run("get", "events", "-n", "demo", "-o", "name");
    var leases = kubectl.run("get", "leases", "-A", "-o", "name");

    assertThat(events.out()).as(events.toString()).contains("event/web.kubectl-test");
    assertThat(leases.out())
        .as(leases.toString())
        .contains("lease.coordination.k8s.io/kubectl-test-lease");
  }

  @Test
  void createAndDelete_storeAndRemoveTheObject() throws Exception {
    Path file = manifest("created.yaml", configMap("kubectl-created", "one"));
    var create = kubectl.run("create", "-f", file.toString());
    assertThat(create.exit()).as(create.toString()).isZero();
    assertThat(create.out()).contains("configmap/kubectl-created created");
    assertThat(client.configMaps().inNamespace("demo").withName("kubectl-created").get().getData())
        .containsEntry("key", "one");
    var delete = kubectl.run("delete", "-f", file.toString());
    assertThat(delete.exit()).as(delete.toString()).isZero();
    assertThat(delete.out()).contains("configmap \"kubectl-created\" deleted");
    assertThat(client.configMaps().inNamespace("demo").withName("kubectl-created").get()).isNull();
  }

  @Test
  void apply_twice_createsThenPatches() throws Exception {
    try {
      var first =
          kubectl.run(
              "apply",
              "-f",
              manifest("applied.yaml", configMap("kubectl-applied", "one")).toString());
      assertThat(first.exit()).as(first.toString()).isZero();
      assertThat(first.out()).contains("configmap/kubectl-applied created");
      var second =
          kubectl.run(
              "apply",
              "-f",
              manifest("applied.yaml", configMap("kubectl-applied", "two")).toString());
      assertThat(second.exit()).as(second.toString()).isZero();
      assertThat(second.out()).contains("configmap/kubectl-applied configured");
      assertThat(
              client.configMaps().inNamespace("demo").withName("kubectl-applied").get().getData())
          .containsExactlyEntriesOf(java.util.Map.of("key", "two"));
    } finally {
      client.configMaps().inNamespace("demo").withName("kubectl-applied").delete();
    }
  }

  @Test
  void patch_strategicMergeJson_changeTheStoredObject() throws Exception {
    createPod("patched-1", "patched");
    try {
      var strategic =
          kubectl.run(
              "patch",
              "pod",
              "-n",
              "demo",
              "patched-1",
              "-p",
              "{\"spec\":{\"containers\":[{\"name\":\"echo\",\"image\":\"echo:2\"}]}}");
      assertThat(strategic.exit()).as(strategic.toString()).isZero();
      var containers =
          client.pods().inNamespace("demo").withName("patched-1").get().getSpec().getContainers();
      // Merged by name: one container, its image changed.
      assertThat(containers).hasSize(1);
      assertThat(containers.getFirst().getImage()).isEqualTo("echo:2");

      var merge =
          kubectl.run(
              "patch",
              "pod",
              "-n",
              "demo",
              "patched-1",
              "--type",
              "merge",
              "-p",
              "{\"metadata\":{\"labels\":{\"app\":null,\"merged\":\"yes\"}}}");
      assertThat(merge.exit()).as(merge.toString()).isZero();
      var json =
          kubectl.run(
              "patch",
              "pod",
              "-n",
              "demo",
              "patched-1",
              "--type",
              "json",
              "-p",
              "[{\"op\":\"replace\",\"path\":\"/spec/containers/0/image\",\"value\":\"echo:3\"}]");
      assertThat(json.exit()).as(json.toString()).isZero();
      var pod = client.pods().inNamespace("demo").withName("patched-1").get();
      assertThat(pod.getMetadata().getLabels())
          .containsExactlyEntriesOf(java.util.Map.of("merged", "yes"));
      assertThat(pod.getSpec().getContainers())
          .singleElement()
          .satisfies(c -> assertThat(c.getImage()).isEqualTo("echo:3"));

      // Custom resources have no merge keys: Kubernetes refuses strategic patches of them.
      var crd =
          kubectl.run(
              "patch", "network", "blue", "-p", "{\"metadata\":{\"labels\":{\"a\":\"b\"}}}");
      assertThat(crd.exit()).isNotZero();
      assertThat(crd.err()).contains("application/strategic-merge-patch+json is not supported");
    } finally {
      client.pods().inNamespace("demo").withName("patched-1").delete();
    }
  }

  private static String serviceWithTypo(String name) {
    return """
        apiVersion: v1
        kind: Service
        metadata:
          name: %s
          namespace: demo
        spec:
          selector: {app: web}
          ports:
          - port: 80
            targetPortt: 8080
          prots: []
        """
        .formatted(name);
  }

  @Test
  void apply_unknownFieldsStrict_refusedNamingThem() throws Exception {
    Path file = manifest("typo.yaml", serviceWithTypo("kubectl-typo"));
    var strict = kubectl.run("apply", "-f", file.toString());
    assertThat(strict.exit()).as(strict.toString()).isNotZero();
    assertThat(strict.err())
        .as(strict.toString())
        .contains(
            "Service in version \"v1\" cannot be handled as a Service: strict decoding error: "
                + "unknown field \"spec.ports[0].targetPortt\", unknown field \"spec.prots\"");
    assertThat(client.services().inNamespace("demo").withName("kubectl-typo").get()).isNull();
  }

  @Test
  void apply_unknownFieldsWarnOrIgnore_accepted() throws Exception {
    try {
      Path file = manifest("typo.yaml", serviceWithTypo("kubectl-typo-warn"));
      var warn = kubectl.run("apply", "--validate=warn", "-f", file.toString());
      assertThat(warn.exit()).as(warn.toString()).isZero();
      assertThat(warn.err()).contains("Warning: unknown field \"spec.prots\"");
      assertThat(client.services().inNamespace("demo").withName("kubectl-typo-warn").get())
          .isNotNull();

      file = manifest("typo.yaml", serviceWithTypo("kubectl-typo-ignore"));
      var ignore = kubectl.run("apply", "--validate=false", "-f", file.toString());
      assertThat(ignore.exit()).as(ignore.toString()).isZero();
      assertThat(ignore.err()).doesNotContain("unknown field");
      assertThat(client.services().inNamespace("demo").withName("kubectl-typo-ignore").get())
          .isNotNull();
    } finally {
      client.services().inNamespace("demo").withName("kubectl-typo-warn").delete();
      client.services().inNamespace("demo").withName("kubectl-typo-ignore").delete();
    }
  }

  @Test
  void apply_unknownFieldOfExistingObject_patchRefused() throws Exception {
    try {
      var first =
          kubectl.run(
              "apply",
              "-f",
              manifest("strict-cm.yaml", configMap("kubectl-strict", "one")).toString());
      assertThat(first.exit()).as(first.toString()).isZero();
      var second =
          kubectl.run(
              "apply",
              "-f",
              manifest("strict-cm.yaml", configMap("kubectl-strict", "two") + "dta: {}\n")
                  .toString());
      assertThat(second.exit()).as(second.toString()).isNotZero();
      assertThat(second.err())
          .as(second.toString())
          .contains("strict decoding error: unknown field \"dta\"");
      assertThat(client.configMaps().inNamespace("demo").withName("kubectl-strict").get().getData())
          .containsEntry("key", "one");
    } finally {
      client.configMaps().inNamespace("demo").withName("kubectl-strict").delete();
    }
  }

  @Test
  void apply_customResourceUnknownField_refusedByItsCrdSchema() throws Exception {
    String network =
        """
        apiVersion: multinet.io/v1alpha1
        kind: Network
        metadata:
          name: kubectl-strict
        spec:
          id: 4000
          serviceCIDR: [10.200.0.0/24]
          kernel: {routingTable: 7, iface: x}
        """;
    try {
      var strict = kubectl.run("apply", "-f", manifest("net.yaml", network).toString());
      assertThat(strict.exit()).as(strict.toString()).isNotZero();
      assertThat(strict.err())
          .as(strict.toString())
          .contains(
              "Network in version \"v1alpha1\" cannot be handled as a Network: strict decoding"
                  + " error: unknown field \"spec.kernel.iface\", unknown field"
                  + " \"spec.serviceCIDR\"");
      var fixed =
          kubectl.run(
              "apply",
              "-f",
              manifest(
                      "net.yaml",
                      network.replace("serviceCIDR:", "serviceCIDRs:").replace(", iface: x", ""))
                  .toString());
      assertThat(fixed.exit()).as(fixed.toString()).isZero();
    } finally {
      client
          .genericKubernetesResources("multinet.io/v1alpha1", "Network")
          .withName("kubectl-strict")
          .delete();
    }
  }

  @Test
  void apply_networkWithDnsAndNamespaceSelector_acceptedTyposRefused() throws Exception {
    String network =
        """
        apiVersion: multinet.io/v1alpha1
        kind: Network
        metadata:
          name: kubectl-dns
        spec:
          id: 4001
          serviceCIDRs: [10.201.0.0/24, "fd00:201::/120"]
          dns:
            clusterIPs: [10.201.0.53, "fd00:201::35"]
            clusterDomain: blue.local
            upstreams: [192.0.2.53, "[2001:db8::53]:5353"]
          namespaceSelector:
            matchLabels: {tenant: blue}
            matchExpressions:
            - {key: env, operator: NotIn, values: [dev]}
            - {key: frozen, operator: DoesNotExist}
        """;
    try {
      var typo =
          kubectl.run(
              "apply",
              "-f",
              manifest(
                      "net-dns.yaml",
                      network
                          .replace("clusterDomain:", "clusterDomian:")
                          .replace("matchLabels:", "matchLabel:"))
                  .toString());
      assertThat(typo.exit()).as(typo.toString()).isNotZero();
      assertThat(typo.err())
          .as(typo.toString())
          .contains(
              "strict decoding error: unknown field \"spec.dns.clusterDomian\", unknown field"
                  + " \"spec.namespaceSelector.matchLabel\"");

      var applied = kubectl.run("apply", "-f", manifest("net-dns.yaml", network).toString());
      assertThat(applied.exit()).as(applied.toString()).isZero();
      var stored =
          client
              .genericKubernetesResources("multinet.io/v1alpha1", "Network")
              .withName("kubectl-dns")
              .get();
      @SuppressWarnings("unchecked")
      var spec = (java.util.Map<String, Object>) stored.getAdditionalProperties().get("spec");
      assertThat(spec.get("dns").toString())
          .contains("clusterIPs=[10.201.0.53, fd00:201::35]", "clusterDomain=blue.local");
      assertThat(spec.get("namespaceSelector").toString())
          .contains("matchLabels={tenant=blue}", "operator=DoesNotExist");
    } finally {
      client
          .genericKubernetesResources("multinet.io/v1alpha1", "Network")
          .withName("kubectl-dns")
          .delete();
    }
  }
}
