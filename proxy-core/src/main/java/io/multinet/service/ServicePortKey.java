package io.multinet.service;

import static java.util.Objects.requireNonNull;

import io.multinet.network.IpAddress;
import io.multinet.network.Network;
import io.multinet.network.Protocol;

/**
 * What a packet is matched on: the same VIP, protocol and port may exist once in every network.
 *
 * @param networkId the {@link Network#id()} (0 for the default network)
 * @param address the virtual IP (cluster IP, or an external or load-balancer address)
 * @param protocol TCP, UDP or SCTP
 * @param port 1-65535
 */
public record ServicePortKey(int networkId, IpAddress address, Protocol protocol, int port)
    implements Comparable<ServicePortKey> {

  public ServicePortKey {
    requireNonNull(address, "address");
    requireNonNull(protocol, "protocol");
    checkNetworkId(networkId);
    checkPort("port", port);
  }

  public static ServicePortKey of(int networkId, String address, Protocol protocol, int port) {
    return new ServicePortKey(networkId, IpAddress.parse(address), protocol, port);
  }

  static void checkNetworkId(int networkId) {
    if (networkId < 0 || networkId > Network.MAX_ID) {
      throw new IllegalArgumentException(
          "networkId: " + networkId + " (expected: 0-" + Network.MAX_ID + ")");
    }
  }

  static void checkPort(String field, int port) {
    if (port < 1 || port > 65535) {
      throw new IllegalArgumentException(field + ": " + port + " (expected: 1-65535)");
    }
  }

  @Override
  public int compareTo(ServicePortKey o) {
    // Written out: syncs sort and look up tens of thousands of keys, and a composed Comparator
    // costs several times more.
    int c = Integer.compare(networkId, o.networkId);
    if (c == 0) {
      c = address.compareTo(o.address);
    }
    if (c == 0) {
      c = protocol.compareTo(o.protocol);
    }
    return c != 0 ? c : Integer.compare(port, o.port);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof ServicePortKey k
        && k.networkId == networkId
        && k.port == port
        && k.protocol == protocol
        && k.address.equals(address);
  }

  @Override
  public int hashCode() {
    // Written out: every sync hashes each key several times, and the record's generated hashCode
    // is measurably slower.
    // Multiplicative mixing of all bits: VIPs are dense and ports repeat, and a weak combination
    // piles keys into few HashMap bins.
    long h =
        address.high() * 0x9E3779B97F4A7C15L
            ^ address.low() * 0xC2B2AE3D27D4EB4FL
            ^ ((long) networkId << 32 | (long) protocol.number() << 16 | port)
                * 0x165667B19E3779F9L;
    return (int) (h ^ (h >>> 32));
  }

  @Override
  public String toString() {
    String host = address.isV4() ? address.toString() : "[" + address + "]";
    return networkId + "/" + host + ":" + port + "/" + protocol;
  }
}
