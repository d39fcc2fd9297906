package io.multinet.service;

import static java.util.Objects.requireNonNull;

import java.util.ArrayList;
import java.util.List;
import java.util.TreeSet;
import java.util.function.Predicate;
import org.jspecify.annotations.Nullable;

/**
 * Which endpoints a node uses, exactly as kube-proxy's {@code CategorizeEndpoints}
 * (pkg/proxy/topology.go) decides:
 *
 * <ul>
 *   <li>Cluster endpoints are the ready ones, narrowed by topology hints when hints apply; when
 *       none is ready anywhere, the serving-and-terminating ones.
 *   <li>Local endpoints are this node's ready ones; when it has none ready, its
 *       serving-and-terminating ones. Topology is never applied to them.
 *   <li>Hints apply only when every ready endpoint has one and at least one names this node
 *       (PreferSameNode, checked first) or this node's zone (PreferSameZone).
 * </ul>
 */
public final class EndpointSelection {

  private EndpointSelection() {}

  /** Categorizes {@code port}'s endpoints for {@code node}. */
  public static EndpointCategories categorize(ServicePort port, NodeInfo node) {
    requireNonNull(port, "port");
    requireNonNull(node, "node");
    List<Endpoint> endpoints = port.endpoints();
    List<Endpoint> cluster = List.of();
    boolean hasAny = false;

    if (port.usesClusterEndpoints()) {
      Hints mode =
          port.policy().topologyMode() == TopologyMode.HINTS
              ? hintsMode(endpoints, node)
              : Hints.NONE;
      cluster = filter(endpoints, e -> e.ready() && mode.admits(e, node));
      if (cluster.isEmpty()) {
        // Hints were already dropped when they matched nothing here, so no ready endpoint exists
        // anywhere: fall back to the ones still serving while they terminate.
        cluster = filter(endpoints, e -> e.serving() && e.terminating());
      }
      hasAny = !cluster.isEmpty();
    }

    if (!port.usesLocalEndpoints()) {
      return new EndpointCategories(cluster, List.of(), cluster, hasAny);
    }

    boolean localReady = false;
    boolean localServingTerminating = false;
    for (Endpoint e : endpoints) {
      if (e.ready()) {
        hasAny = true;
        localReady |= e.isLocalTo(node.name());
      } else if (e.serving() && e.terminating()) {
        hasAny = true;
        localServingTerminating |= e.isLocalTo(node.name());
      }
    }
    List<Endpoint> local = List.of();
    if (localReady) {
      local = filter(endpoints, e -> e.isLocalTo(node.name()) && e.ready());
    } else if (localServingTerminating) {
      local = filter(endpoints, e -> e.isLocalTo(node.name()) && e.serving() && e.terminating());
    }

    if (!port.usesClusterEndpoints()) {
      return new EndpointCategories(List.of(), local, local, hasAny);
    }
    // Cluster may hold remote endpoints that local lacks; local may hold terminating or
    // topology-filtered local ones that cluster lacks.
    var union = new TreeSet<Endpoint>(cluster);
    union.addAll(local);
    return new EndpointCategories(cluster, local, List.copyOf(union), hasAny);
  }

  private static Hints hintsMode(List<Endpoint> endpoints, NodeInfo node) {
    boolean allHaveNodeHints = true;
    boolean anyForNode = false;
    boolean allHaveZoneHints = true;
    boolean anyForZone = false;
    @Nullable String zone = node.zone();
    for (Endpoint e : endpoints) {
      if (!e.ready()) {
        continue;
      }
      if (e.nodeHints().isEmpty()) {
        allHaveNodeHints = false;
      } else if (e.nodeHints().contains(node.name())) {
        anyForNode = true;
      }
      if (e.zoneHints().isEmpty()) {
        allHaveZoneHints = false;
      } else if (zone != null && e.zoneHints().contains(zone)) {
        anyForZone = true;
      }
    }
    if (allHaveNodeHints && anyForNode) {
      return Hints.SAME_NODE;
    }
    if (allHaveZoneHints && anyForZone) {
      return Hints.SAME_ZONE;
    }
    return Hints.NONE;
  }

  private static List<Endpoint> filter(List<Endpoint> endpoints, Predicate<Endpoint> keep) {
    var out = new ArrayList<Endpoint>(endpoints.size());
    for (Endpoint e : endpoints) {
      if (keep.test(e)) {
        out.add(e);
      }
    }
    return out;
  }

  /** kube-proxy's topology modes: "", PreferSameNode, PreferSameZone. */
  private enum Hints {
    NONE,
    SAME_NODE,
    SAME_ZONE;

    boolean admits(Endpoint e, NodeInfo node) {
      return switch (this) {
        case NONE -> true;
        case SAME_NODE -> e.nodeHints().contains(node.name());
        case SAME_ZONE -> node.zone() != null && e.zoneHints().contains(node.zone());
      };
    }
  }
}
