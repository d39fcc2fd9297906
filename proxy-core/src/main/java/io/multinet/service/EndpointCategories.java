package io.multinet.service;

import static java.util.Objects.requireNonNull;

import java.util.List;

/**
 * The endpoints one node uses for one service port, as kube-proxy's CategorizeEndpoints returns
 * them.
 *
 * @param cluster endpoints for traffic policy Cluster; empty when the port never uses them
 * @param local this node's endpoints for traffic policy Local; empty when the port never uses them
 * @param allReachable the union of the two, sorted
 * @param hasAnyEndpoints whether any usable endpoint exists anywhere (false means reject, not drop)
 */
public record EndpointCategories(
    List<Endpoint> cluster,
    List<Endpoint> local,
    List<Endpoint> allReachable,
    boolean hasAnyEndpoints) {

  public EndpointCategories {
    cluster = List.copyOf(requireNonNull(cluster, "cluster"));
    local = List.copyOf(requireNonNull(local, "local"));
    allReachable = List.copyOf(requireNonNull(allReachable, "allReachable"));
  }

  /** The endpoints for traffic to the cluster IP under {@code policy}. */
  public List<Endpoint> forInternal(ServicePortPolicy policy) {
    return policy.internalTrafficPolicy() == TrafficPolicy.LOCAL ? local : cluster;
  }

  /**
   * The endpoints for traffic to NodePorts, external and load-balancer IPs under {@code policy}.
   */
  public List<Endpoint> forExternal(ServicePortPolicy policy) {
    return policy.externalTrafficPolicy() == TrafficPolicy.LOCAL ? local : cluster;
  }
}
