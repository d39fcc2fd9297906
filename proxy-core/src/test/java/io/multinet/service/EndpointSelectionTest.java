package io.multinet.service;

import static org.assertj.core.api.Assertions.assertThat;

import io.multinet.network.IpAddress;
import io.multinet.network.Protocol;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.TreeSet;
import java.util.stream.Stream;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Endpoint selection, case by case, from kube-proxy's documented behaviour: CategorizeEndpoints in
 * kubernetes/kubernetes pkg/proxy/topology.go, the Service docs on internal and external traffic
 * policy (https://kubernetes.io/docs/reference/networking/virtual-ips/#traffic-policies), KEP-1669
 * "Proxy Terminating Endpoints" (fall back to serving-and-terminating endpoints when none is ready,
 * separately for Cluster and Local), and KEP-2433 "Topology Aware Hints" (hints are used only when
 * every ready endpoint has one and one matches the node's zone; same-node hints first, KEP-3015).
 *
 * <p>Test addresses: pods in 10.1.0.0/16, cluster IP 10.96.0.10. The node is "node-a" in zone
 * "zone-a"; "L" marks an endpoint on node-a, anything else runs on "node-b".
 */
class EndpointSelectionTest {

  private static final String NODE = "node-a";

  static Stream<Arguments> cases() {
    return Stream.of(
        // --- Cluster policy, readiness ---
        c("cluster: only ready endpoints are used")
            .eps("10.1.2.3 R", "10.1.2.4 U", "10.1.2.5 R")
            .cluster("10.1.2.3", "10.1.2.5"),
        c("cluster: no endpoint ready or terminating, so nothing anywhere")
            .eps("10.1.2.3 U", "10.1.2.4 U")
            .cluster()
            .noneAnywhere(),
        c("cluster: none ready, so serving-and-terminating ones are used")
            .eps("10.1.2.3 ST L", "10.1.2.4 ST", "10.1.2.5 U")
            .cluster("10.1.2.3", "10.1.2.4"),
        c("cluster: terminating but not serving endpoints are never used")
            .eps("10.1.2.3 UT", "10.1.2.4 U")
            .cluster()
            .noneAnywhere(),
        c("cluster: one ready endpoint hides all terminating ones")
            .eps("10.1.2.3 ST", "10.1.2.4 R")
            .cluster("10.1.2.4"),
        c("cluster: externalTrafficPolicy Local is ignored without external access")
            .etpLocal()
            .eps("10.1.2.3 R", "10.1.2.4 R L")
            .cluster("10.1.2.3", "10.1.2.4"),
        c("empty endpoint list: nothing anywhere").cluster().noneAnywhere(),

        // --- Topology hints ---
        c("hints: every ready endpoint hinted and one for zone-a: only zone-a ones")
            .eps(
                "10.1.2.3 R z=zone-a",
                "10.1.2.4 R z=zone-b",
                "10.1.2.5 R z=zone-c",
                "10.1.2.6 R z=zone-a")
            .cluster("10.1.2.3", "10.1.2.6"),
        c("hints: ignored when the topology mode is disabled")
            .topology(TopologyMode.DISABLED)
            .eps("10.1.2.3 R z=zone-a", "10.1.2.4 R z=zone-b")
            .cluster("10.1.2.3", "10.1.2.4"),
        c("hints: one ready endpoint without a hint disables filtering")
            .eps("10.1.2.3 R z=zone-a", "10.1.2.4 R", "10.1.2.5 R z=zone-b")
            .cluster("10.1.2.3", "10.1.2.4", "10.1.2.5"),
        c("hints: an unready endpoint without a hint does not disable filtering")
            .eps("10.1.2.3 R z=zone-a", "10.1.2.4 U", "10.1.2.5 R z=zone-b")
            .cluster("10.1.2.3"),
        c("hints: none for this zone, so no filtering")
            .eps("10.1.2.3 R z=zone-b", "10.1.2.4 R z=zone-c")
            .cluster("10.1.2.3", "10.1.2.4"),
        c("hints: node without a zone label, so no filtering")
            .zone(null)
            .eps("10.1.2.3 R z=zone-a", "10.1.2.4 R z=zone-b")
            .cluster("10.1.2.3", "10.1.2.4"),
        c("hints: only unready endpoints hinted for this zone, so no filtering")
            .eps("10.1.2.3 U z=zone-a", "10.1.2.4 R z=zone-b", "10.1.2.5 R z=zone-c")
            .cluster("10.1.2.4", "10.1.2.5"),
        c("hints: several zones per endpoint; any listing zone-a qualifies")
            .eps("10.1.2.3 R z=zone-a,zone-b", "10.1.2.4 R z=zone-b,zone-c", "10.1.2.5 R z=zone-a")
            .cluster("10.1.2.3", "10.1.2.5"),
        c("hints: same-node hints win over zone hints")
            .eps("10.1.2.3 R z=zone-a n=node-a", "10.1.2.4 R z=zone-a n=node-b")
            .cluster("10.1.2.3"),
        c("hints: node hints not for this node fall back to zone hints")
            .eps("10.1.2.3 R z=zone-a n=node-b", "10.1.2.4 R z=zone-b n=node-c")
            .cluster("10.1.2.3"),
        c("hints: a ready endpoint without node hint falls back to zone hints")
            .eps("10.1.2.3 R z=zone-a n=node-a", "10.1.2.4 R z=zone-a", "10.1.2.5 R z=zone-b")
            .cluster("10.1.2.3", "10.1.2.4"),

        // --- Local policies ---
        c("iTP Local: only this node's ready endpoints, no cluster endpoints")
            .itpLocal()
            .eps("10.1.2.3 R", "10.1.2.4 R L")
            .noCluster()
            .local("10.1.2.4"),
        c("iTP Local: all remote, so nothing local but endpoints exist elsewhere")
            .itpLocal()
            .eps("10.1.2.3 R", "10.1.2.4 R")
            .noCluster()
            .local(),
        c("iTP Local: no endpoints at all").itpLocal().noCluster().local().noneAnywhere(),
        c("iTP Local: none ready here, so local serving-and-terminating ones")
            .itpLocal()
            .eps("10.1.2.3 R", "10.1.2.4 ST L", "10.1.2.5 U L")
            .noCluster()
            .local("10.1.2.4"),
        c("iTP Local: a local ready endpoint hides local terminating ones")
            .itpLocal()
            .eps("10.1.2.3 R L", "10.1.2.4 ST L")
            .noCluster()
            .local("10.1.2.3"),
        c("iTP Local, eTP Cluster, NodePort: both categories")
            .itpLocal()
            .nodePort()
            .eps("10.1.2.3 R L", "10.1.2.4 R")
            .cluster("10.1.2.3", "10.1.2.4")
            .local("10.1.2.3"),
        c("iTP Cluster, eTP Local, NodePort: both categories")
            .etpLocal()
            .nodePort()
            .eps("10.1.2.3 R L", "10.1.2.4 R")
            .cluster("10.1.2.3", "10.1.2.4")
            .local("10.1.2.3"),
        c("eTP Local: remote terminating endpoints serve Cluster, none local")
            .etpLocal()
            .itpLocal()
            .nodePort()
            .eps("10.1.2.3 ST", "10.1.2.4 ST")
            .cluster("10.1.2.3", "10.1.2.4")
            .local(),
        c("eTP Local: ready remote for Cluster, local terminating for Local")
            .etpLocal()
            .nodePort()
            .eps("10.1.2.3 R", "10.1.2.4 U L", "10.1.2.5 ST L", "10.1.2.6 ST")
            .cluster("10.1.2.3")
            .local("10.1.2.5")
            .all("10.1.2.3", "10.1.2.5"),
        c("eTP Local: topology narrows Cluster but never Local; all merges both")
            .etpLocal()
            .nodePort()
            .eps(
                "10.1.2.3 R L z=zone-a",
                "10.1.2.4 R L z=zone-b",
                "10.1.2.5 R z=zone-a",
                "10.1.2.6 R z=zone-b")
            .cluster("10.1.2.3", "10.1.2.5")
            .local("10.1.2.3", "10.1.2.4")
            .all("10.1.2.3", "10.1.2.4", "10.1.2.5"),
        c("eTP Local via external IP only (no NodePort) still uses Local")
            .etpLocal()
            .externalIp()
            .eps("10.1.2.3 R L", "10.1.2.4 R")
            .cluster("10.1.2.3", "10.1.2.4")
            .local("10.1.2.3"));
  }

  @ParameterizedTest(name = "{0}")
  @MethodSource("cases")
  void categorize_matchesKubeProxy(String name, Case c) {
    EndpointCategories got = EndpointSelection.categorize(c.port(), new NodeInfo(NODE, c.zone));

    assertThat(addresses(got.cluster()))
        .as("cluster")
        .isEqualTo(c.cluster == null ? Set.of() : c.cluster);
    assertThat(addresses(got.local())).as("local").isEqualTo(c.local == null ? Set.of() : c.local);
    assertThat(addresses(got.allReachable())).as("allReachable").isEqualTo(c.expectedAll());
    assertThat(got.hasAnyEndpoints()).as("hasAnyEndpoints").isEqualTo(!c.noneAnywhere);
  }

  private static Set<String> addresses(List<Endpoint> endpoints) {
    var out = new TreeSet<String>();
    for (Endpoint e : endpoints) {
      out.add(e.address().toString());
    }
    return out;
  }

  private static Case c(String name) {
    return new Case(name);
  }

  /** One table row; built fluently so each row reads as the rule it checks. */
  static final class Case implements Arguments {
    final String name;
    boolean itpLocal;
    boolean etpLocal;
    boolean nodePort;
    boolean externalIp;
    TopologyMode topology = TopologyMode.HINTS;
    @Nullable String zone = "zone-a";
    final List<Endpoint> endpoints = new ArrayList<>();
    @Nullable Set<String> cluster;
    @Nullable Set<String> local;
    @Nullable Set<String> all;
    boolean noneAnywhere;

    Case(String name) {
      this.name = name;
    }

    Case itpLocal() {
      itpLocal = true;
      return this;
    }

    Case etpLocal() {
      etpLocal = true;
      return this;
    }

    Case nodePort() {
      nodePort = true;
      return this;
    }

    Case externalIp() {
      externalIp = true;
      return this;
    }

    Case topology(TopologyMode mode) {
      topology = mode;
      return this;
    }

    Case zone(@Nullable String value) {
      zone = value;
      return this;
    }

    /**
     * "ADDR STATE [L] [z=zone,..] [n=node,..]"; STATE: R ready, ST serving+terminating, U unready,
     * UT terminating only.
     */
    Case eps(String... specs) {
      for (String spec : specs) {
        String[] t = spec.split(" ");
        var b = Endpoint.builder(t[0], 8080).node("node-b");
        switch (t[1]) {
          case "R" -> b.conditions(true, true, false);
          case "ST" -> b.conditions(false, true, true);
          case "U" -> b.conditions(false, false, false);
          case "UT" -> b.conditions(false, false, true);
          default -> throw new IllegalArgumentException(spec);
        }
        for (int i = 2; i < t.length; i++) {
          if (t[i].equals("L")) {
            b.node(NODE);
          } else if (t[i].startsWith("z=")) {
            b.zoneHints(t[i].substring(2).split(","));
          } else if (t[i].startsWith("n=")) {
            b.nodeHints(t[i].substring(2).split(","));
          } else {
            throw new IllegalArgumentException(spec);
          }
        }
        endpoints.add(b.build());
      }
      return this;
    }

    Case cluster(String... addresses) {
      cluster = Set.of(addresses);
      return this;
    }

    Case noCluster() {
      cluster = null;
      return this;
    }

    Case local(String... addresses) {
      local = Set.of(addresses);
      return this;
    }

    Case all(String... addresses) {
      all = Set.of(addresses);
      return this;
    }

    Case noneAnywhere() {
      noneAnywhere = true;
      return this;
    }

    Set<String> expectedAll() {
      if (all != null) {
        return all;
      }
      var union = new TreeSet<String>();
      if (cluster != null) {
        union.addAll(cluster);
      }
      if (local != null) {
        union.addAll(local);
      }
      return union;
    }

    ServicePort port() {
      var policy =
          ServicePortPolicy.DEFAULT
              .withInternalTrafficPolicy(itpLocal ? TrafficPolicy.LOCAL : TrafficPolicy.CLUSTER)
              .withExternalTrafficPolicy(etpLocal ? TrafficPolicy.LOCAL : TrafficPolicy.CLUSTER)
              .withTopologyMode(topology);
      return new ServicePort(
          new ServicePortName("ns", "svc", "http"),
          ServicePortKey.of(0, "10.96.0.10", Protocol.TCP, 80),
          policy,
          nodePort ? 30080 : 0,
          externalIp ? List.of(IpAddress.parse("203.0.113.7")) : List.of(),
          endpoints);
    }

    @Override
    public Object[] get() {
      return new Object[] {name, this};
    }
  }
}
