package io.multinet.kube.network;

import static java.util.Objects.requireNonNull;

import io.multinet.network.IpAddress;
import java.net.InetSocketAddress;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * A network's DNS service, validated: where it answers and what it answers for.
 *
 * @param requested the addresses {@code spec.dns.clusterIPs} asks for; empty means allocate
 * @param clusterIPs the addresses it answers on: those in {@code status.dns.clusterIPs} (the
 *     controller holds their claims), of the requested ones when any are requested; the requested
 *     ones while the status has no {@code dns} yet (no controller has looked at the network); empty
 *     until allocated
 * @param clusterDomain {@code spec.dns.clusterDomain}; null means the node proxy's default
 * @param upstreams {@code spec.dns.upstreams} as socket addresses (port 53 unless given); empty
 *     means the node's own resolvers
 */
public record NetworkDns(
    List<IpAddress> requested,
    List<IpAddress> clusterIPs,
    @Nullable String clusterDomain,
    List<InetSocketAddress> upstreams) {

  public NetworkDns {
    requested = List.copyOf(requireNonNull(requested, "requested"));
    clusterIPs = List.copyOf(requireNonNull(clusterIPs, "clusterIPs"));
    upstreams = List.copyOf(requireNonNull(upstreams, "upstreams"));
  }
}
