package io.multinet.benchmarks;

import io.multinet.dataplane.v1.Backend;
import io.multinet.dataplane.v1.DesiredState;
import io.multinet.dataplane.v1.KernelHints;
import io.multinet.dataplane.v1.LoadBalancing;
import io.multinet.dataplane.v1.NetworkSpec;
import io.multinet.dataplane.v1.NodeFacts;
import io.multinet.dataplane.v1.Protocol;
import io.multinet.dataplane.v1.ServicePort;

/**
 * Desired states for {@link KernelProgrammingBenchmark}: service port {@code i} belongs to network
 * 56, 57 or 58 ({@code i % 3}); its VIP is the ({@code i / 3} + 1)-th address after 10.96.0.0 (so
 * 10.96.0.0/16, continuing into 10.97.x past 65,535 per network); one in sixteen is UDP port 53,
 * the rest TCP port 80; each has ten endpoints in 10.1.0.0/16 (addresses wrap and are shared across
 * services and networks, as pod addresses are reused across networks), none local, random load
 * balancing. {@code variant} 1 replaces all ten endpoints with other addresses and port 8081.
 */
final class KernelWorkload {

  static final int[] NETWORK_IDS = {56, 57, 58};
  static final int ENDPOINTS = 10;

  private KernelWorkload() {}

  static DesiredState state(int services) {
    var b = DesiredState.newBuilder();
    for (int id : NETWORK_IDS) {
      b.addNetworks(
          NetworkSpec.newBuilder()
              .setId(id)
              .setName("net-" + id)
              .setKernel(
                  KernelHints.newBuilder()
                      .addInterfaces("n" + id + "-*")
                      .setRoutingTable(1000 + id)));
    }
    for (int i = 0; i < services; i++) {
      b.addServicePorts(port(i, 0));
    }
    return b.setNode(NodeFacts.newBuilder().setName("node-a")).build();
  }

  static ServicePort port(int i, int variant) {
    int network = NETWORK_IDS[i % NETWORK_IDS.length];
    String vip = v4(0x0A60_0000 + i / NETWORK_IDS.length + 1); // 10.96.0.0 + n + 1
    return port(network, vip, i, variant);
  }

  /**
   * Port {@code i} of the workload in {@code variant}, at {@code vip} of network {@code network}.
   */
  static ServicePort port(int network, String vip, int i, int variant) {
    boolean udp = i % 16 == 15;
    var sp =
        ServicePort.newBuilder()
            .setNetworkId(network)
            .setAddress(vip)
            .setProtocol(udp ? Protocol.UDP : Protocol.TCP)
            .setPort(udp ? 53 : 80)
            .setName("ns" + i % 100 + "/svc" + i + ":" + (udp ? "dns" : "http"))
            .setHasAnyEndpoints(true)
            .setLoadBalancing(LoadBalancing.RANDOM);
    for (int e = 0; e < ENDPOINTS; e++) {
      // 65,534 usable addresses in 10.1.0.0/16; variant 1 is shifted far from variant 0's ten.
      int host = (i * ENDPOINTS + e + variant * 32_749) % 65_534 + 1;
      sp.addBackends(
          Backend.newBuilder()
              .setAddress(v4(0x0A01_0000 + host))
              .setPort((udp ? 5353 : 8080) + variant)
              .setNode("node-" + host % 50));
    }
    return sp.build();
  }

  static String v4(int a) {
    return (a >>> 24) + "." + ((a >>> 16) & 0xff) + "." + ((a >>> 8) & 0xff) + "." + (a & 0xff);
  }
}
