package io.multinet.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.multinet.apiserver.EmbeddedApiServer;
import io.multinet.dataplane.lab.Probe;
import io.multinet.dataplane.lab.ProbeResult;
import io.multinet.dataplane.lab.Topology;
import io.multinet.demo.Demo;
import io.multinet.kube.crd.NetworkResource;
import io.multinet.kube.testing.KubeObjects;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A corpus of malformed objects fed to a running demo cluster while its clients keep opening
 * connections: each object gets a Warning Event naming it and a metric increment for its reason,
 * and nothing else changes (slices, cluster IPs and traffic of the demo's Services).
 *
 * <p>Addresses are examples/demo's: blue and red pods in 10.1.0.0/16, services in 10.96.0.0/16.
 * Corpus pods claim addresses outside 10.1.0.0/16 (10.2.0.0/16, 192.0.2.0/24, 172.16.0.0/12) or
 * none; requested cluster IPs outside 10.96.0.0/16 come from 10.97.0.0/16 and documentation ranges.
 */
class MalformedCorpusTest {

  private static final String NS = "demo";

  private EmbeddedApiServer api;
  private KubernetesClient client;
  private Demo demo;

  /** Object name → the reason its Warning must carry. */
  private final Map<String, String> expected = new TreeMap<>();

  @BeforeEach
  void setUp() throws Exception {
    assumeTrue(Topology.unsupportedReason() == null, "needs root (CI runs as root)");
    api = new EmbeddedApiServer();
    client = api.newClient();
    assertThat(DemoCommand.load(client, Path.of("../examples/demo")).problems()).isEmpty();
    demo = Demo.start(client, new PrintWriter(new StringWriter()));
  }

  @AfterEach
  void tearDown() {
    if (demo != null) {
      demo.close();
    }
    if (client != null) {
      client.close();
    }
    if (api != null) {
      api.close();
    }
  }

  @Test
  void corpus_eachObjectGetsAnEventAndAMetric_andNothingElseChanges() throws Exception {
    Map<String, List<String>> slicesBefore = demoSlices();
    Map<String, String> ipsBefore = demoClusterIps();
    Map<String, Long> metricsBefore = new HashMap<>(demo.controller().metrics().snapshot());
    // A valid Service whose selector reaches the corpus pods, so their annotations are read.
    client
        .services()
        .resource(service("corpus-pods", Map.of("multinet.io/network", "blue")))
        .create();

    var failures = new ConcurrentHashMap<String, Integer>();
    var running = new AtomicBoolean(true);
    Thread traffic =
        Thread.ofPlatform()
            .start(
                () -> {
                  Probe blue = Probe.from(demo.topology().pod("client-blue"));
                  while (running.get()) {
                    try {
                      ProbeResult r = blue.tcp("10.96.0.10", 80);
                      if (r.outcome() != ProbeResult.Outcome.REPLY) {
                        failures.merge(r.key(), 1, Integer::sum);
                      }
                    } catch (Exception e) {
                      failures.merge(e.toString(), 1, Integer::sum);
                    }
                  }
                });
    try {
      for (HasMetadata o : corpus()) {
        client.resource(o).create();
      }
      assertThat(expected).hasSizeGreaterThanOrEqualTo(50);

      await()
          .atMost(Duration.ofSeconds(30))
          .untilAsserted(() -> assertThat(warnedObjects()).containsAllEntriesOf(expected));
      Map<String, Long> after = demo.controller().metrics().snapshot();
      Map<String, Long> perReason =
          expected.values().stream().collect(Collectors.groupingBy(r -> r, Collectors.counting()));
      perReason.forEach(
          (reason, n) ->
              assertThat(after.getOrDefault(reason, 0L) - metricsBefore.getOrDefault(reason, 0L))
                  .as("metric increments for %s", reason)
                  .isGreaterThanOrEqualTo(n));
    } finally {
      running.set(false);
      traffic.join();
    }
    assertThat(failures).as("probe failures while the corpus was fed").isEmpty();
    assertThat(demoSlices()).isEqualTo(slicesBefore);
    assertThat(demoClusterIps()).isEqualTo(ipsBefore);
    assertThat(client.resources(NetworkResource.class).list().getItems())
        .extracting(n -> n.getMetadata().getName())
        .contains("blue", "red");
  }

  private List<HasMetadata> corpus() {
    List<HasMetadata> out = new ArrayList<>();
    int i = 0;
    // Services naming networks that do not exist, through each annotation we read.
    for (String[] a :
        new String[][] {
          {"multinet.io/network", "green"},
          {"multinet.io/network", "purple"},
          {"multinet.io/network", "blue2"},
          {"multinet.io/network", "BLUE"},
          {"multinet.io/network", " "},
          {"k8s.v1.cni.cncf.io/service-network", "nope-net"},
          {"k8s.v1.cni.cncf.io/service-network", "demo/nope-net"},
          {"extensions.projectcalico.org/network", "nope"},
          {"extensions.projectcalico.org/network", "orange"},
          {"multinet.io/network", "demo/blue"},
        }) {
      out.add(bad("svc-unknown-" + i++, "UnknownNetwork", service(null, Map.of(a[0], a[1]))));
    }
    // Calico's selector in place of spec.selector, unparseable.
    for (String sel : new String[] {"app ==", "(((", "app == 'x' &&", "has(", "== 'web'"}) {
      Service s =
          service(
              null,
              Map.of(
                  "extensions.projectcalico.org/network",
                  "blue",
                  "extensions.projectcalico.org/selector",
                  sel));
      s.getSpec().setSelector(null);
      out.add(bad("svc-selector-" + i++, "InvalidSelector", s));
    }
    // Requested cluster IPs that are not addresses, or outside blue's 10.96.0.0/16.
    for (String ip :
        new String[] {"abc", "10.96.0.300", "fd00::zz", "10.96.0.1/24", "1.2.3", "x.y.z.w"}) {
      out.add(
          bad(
              "svc-badip-" + i++,
              "InvalidClusterIP",
              service(null, Map.of("multinet.io/network", "blue", "multinet.io/cluster-ips", ip))));
    }
    for (String ip :
        new String[] {
          "10.97.0.1",
          "11.96.0.1",
          "192.0.2.9",
          "203.0.113.1",
          "172.16.0.1",
          "10.98.1.1",
          "198.51.100.7"
        }) {
      out.add(
          bad(
              "svc-outside-" + i++,
              "ClusterIPOutOfRange",
              service(null, Map.of("multinet.io/network", "blue", "multinet.io/cluster-ips", ip))));
    }
    // Pods whose network-status cannot be read.
    for (String status :
        new String[] {
          "[{\"name\": ",
          "{}",
          "\"x\"",
          "[1, 2]",
          "[{\"name\": 5}]",
          "[{\"name\": \"demo/blue-net\", \"ips\": \"10.1.0.5\"}]",
          "[{\"name\": \"demo/blue-net\", \"ips\": [\"not-an-ip\"]}]",
          "[{\"name\": \"demo/blue-net\", \"ips\": [42]}]",
          "[[]]",
          "[{\"name\": \"demo/blue-net\", \"ips\": [\"10.1.0.999\"]}]",
        }) {
      out.add(bad("pod-status-" + i++, "MalformedNetworkStatus", pod(status)));
    }
    // Pods on blue with addresses outside blue's pod range.
    for (String ip :
        new String[] {
          "10.2.0.1", "192.0.2.5", "10.3.3.3", "172.16.0.9", "10.0.0.1", "198.18.0.1"
        }) {
      out.add(
          bad(
              "pod-outside-" + i++,
              "EndpointOutsideNetwork",
              pod(
                  "[{\"name\": \"demo/blue-net\", \"interface\": \"net1\", \"ips\": [\""
                      + ip
                      + "\"]}]")));
    }
    // Networks that cannot be served.
    for (String spec :
        new String[] {
          "{\"id\": 60, \"serviceCIDRs\": [\"nope\"], \"podCIDRs\": [\"10.5.0.0/16\"]}",
          "{\"id\": 61, \"serviceCIDRs\": [\"10.97.0.0/16\"], \"podCIDRs\": [\"10.5.0.0/33\"]}",
          "{\"id\": -1, \"serviceCIDRs\": [\"10.97.0.0/16\"], \"podCIDRs\": [\"10.5.0.0/16\"]}",
          "{\"id\": 70000, \"serviceCIDRs\": [\"10.97.0.0/16\"], \"podCIDRs\": [\"10.5.0.0/16\"]}",
          "{\"id\": 62, \"serviceCIDRs\": [\"10.97.0.1/16\"], \"podCIDRs\": [\"10.5.0.0/16\"]}",
          "{\"id\": 63, \"serviceCIDRs\": [\"10.97.0.0/16\"], \"podCIDRs\": [\"10.5.0.0/16\"],"
              + " \"kernel\": {\"routingTable\": -5}}",
        }) {
      out.add(bad("net-bad-" + i++, "InvalidNetwork", network(spec)));
    }
    return out;
  }

  private HasMetadata bad(String name, String reason, HasMetadata o) {
    o.getMetadata().setName(name);
    expected.put(name, reason);
    return o;
  }

  private static Service service(
      @org.jspecify.annotations.Nullable String name, Map<String, String> annotations) {
    return KubeObjects.service(
        NS, name == null ? "unnamed" : name, annotations, Map.of("app", "corpus"), 80, 8080);
  }

  private static Pod pod(String networkStatus) {
    return KubeObjects.readyPod(NS, "unnamed", "corpus", "node-1", networkStatus);
  }

  private NetworkResource network(String specJson) {
    try {
      return io.fabric8.kubernetes.client.utils.Serialization.unmarshal(
          "{\"apiVersion\": \"multinet.io/v1alpha1\", \"kind\": \"Network\", \"metadata\":"
              + " {\"name\": \"unnamed\"}, \"spec\": "
              + specJson
              + "}",
          NetworkResource.class);
    } catch (RuntimeException e) {
      throw new IllegalStateException("corpus network " + specJson, e);
    }
  }

  /** Object name → reason, for every Warning Event in the cluster. */
  private Map<String, String> warnedObjects() {
    Map<String, String> out = new TreeMap<>();
    for (Event e : client.v1().events().inAnyNamespace().list().getItems()) {
      if ("Warning".equals(e.getType()) && expected.containsKey(e.getInvolvedObject().getName())) {
        out.put(e.getInvolvedObject().getName(), e.getReason());
      }
    }
    return out;
  }

  /** The demo Services' slices: service → sorted endpoint addresses with their conditions. */
  private Map<String, List<String>> demoSlices() {
    Map<String, List<String>> out = new TreeMap<>();
    for (EndpointSlice s :
        client.discovery().v1().endpointSlices().inAnyNamespace().list().getItems()) {
      String svc = s.getMetadata().getLabels().getOrDefault("kubernetes.io/service-name", "");
      if (svc.startsWith("corpus") || svc.startsWith("svc-")) {
        continue;
      }
      List<String> eps =
          out.computeIfAbsent(s.getMetadata().getNamespace() + "/" + svc, k -> new ArrayList<>());
      s.getEndpoints()
          .forEach(
              e ->
                  eps.add(String.join(",", e.getAddresses()) + " " + e.getConditions().getReady()));
      eps.sort(null);
    }
    return out;
  }

  private Map<String, String> demoClusterIps() {
    Map<String, String> out = new TreeMap<>();
    for (Service s : client.services().inAnyNamespace().list().getItems()) {
      String name = s.getMetadata().getName();
      if (!name.startsWith("corpus") && !name.startsWith("svc-")) {
        out.put(
            s.getMetadata().getNamespace() + "/" + name,
            String.valueOf(s.getMetadata().getAnnotations()) + " " + s.getSpec().getClusterIPs());
      }
    }
    return out;
  }
}
