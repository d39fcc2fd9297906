package io.multinet.dataplane;

import io.multinet.dataplane.v1.Backend;
import io.multinet.dataplane.v1.DesiredState;
import io.multinet.dataplane.v1.KernelHints;
import io.multinet.dataplane.v1.LoadBalancing;
import io.multinet.dataplane.v1.NetworkSpec;
import io.multinet.dataplane.v1.NodeFacts;
import io.multinet.dataplane.v1.Protocol;
import io.multinet.dataplane.v1.ServicePort;

/**
 * Desired states for backend tests. Address ranges: networks blue (56) and red (57) both use
 * 10.96.0.0/16 and fd00:96::/112 for VIPs and 10.1.0.0/24 and fd00:1::/64 for pods; the default
 * network uses 172.30.0.0/16 for VIPs, 10.0.0.0/16 for pods and 203.0.113.0/24 for external IPs.
 */
public final class States {

  private States() {}

  public static NetworkSpec network(int id, String name, String ifPattern, int table) {
    return NetworkSpec.newBuilder()
        .setId(id)
        .setName(name)
        .setKernel(KernelHints.newBuilder().addInterfaces(ifPattern).setRoutingTable(table))
        .build();
  }

  public static Backend backend(String address, int port, boolean local) {
    return Backend.newBuilder().setAddress(address).setPort(port).setLocal(local).build();
  }

  public static ServicePort.Builder port(
      int network, String vip, Protocol protocol, int port, Backend... backends) {
    return ServicePort.newBuilder()
        .setNetworkId(network)
        .setAddress(vip)
        .setProtocol(protocol)
        .setPort(port)
        .setName("ns/svc-" + network + "-" + vip + ":" + port)
        .addAllBackends(java.util.List.of(backends))
        .setHasAnyEndpoints(backends.length > 0)
        .setLoadBalancing(LoadBalancing.RANDOM);
  }

  /** Network 56's TCP 10.96.0.10:80 with a local and a remote backend (10.1.0.11, 10.1.0.12). */
  public static ServicePort.Builder blueWeb() {
    return port(
        56,
        "10.96.0.10",
        Protocol.TCP,
        80,
        backend("10.1.0.11", 8080, true),
        backend("10.1.0.12", 8080, false));
  }

  /** Two networks with the same VIP, plus the kinds of ports the kernel must handle. */
  public static DesiredState twoNetworks() {
    return DesiredState.newBuilder()
        .addNetworks(network(56, "blue", "bl-*", 1056))
        .addNetworks(network(57, "red", "rd-*", 1057))
        .addServicePorts(blueWeb())
        .addServicePorts(
            port(
                57,
                "10.96.0.10",
                Protocol.TCP,
                80,
                backend("10.1.0.11", 8080, true),
                backend("10.1.0.21", 8080, true),
                backend("10.1.0.22", 8080, false)))
        .addServicePorts(port(56, "10.96.0.10", Protocol.UDP, 53, backend("10.1.0.11", 5353, true)))
        .addServicePorts(
            port(57, "10.96.0.10", Protocol.SCTP, 3868, backend("10.1.0.21", 3868, true)))
        .addServicePorts(
            port(56, "fd00:96::10", Protocol.TCP, 80, backend("fd00:1::11", 8080, true)))
        .addServicePorts(
            port(
                    57,
                    "10.96.0.20",
                    Protocol.TCP,
                    80,
                    backend("10.1.0.21", 8080, true),
                    backend("10.1.0.22", 8080, false))
                .setLoadBalancing(LoadBalancing.MAGLEV)
                .setMaglevTableSize(16381))
        .addServicePorts(
            port(
                    56,
                    "10.96.0.30",
                    Protocol.TCP,
                    80,
                    backend("10.1.0.11", 8080, true),
                    backend("10.1.0.12", 8080, false))
                .setAffinityTimeoutSeconds(30))
        .addServicePorts(
            port(
                    57,
                    "fd00:96::30",
                    Protocol.UDP,
                    53,
                    backend("fd00:1::21", 5353, true),
                    backend("fd00:1::22", 5353, false))
                .setAffinityTimeoutSeconds(45))
        .addServicePorts(port(56, "10.96.0.40", Protocol.TCP, 80)) // no endpoints anywhere: reject
        .addServicePorts(
            port(57, "10.96.0.41", Protocol.UDP, 80).setHasAnyEndpoints(true)) // none here: drop
        .addServicePorts(
            port(0, "172.30.0.5", Protocol.TCP, 443, backend("10.0.0.5", 8443, false))
                .addExternalAddresses("203.0.113.7")
                .addExternalBackends(backend("10.0.0.5", 8443, false)))
        .setNode(NodeFacts.newBuilder().setName("node-a").addClusterCidrs("10.0.0.0/16"))
        .build();
  }

  /** The index of the first service port on {@code address}: tests name ports, not positions. */
  public static int indexOf(DesiredState s, String address) {
    for (int i = 0; i < s.getServicePortsCount(); i++) {
      if (s.getServicePorts(i).getAddress().equals(address)) {
        return i;
      }
    }
    throw new IllegalArgumentException("address: " + address + " (expected: a port of the state)");
  }
}
