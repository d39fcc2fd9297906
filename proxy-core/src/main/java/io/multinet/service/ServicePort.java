package io.multinet.service;

import static java.util.Objects.requireNonNull;

import io.multinet.network.IpAddress;
import java.util.ArrayList;
import java.util.List;

/**
 * One port of one Service on one network, with everything a node needs to program it.
 *
 * @param name the Kubernetes identity, for logs and events
 * @param key network, cluster IP, protocol and port
 * @param policy affinity, traffic policies, load balancing and topology
 * @param nodePort 0 when none; otherwise 1-65535 (default network only)
 * @param externalAddresses external IPs and load-balancer ingress IPs of the cluster IP's family
 * @param endpoints every endpoint of the cluster IP's family, sorted by address and port, unique
 */
public record ServicePort(
    ServicePortName name,
    ServicePortKey key,
    ServicePortPolicy policy,
    int nodePort,
    List<IpAddress> externalAddresses,
    List<Endpoint> endpoints) {

  public ServicePort {
    requireNonNull(name, "name");
    requireNonNull(key, "key");
    requireNonNull(policy, "policy");
    if (nodePort != 0) {
      ServicePortKey.checkPort("nodePort", nodePort);
    }
    externalAddresses = List.copyOf(requireNonNull(externalAddresses, "externalAddresses"));
    for (IpAddress a : externalAddresses) {
      if (a.family() != key.address().family()) {
        throw new IllegalArgumentException(
            "externalAddresses: "
                + a
                + " (expected: "
                + key.address().family()
                + " like "
                + key
                + ")");
      }
    }
    // Sorting makes two builds from the same slices equal, whatever order the API listed them in.
    var sorted = new ArrayList<>(requireNonNull(endpoints, "endpoints"));
    sorted.sort(null);
    for (int i = 0; i < sorted.size(); i++) {
      Endpoint e = sorted.get(i);
      if (e.address().family() != key.address().family()) {
        throw new IllegalArgumentException(
            "endpoints: "
                + e.hostPort()
                + " (expected: "
                + key.address().family()
                + " like "
                + key
                + ")");
      }
      if (i > 0 && sorted.get(i - 1).compareTo(e) == 0) {
        throw new IllegalArgumentException(
            "endpoints: " + e.hostPort() + " appears twice (expected: unique address:port)");
      }
    }
    endpoints = List.copyOf(sorted);
  }

  /** A cluster-IP-only port with the default policy. */
  public static ServicePort of(ServicePortName name, ServicePortKey key, List<Endpoint> endpoints) {
    return new ServicePort(name, key, ServicePortPolicy.DEFAULT, 0, List.of(), endpoints);
  }

  public ServicePort withEndpoints(List<Endpoint> value) {
    return new ServicePort(name, key, policy, nodePort, externalAddresses, value);
  }

  public ServicePort withPolicy(ServicePortPolicy value) {
    return new ServicePort(name, key, value, nodePort, externalAddresses, endpoints);
  }

  public ServicePort withExternal(int nodePortValue, List<IpAddress> externalAddressesValue) {
    return new ServicePort(name, key, policy, nodePortValue, externalAddressesValue, endpoints);
  }

  /** kube-proxy's ExternallyAccessible: a NodePort, external IPs or load-balancer IPs. */
  public boolean externallyAccessible() {
    return nodePort != 0 || !externalAddresses.isEmpty();
  }

  /**
   * kube-proxy's UsesClusterEndpoints: internal policy Cluster, or any external traffic at all
   * (even with external policy Local, pod traffic to an external address short-circuits to the
   * cluster endpoints).
   */
  public boolean usesClusterEndpoints() {
    return policy.internalTrafficPolicy() == TrafficPolicy.CLUSTER || externallyAccessible();
  }

  /** kube-proxy's UsesLocalEndpoints. */
  public boolean usesLocalEndpoints() {
    return policy.internalTrafficPolicy() == TrafficPolicy.LOCAL
        || (policy.externalTrafficPolicy() == TrafficPolicy.LOCAL && externallyAccessible());
  }
}
