package io.multinet.watcher.slice;

import static java.util.Objects.requireNonNull;

import io.multinet.network.IpAddress;
import java.util.List;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * One address of one pod interface on a Service's network, as it should appear in an EndpointSlice.
 *
 * @param address the pod's address on the network
 * @param ports the Service's ports resolved against this pod, sorted; pods resolving different
 *     numbers go to different slices
 * @param podNamespace the pod's namespace, for the slice's targetRef
 * @param podName the pod's name
 * @param podUid the pod's uid
 * @param nodeName spec.nodeName; null before scheduling
 * @param zone the node's topology.kubernetes.io/zone; null when unknown
 * @param ready serving and not terminating (or the Service publishes not-ready addresses)
 * @param serving the pod's Ready condition, even while it terminates
 * @param terminating the pod has a deletionTimestamp
 * @param zoneHints zones to hint; empty when the Service asks for no topology routing
 * @param interfaceName the pod's interface on the network, from network-status
 * @param hostname spec.hostname when the pod's spec.subdomain names this Service (Kubernetes' rule,
 *     which gives the endpoint a DNS name); null otherwise
 */
public record DesiredEndpoint(
    IpAddress address,
    List<PortRef> ports,
    String podNamespace,
    String podName,
    String podUid,
    @Nullable String nodeName,
    @Nullable String zone,
    boolean ready,
    boolean serving,
    boolean terminating,
    Set<String> zoneHints,
    @Nullable String interfaceName,
    @Nullable String hostname) {

  public DesiredEndpoint {
    requireNonNull(address, "address");
    ports = List.copyOf(requireNonNull(ports, "ports"));
    requireNonNull(podNamespace, "podNamespace");
    requireNonNull(podName, "podName");
    requireNonNull(podUid, "podUid");
    zoneHints = Set.copyOf(requireNonNull(zoneHints, "zoneHints"));
  }

  public DesiredEndpoint withZoneHints(Set<String> hints) {
    return new DesiredEndpoint(
        address,
        ports,
        podNamespace,
        podName,
        podUid,
        nodeName,
        zone,
        ready,
        serving,
        terminating,
        hints,
        interfaceName,
        hostname);
  }
}
