package io.multinet.app;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.ObjectMapper;

/**
 * explain end to end: manifests → embedded API server → controller → report. Address ranges are the
 * manifests' own: examples/demo uses 10.96.0.0/16 (cluster IPs) and 10.1.0.0/16 (pods) in both blue
 * and red; the Calico/VPP fixtures use 172.19.0.0/16 and 172.21.0.0/16.
 */
class ExplainCommandTest {

  private static final ObjectMapper JSON = new ObjectMapper();

  @Test
  void explain_demoManifests_sameVipInTwoNetworks() throws Exception {
    JsonNode report = explain("--manifests", "../examples/demo", "-o", "json");

    JsonNode blue = network(report, "blue");
    assertThat(blue.path("id").asInt()).isEqualTo(56);
    JsonNode web = service(blue, "demo", "web");
    assertThat(web.path("clusterIPs").toString()).isEqualTo("[\"10.96.0.10\"]");
    JsonNode http = web.path("ports").get(0);
    assertThat(http.path("name").asString()).isEqualTo("http");
    assertThat(http.path("protocol").asString()).isEqualTo("TCP");
    assertThat(http.path("port").asInt()).isEqualTo(80);
    assertThat(http.path("endpoints")).hasSize(2);
    JsonNode first = http.path("endpoints").get(0);
    assertThat(first.path("address").asString()).isEqualTo("10.1.0.11");
    assertThat(first.path("port").asInt()).isEqualTo(8080); // named target port resolved
    assertThat(first.path("node").asString()).isEqualTo("node-1");
    assertThat(first.path("interface").asString()).isEqualTo("net1");
    assertThat(first.path("ready").asBoolean()).isTrue();
    assertThat(first.path("serving").asBoolean()).isTrue();
    assertThat(first.path("terminating").asBoolean()).isFalse();

    JsonNode red = service(network(report, "red"), "demo", "web-red");
    assertThat(red.path("clusterIPs").toString()).isEqualTo("[\"10.96.0.10\"]");
    assertThat(red.path("ports").get(0).path("endpoints"))
        .singleElement()
        .satisfies(e -> assertThat(e.path("address").asString()).isEqualTo("10.1.0.11"));
    assertThat(report.path("events")).isEmpty();
  }

  @Test
  void explain_badManifests_becomeEventsNotFailures(@TempDir Path dir) throws Exception {
    Files.writeString(
        dir.resolve("net.yaml"),
        """
        apiVersion: multinet.io/v1alpha1
        kind: Network
        metadata: {name: blue}
        spec: {id: 56, serviceCIDRs: ["10.96.0.0/16"], attachments: ["default/blue-net"]}
        ---
        apiVersion: multinet.io/v1alpha1
        kind: Network
        metadata: {name: broken}
        spec: {id: 57, serviceCIDRs: ["10.96.0.1/16"]}
        ---
        apiVersion: v1
        kind: Service
        metadata: {name: lost, annotations: {multinet.io/network: nowhere}}
        spec: {selector: {app: x}, ports: [{port: 80}]}
        """);
    Files.writeString(dir.resolve("garbage.json"), "{\"not\": \"kubernetes\"}");

    JsonNode report = explain("--manifests", dir.toString());

    assertThat(report.path("networks")).hasSize(1);
    assertThat(report.path("events").toString())
        .contains("\"reason\":\"InvalidNetwork\"")
        .contains("cidr: 10.96.0.1/16 (expected: no host bits set, i.e. 10.96.0.0/16)")
        .contains("\"reason\":\"UnknownNetwork\"")
        .contains("\"reason\":\"UnreadableManifest\"");
  }

  @Test
  void explain_kubectlGetListOutput_isLoaded(@TempDir Path dir) throws Exception {
    // What `kubectl get -A -o yaml` prints: one v1 List, server fields included.
    Files.writeString(
        dir.resolve("cluster.yaml"),
        """
        apiVersion: v1
        kind: List
        metadata: {resourceVersion: ""}
        items:
        - apiVersion: multinet.io/v1alpha1
          kind: Network
          metadata: {name: blue, uid: 0d3c, resourceVersion: "17", creationTimestamp: "2026-11-01T00:00:00Z"}
          spec: {id: 56, serviceCIDRs: ["10.96.0.0/16"], podCIDRs: ["10.1.0.0/16"], attachments: ["shop/blue-net"]}
        - apiVersion: v1
          kind: Service
          metadata: {name: cart, namespace: shop, uid: 1a2b, resourceVersion: "20",
                     annotations: {multinet.io/network: blue, multinet.io/cluster-ips: 10.96.3.4}}
          spec: {selector: {app: cart}, ports: [{name: http, port: 80, targetPort: 8080, protocol: TCP}]}
        - apiVersion: v1
          kind: Pod
          metadata:
            name: cart-0
            namespace: shop
            labels: {app: cart}
            annotations:
              k8s.v1.cni.cncf.io/network-status: '[{"name":"shop/blue-net","interface":"net1","ips":["10.1.7.7"]}]'
          spec: {nodeName: node-1, containers: [{name: c, image: cart}]}
          status: {phase: Running, conditions: [{type: Ready, status: "True"}]}
        """);

    JsonNode report = explain("--manifests", dir.toString());

    JsonNode cart = service(network(report, "blue"), "shop", "cart");
    assertThat(cart.path("clusterIPs").toString()).isEqualTo("[\"10.96.3.4\"]");
    assertThat(cart.path("ports").get(0).path("endpoints").get(0).path("address").asString())
        .isEqualTo("10.1.7.7");
  }

  /**
   * A Pod that is being deleted but still passes its readiness probe. Kubernetes' EndpointSlice
   * conditions (KEP-1672, "EndpointConditions" in the discovery.k8s.io/v1 API): {@code serving} is
   * the pod's Ready condition; {@code terminating} is set when the pod has a deletionTimestamp;
   * {@code ready} "should be marked ready if it is serving and not terminating". The dump says the
   * pod is terminating, so explain reports ready=false, serving=true, terminating=true. See
   * https://kubernetes.io/docs/concepts/services-networking/endpoint-slices/#conditions
   */
  @Test
  void explain_dumpWithTerminatingReadyPod_reportsServingTerminatingNotReady(@TempDir Path dir)
      throws Exception {
    Files.writeString(dir.resolve("cluster.yaml"), DUMP);

    JsonNode report = explain("--manifests", dir.toString());

    JsonNode endpoints =
        service(network(report, "blue"), "shop", "cart").path("ports").get(0).path("endpoints");
    assertThat(endpoints).hasSize(2);
    JsonNode leaving = endpoints.get(0);
    assertThat(leaving.path("address").asString()).isEqualTo("10.1.7.7");
    assertThat(leaving.path("ready").asBoolean()).isFalse();
    assertThat(leaving.path("serving").asBoolean()).isTrue();
    assertThat(leaving.path("terminating").asBoolean()).isTrue();
    JsonNode staying = endpoints.get(1);
    assertThat(staying.path("address").asString()).isEqualTo("10.1.7.8");
    assertThat(staying.path("ready").asBoolean()).isTrue();
    assertThat(staying.path("terminating").asBoolean()).isFalse();
  }

  /**
   * A Service whose requested address lies outside its network's serviceCIDRs gets a Warning {@code
   * ClusterIPOutOfRange} and no address: the node programs nothing for it (-o dataplane), so the
   * report lists no clusterIPs and shows the request under {@code refusedClusterIPs}.
   */
  @Test
  void explain_refusedClusterIp_reportsNoClusterIpsLikeTheDataplane(@TempDir Path dir)
      throws Exception {
    Files.writeString(dir.resolve("cluster.yaml"), DUMP);

    JsonNode report = explain("--manifests", dir.toString());
    JsonNode state = explain("--manifests", dir.toString(), "-o", "dataplane");

    JsonNode far = service(network(report, "blue"), "shop", "far");
    assertThat(far.path("clusterIPs")).isEmpty();
    assertThat(far.path("refusedClusterIPs").toString())
        .isEqualTo("[{\"address\":\"10.200.0.9\",\"reason\":\"ClusterIPOutOfRange\"}]");
    assertThat(service(network(report, "blue"), "shop", "cart").has("refusedClusterIPs")).isFalse();
    assertThat(report.path("events").toString())
        .contains("\"name\":\"far\"")
        .contains("\"reason\":\"ClusterIPOutOfRange\"");
    List<String> programmed = new ArrayList<>();
    state.path("servicePorts").forEach(sp -> programmed.add(sp.path("address").asString()));
    assertThat(programmed).contains("10.96.3.4").doesNotContain("10.200.0.9");
  }

  /**
   * Kubernetes' own EndpointSlices in a dump (managed-by endpointslice-controller.k8s.io) are the
   * default network's endpoints as the cluster published them: the node uses the ready ones and
   * neither a terminating nor a not-serving endpoint while a ready one exists.
   */
  @Test
  void explain_dumpWithKubernetesSlices_takesTheirConditionsAsIs(@TempDir Path dir)
      throws Exception {
    Files.writeString(dir.resolve("cluster.yaml"), DUMP);

    JsonNode state = explain("--manifests", dir.toString(), "-o", "dataplane");

    JsonNode db = null;
    for (JsonNode sp : state.path("servicePorts")) {
      if (sp.path("address").asString().equals("10.43.0.5")) {
        db = sp;
      }
    }
    assertThat(db).as("service port 10.43.0.5 in %s", state).isNotNull();
    List<String> backends = new ArrayList<>();
    db.path("backends").forEach(b -> backends.add(b.path("address").asString()));
    assertThat(backends).containsExactly("10.42.0.7");
  }

  /** What `kubectl get -A -o yaml` printed, server fields included. */
  private static final String DUMP =
      """
      apiVersion: v1
      kind: List
      metadata: {resourceVersion: ""}
      items:
      - apiVersion: multinet.io/v1alpha1
        kind: Network
        metadata: {name: blue, uid: 0d3c, resourceVersion: "17"}
        spec: {id: 56, serviceCIDRs: ["10.96.0.0/16"], podCIDRs: ["10.1.0.0/16"], attachments: ["shop/blue-net"]}
      - apiVersion: v1
        kind: Service
        metadata: {name: cart, namespace: shop, uid: 1a2b, resourceVersion: "20",
                   annotations: {multinet.io/network: blue, multinet.io/cluster-ips: 10.96.3.4}}
        spec: {selector: {app: cart}, ports: [{name: http, port: 80, targetPort: 8080, protocol: TCP}]}
      - apiVersion: v1
        kind: Service
        metadata: {name: far, namespace: shop, uid: 1a2c, resourceVersion: "21",
                   annotations: {multinet.io/network: blue, multinet.io/cluster-ips: 10.200.0.9}}
        spec: {selector: {app: cart}, ports: [{name: http, port: 80, targetPort: 8080, protocol: TCP}]}
      - apiVersion: v1
        kind: Pod
        metadata:
          name: cart-0
          namespace: shop
          uid: 9f00
          resourceVersion: "31"
          deletionTimestamp: "2026-11-01T00:10:00Z"
          deletionGracePeriodSeconds: 30
          labels: {app: cart}
          annotations:
            k8s.v1.cni.cncf.io/network-status: '[{"name":"shop/blue-net","interface":"net1","ips":["10.1.7.7"]}]'
        spec: {nodeName: node-1, containers: [{name: c, image: cart}]}
        status: {phase: Running, conditions: [{type: Ready, status: "True"}]}
      - apiVersion: v1
        kind: Pod
        metadata:
          name: cart-1
          namespace: shop
          uid: 9f01
          labels: {app: cart}
          annotations:
            k8s.v1.cni.cncf.io/network-status: '[{"name":"shop/blue-net","interface":"net1","ips":["10.1.7.8"]}]'
        spec: {nodeName: node-1, containers: [{name: c, image: cart}]}
        status: {phase: Running, conditions: [{type: Ready, status: "True"}]}
      - apiVersion: v1
        kind: Service
        metadata: {name: db, namespace: shop, uid: 2b3c}
        spec: {clusterIP: 10.43.0.5, clusterIPs: [10.43.0.5], selector: {app: db},
               ports: [{name: sql, port: 5432, protocol: TCP}]}
      - apiVersion: discovery.k8s.io/v1
        kind: EndpointSlice
        metadata:
          name: db-x7k2p
          namespace: shop
          labels: {kubernetes.io/service-name: db, endpointslice.kubernetes.io/managed-by: endpointslice-controller.k8s.io}
        addressType: IPv4
        ports: [{name: sql, port: 5432, protocol: TCP}]
        endpoints:
        - addresses: [10.42.0.7]
          conditions: {ready: true, serving: true, terminating: false}
          nodeName: node-1
        - addresses: [10.42.0.8]
          conditions: {ready: false, serving: true, terminating: true}
          nodeName: node-1
        - addresses: [10.42.0.9]
          conditions: {ready: false, serving: false, terminating: false}
          nodeName: node-1
      """;

  @Test
  void explain_calicoVppFixtures_loadWithoutFailing() throws Exception {
    JsonNode report =
        explain(
            "--manifests",
            "../kube-testing/src/test/resources/fixtures/vpp-dataplane/test/yaml/multinet");

    JsonNode blue = network(report, "blue");
    assertThat(blue.path("id").asInt()).isEqualTo(56);
    assertThat(network(report, "red").path("id").asInt()).isEqualTo(88);
    // The fixture's pods carry no network-status yet (nothing ran them), so no endpoints.
    JsonNode svc = service(blue, "default", "my-service");
    assertThat(svc.path("ports").get(0).path("endpoints")).isEmpty();
    assertThat(report.path("events").toString()).contains("UnsupportedKind");
  }

  @Test
  void explain_tableOutput_listsEndpoints() throws Exception {
    var out = new StringWriter();
    var cli = MultinetProxy.newCommandLine();
    cli.setOut(new PrintWriter(out));
    assertThat(cli.execute("explain", "--manifests", "../examples/demo", "-o", "table")).isZero();
    assertThat(out.toString()).contains("NETWORK").contains("demo/web").contains("10.1.0.12:8080");
  }

  @Test
  void explain_trace_namesEligibleBackendsAndWhyNotOthers() throws Exception {
    var out = new StringWriter();
    var cli = MultinetProxy.newCommandLine();
    cli.setOut(new PrintWriter(out));
    int exit =
        cli.execute(
            "explain",
            "--manifests",
            "../examples/demo",
            "--node",
            "node-1",
            "--trace",
            "network=red,dst=10.96.0.10:80/TCP,src=10.1.0.99");
    assertThat(exit).isZero();
    assertThat(out.toString())
        .contains("trace 57/10.96.0.10:80/TCP on node node-1 (zone zone-a)")
        .contains("service demo/web-red:http")
        .contains("10.1.0.11:8080  eligible (node node-1, net1)")
        .doesNotContain("10.1.0.12"); // blue's pod, same VIP, other network

    var miss = new StringWriter();
    cli.setOut(new PrintWriter(miss));
    assertThat(
            cli.execute(
                "explain",
                "--manifests",
                "../examples/demo",
                "--trace",
                "network=blue,dst=10.96.0.99:80/TCP"))
        .isZero();
    assertThat(miss.toString()).contains("no service port 56/10.96.0.99:80/TCP");
  }

  @Test
  void explain_traces_json_oneObjectPerTrace_maglevNamesTheBackend(@TempDir Path dir)
      throws Exception {
    for (String f : new String[] {"00-networks.yaml", "10-pods.yaml", "20-services.yaml"}) {
      Files.copy(Path.of("../examples/demo", f), dir.resolve(f));
    }
    Files.writeString(
        dir.resolve("30-choices.yaml"),
        """
        apiVersion: v1
        kind: Service
        metadata:
          name: web-maglev
          namespace: demo
          annotations:
            multinet.io/network: blue
            multinet.io/cluster-ips: 10.96.0.11
            multinet.io/load-balancing: maglev
        spec:
          selector: {app: web}
          ports: [{name: http, protocol: TCP, port: 80, targetPort: http}]
        ---
        apiVersion: v1
        kind: Service
        metadata:
          name: web-sticky
          namespace: demo
          annotations:
            multinet.io/network: blue
            multinet.io/cluster-ips: 10.96.0.12
        spec:
          selector: {app: web}
          sessionAffinity: ClientIP
          ports: [{name: http, protocol: TCP, port: 80, targetPort: http}]
        """);
    List<String> args =
        new ArrayList<>(List.of("--manifests", dir.toString(), "--node", "node-1", "-o", "json"));
    List<String> traces =
        new ArrayList<>(
            List.of(
                "network=blue,dst=10.96.0.10:80/TCP,src=10.1.0.99",
                "network=blue,dst=10.96.0.12:80/TCP,src=10.1.0.99:40000",
                "network=blue,dst=10.96.0.99:80/TCP",
                "network=blue,dst=10.96.0.11:80/TCP,src=10.1.0.99"));
    for (int port = 40_000; port < 40_040; port++) {
      traces.add("network=blue,dst=10.96.0.11:80/TCP,src=10.1.0.99:" + port);
    }
    traces.forEach(t -> args.addAll(List.of("--trace", t)));

    JsonNode out = explain(args.toArray(String[]::new));

    assertThat(out.size()).isEqualTo(traces.size());
    for (int i = 0; i < traces.size(); i++) {
      assertThat(out.get(i).path("trace").asString()).isEqualTo(traces.get(i));
    }
    Set<String> blue = Set.of("10.1.0.11:8080", "10.1.0.12:8080");
    assertThat(out.get(0).path("choice").asString()).isEqualTo("random");
    assertThat(out.get(0).path("chosen").isNull()).isTrue();
    assertThat(hostPorts(out.get(0).path("eligible"))).isEqualTo(blue);
    assertThat(out.get(1).path("choice").asString()).isEqualTo("recorded");
    assertThat(out.get(1).path("chosen").isNull()).isTrue();
    assertThat(hostPorts(out.get(1).path("eligible"))).isEqualTo(blue);
    assertThat(out.get(2).path("choice").asString()).isEqualTo("none");
    assertThat(out.get(2).path("eligible").size()).isZero();
    assertThat(out.get(3).path("choice").asString()).isEqualTo("maglev");
    assertThat(out.get(3).path("chosen").isNull()).isTrue(); // no source port, no backend
    Set<String> chosen = new HashSet<>();
    for (int i = 4; i < traces.size(); i++) {
      JsonNode t = out.get(i);
      assertThat(t.path("choice").asString()).isEqualTo("maglev");
      assertThat(hostPorts(t.path("eligible"))).isEqualTo(blue);
      chosen.add(hostPort(t.path("chosen")));
    }
    // Forty source ports of one client spread over both backends, each a backend of the service.
    assertThat(chosen).isEqualTo(blue);
  }

  @Test
  void explain_trace_badSource_isAOneLineError() {
    var err = new StringWriter();
    var cli = MultinetProxy.newCommandLine();
    cli.setOut(new PrintWriter(new StringWriter()));
    cli.setErr(new PrintWriter(err));
    int exit =
        cli.execute(
            "explain",
            "--manifests",
            "../examples/demo",
            "--trace",
            "network=blue,dst=10.96.0.10:80/TCP,src=10.1.0.99:70000");
    assertThat(exit).isEqualTo(2);
    assertThat(err.toString().strip())
        .isEqualTo("explain: --trace: src port 70000 (expected: 1-65535)");
  }

  private static Set<String> hostPorts(JsonNode list) {
    Set<String> out = new HashSet<>();
    list.forEach(e -> out.add(hostPort(e)));
    return out;
  }

  private static String hostPort(JsonNode e) {
    return e.path("address").asString() + ":" + e.path("port").asInt();
  }

  private static JsonNode explain(String... args) throws Exception {
    var out = new StringWriter();
    var err = new StringWriter();
    var cli = MultinetProxy.newCommandLine();
    cli.setOut(new PrintWriter(out));
    cli.setErr(new PrintWriter(err));
    String[] full = new String[args.length + 1];
    full[0] = "explain";
    System.arraycopy(args, 0, full, 1, args.length);
    int exit = cli.execute(full);
    assertThat(exit).as("exit; stderr: %s", err).isZero();
    return JSON.readTree(out.toString());
  }

  private static JsonNode network(JsonNode report, String name) {
    for (JsonNode n : report.path("networks")) {
      if (n.path("name").asString().equals(name)) {
        return n;
      }
    }
    throw new AssertionError("no network " + name + " in " + report);
  }

  private static JsonNode service(JsonNode network, String namespace, String name) {
    for (JsonNode s : network.path("services")) {
      if (s.path("namespace").asString().equals(namespace)
          && s.path("name").asString().equals(name)) {
        return s;
      }
    }
    throw new AssertionError("no service " + namespace + "/" + name + " in " + network);
  }
}
