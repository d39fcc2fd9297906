package io.multinet.service;

import static java.util.Objects.requireNonNull;

/**
 * How one service port treats traffic. Defaults match a Kubernetes Service with nothing set.
 *
 * @param sessionAffinity none or ClientIP with a timeout
 * @param internalTrafficPolicy for traffic to the cluster IP
 * @param externalTrafficPolicy for traffic to NodePorts, external IPs and load-balancer IPs
 * @param loadBalancing random or Maglev
 * @param topologyMode whether topology hints are honoured
 */
public record ServicePortPolicy(
    SessionAffinity sessionAffinity,
    TrafficPolicy internalTrafficPolicy,
    TrafficPolicy externalTrafficPolicy,
    LoadBalancing loadBalancing,
    TopologyMode topologyMode) {

  public static final ServicePortPolicy DEFAULT =
      new ServicePortPolicy(
          SessionAffinity.NONE,
          TrafficPolicy.CLUSTER,
          TrafficPolicy.CLUSTER,
          LoadBalancing.RANDOM,
          TopologyMode.HINTS);

  public ServicePortPolicy {
    requireNonNull(sessionAffinity, "sessionAffinity");
    requireNonNull(internalTrafficPolicy, "internalTrafficPolicy");
    requireNonNull(externalTrafficPolicy, "externalTrafficPolicy");
    requireNonNull(loadBalancing, "loadBalancing");
    requireNonNull(topologyMode, "topologyMode");
  }

  public ServicePortPolicy withSessionAffinity(SessionAffinity value) {
    return new ServicePortPolicy(
        value, internalTrafficPolicy, externalTrafficPolicy, loadBalancing, topologyMode);
  }

  public ServicePortPolicy withInternalTrafficPolicy(TrafficPolicy value) {
    return new ServicePortPolicy(
        sessionAffinity, value, externalTrafficPolicy, loadBalancing, topologyMode);
  }

  public ServicePortPolicy withExternalTrafficPolicy(TrafficPolicy value) {
    return new ServicePortPolicy(
        sessionAffinity, internalTrafficPolicy, value, loadBalancing, topologyMode);
  }

  public ServicePortPolicy withLoadBalancing(LoadBalancing value) {
    return new ServicePortPolicy(
        sessionAffinity, internalTrafficPolicy, externalTrafficPolicy, value, topologyMode);
  }

  public ServicePortPolicy withTopologyMode(TopologyMode value) {
    return new ServicePortPolicy(
        sessionAffinity, internalTrafficPolicy, externalTrafficPolicy, loadBalancing, value);
  }
}
