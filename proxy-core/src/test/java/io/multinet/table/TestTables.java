package io.multinet.table;

import io.multinet.network.Cidr;
import io.multinet.network.Network;
import io.multinet.network.Protocol;
import io.multinet.service.Endpoint;
import io.multinet.service.NodeInfo;
import io.multinet.service.ServicePort;
import io.multinet.service.ServicePortKey;
import io.multinet.service.ServicePortName;
import java.util.ArrayList;
import java.util.List;

/**
 * Shared fixtures. Test address ranges: networks blue (id 56) and red (id 57) both use service
 * range 10.96.0.0/16 and fd00:96::/112 and pod range 10.1.0.0/16 and fd00:1::/64, so their VIPs and
 * pod IPs overlap on purpose; the default network uses 172.30.0.0/16 for cluster IPs and
 * 10.0.0.0/16 for pods; external addresses come from 203.0.113.0/24 (TEST-NET-3).
 */
final class TestTables {

  static final NodeInfo NODE = new NodeInfo("node-a", "zone-a");
  static final Network BLUE =
      Network.of(
          "blue",
          56,
          List.of(Cidr.parse("10.96.0.0/16"), Cidr.parse("fd00:96::/112")),
          List.of(Cidr.parse("10.1.0.0/16"), Cidr.parse("fd00:1::/64")));
  static final Network RED =
      Network.of(
          "red",
          57,
          List.of(Cidr.parse("10.96.0.0/16"), Cidr.parse("fd00:96::/112")),
          List.of(Cidr.parse("10.1.0.0/16"), Cidr.parse("fd00:1::/64")));

  private TestTables() {}

  static ServiceTable.Builder twoNetworks() {
    return ServiceTable.builder(NODE).network(BLUE).network(RED);
  }

  /**
   * A TCP service port with {@code count} ready endpoints 10.1.0.1.. on port {@code targetPort}.
   */
  static ServicePort port(
      String name, int network, String vip, int port, int count, int targetPort) {
    List<Endpoint> eps = new ArrayList<>();
    for (int i = 1; i <= count; i++) {
      eps.add(
          Endpoint.builder(pod(vip, i), targetPort).node(i % 2 == 0 ? "node-a" : "node-b").build());
    }
    return ServicePort.of(
        new ServicePortName("ns", name, "p" + port),
        ServicePortKey.of(network, vip, Protocol.TCP, port),
        eps);
  }

  private static String pod(String vip, int i) {
    if (vip.contains(":")) {
      return "fd00:1::" + Integer.toHexString(i);
    }
    return vip.startsWith("172.30.")
        ? "10.0." + (i >> 8) + "." + (i & 0xFF)
        : "10.1." + (i >> 8) + "." + (i & 0xFF);
  }
}
