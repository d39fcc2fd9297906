package io.multinet.dataplane.kernel;

import static io.multinet.dataplane.States.network;
import static org.assertj.core.api.Assertions.assertThat;

import io.multinet.dataplane.DesiredStates;
import io.multinet.dataplane.lab.LabAssumptions;
import io.multinet.dataplane.lab.Probe;
import io.multinet.dataplane.lab.ProbeResult;
import io.multinet.dataplane.lab.Topology;
import io.multinet.dataplane.v1.NodeFacts;
import io.multinet.network.Cidr;
import io.multinet.network.IpAddress;
import io.multinet.network.Network;
import io.multinet.network.Protocol;
import io.multinet.service.Endpoint;
import io.multinet.service.LoadBalancing;
import io.multinet.service.NodeInfo;
import io.multinet.service.ServicePort;
import io.multinet.service.ServicePortKey;
import io.multinet.service.ServicePortName;
import io.multinet.service.ServicePortPolicy;
import io.multinet.table.FlowHash;
import io.multinet.table.ServiceEntry;
import io.multinet.table.ServiceTable;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * The kernel picks the Maglev backend {@link ServiceTable} predicts: real TCP connections from
 * chosen source addresses and ports through the rules the kernel backend programs for a table, each
 * answered by the backend {@code lookup(...).select(FlowHash.of(src, port))} names. Address ranges:
 * pods 10.1.0.0/24 and fd00:1::/64, VIPs 10.96.0.0/16 and fd00:96::/112, all inside namespaces this
 * test creates.
 */
class KernelMaglevDifferentialTest {

  private static final int NETWORK = 56;
  private static final NodeInfo NODE = new NodeInfo("node-a", null);
  private static final Network BLUE =
      Network.of(
          "blue",
          NETWORK,
          List.of(Cidr.parse("10.96.0.0/16"), Cidr.parse("fd00:96::/112")),
          List.of(Cidr.parse("10.1.0.0/16"), Cidr.parse("fd00:1::/64")));
  private static final int BACKENDS = 5;
  private static final int CLIENT_ADDRESSES = 5;
  private static final int PORTS_PER_ADDRESS = 30;

  private Topology topo;
  private KernelBackend backend;

  /** Pod name by address: the echo servers answer with their pod's name. */
  private final Map<IpAddress, String> pods = new HashMap<>();

  private final List<String> clientV4 = new ArrayList<>();
  private final List<String> clientV6 = new ArrayList<>();

  @BeforeEach
  void setUp() throws Exception {
    LabAssumptions.assumeSupported();
    topo = Topology.create("kmd", Topology.Options.DEFAULTS.withMarkRules(false));
    topo.addNetwork("blue", 1, "bl", 101);
    for (int i = 1; i <= BACKENDS; i++) {
      String v4 = "10.1.0." + (10 + i);
      String v6 = "fd00:1::" + (10 + i);
      topo.startEchoServer(topo.addPod("blue", "b" + i, v4, v6), 8080);
      pods.put(IpAddress.parse(v4), "b" + i);
      pods.put(IpAddress.parse(v6), "b" + i);
    }
    Topology.Pod client = topo.addClient("blue", "c", "10.1.0.50", "fd00:1::50");
    clientV4.add(client.ipv4());
    clientV6.add("fd00:1::50");
    for (int i = 1; i < CLIENT_ADDRESSES; i++) {
      clientV4.add("10.1.0." + (50 + i));
      clientV6.add("fd00:1::" + (50 + i));
      topo.addAddress(client, clientV4.getLast());
      topo.addAddress(client, clientV6.getLast());
    }
    backend = new KernelBackend(topo.node());
  }

  @AfterEach
  void tearDown() throws Exception {
    if (backend != null) {
      backend.cleanup();
      backend.close();
    }
    if (topo != null) {
      topo.close();
    }
  }

  @Test
  void maglev_kernelPicksTheBackendTheTablePredicts_everyFlow() throws Exception {
    // VIP -> backend count: several counts per family.
    Map<String, Integer> services =
        Map.of(
            "10.96.0.21", 2,
            "10.96.0.22", 3,
            "10.96.0.23", 5,
            "fd00:96::21", 2,
            "fd00:96::23", 5);
    ServiceTable table = apply(null, services);
    int flows = 0;
    int port = 20_000;
    List<String> mismatches = new ArrayList<>();
    for (String vip : services.keySet()) {
      flows += check(table, vip, port, mismatches);
      port += PORTS_PER_ADDRESS;
    }

    // One backend of each five-backend service goes: the table and the kernel move together.
    Map<String, Integer> fewer = new HashMap<>(services);
    fewer.put("10.96.0.23", 4);
    fewer.put("fd00:96::23", 4);
    table = apply(table, fewer);
    for (String vip : List.of("10.96.0.23", "fd00:96::23")) {
      // New source ports: a finished connection's conntrack entry keeps its old translation.
      flows += check(table, vip, port, mismatches);
      port += PORTS_PER_ADDRESS;
    }

    assertThat(mismatches).as("of %d flows", flows).isEmpty();
    assertThat(flows).isGreaterThanOrEqualTo(1_000);
  }

  /** Programs the table of {@code services} (VIP -> the first N backends) into the kernel. */
  private ServiceTable apply(@Nullable ServiceTable previous, Map<String, Integer> services)
      throws Exception {
    var b = ServiceTable.builder(NODE).network(BLUE).previous(previous);
    for (var s : services.entrySet()) {
      boolean v6 = s.getKey().contains(":");
      List<Endpoint> eps = new ArrayList<>();
      for (int i = 1; i <= s.getValue(); i++) {
        eps.add(
            Endpoint.builder((v6 ? "fd00:1::" : "10.1.0.") + (10 + i), 8080)
                .node(NODE.name())
                .build());
      }
      ServicePort sp =
          ServicePort.of(
                  new ServicePortName("ns", "svc-" + s.getKey().replace(':', '-'), "http"),
                  ServicePortKey.of(NETWORK, s.getKey(), Protocol.TCP, 80),
                  eps)
              .withPolicy(ServicePortPolicy.DEFAULT.withLoadBalancing(LoadBalancing.MAGLEV));
      assertThat(b.add(sp)).as("%s", sp).isTrue();
    }
    ServiceTable table = b.build();
    backend.applyFull(
        DesiredStates.from(
            table,
            Map.of(NETWORK, network(NETWORK, "blue", "bl*", 101)),
            NodeFacts.newBuilder().setName(NODE.name()).build()));
    return table;
  }

  /**
   * Connects from every client address and {@code PORTS_PER_ADDRESS} source ports; counts flows.
   */
  private int check(ServiceTable table, String vip, int firstPort, List<String> mismatches)
      throws Exception {
    ServiceEntry entry = table.lookup(NETWORK, IpAddress.parse(vip), Protocol.TCP, 80);
    assertThat(entry).as(vip).isNotNull();
    assertThat(entry.maglevTableSize()).isPositive();
    int flows = 0;
    for (String src : vip.contains(":") ? clientV6 : clientV4) {
      IpAddress from = IpAddress.parse(src);
      for (int port = firstPort; port < firstPort + PORTS_PER_ADDRESS; port++) {
        Endpoint predicted = entry.select(FlowHash.of(from.high(), from.low(), port));
        assertThat(predicted).isNotNull();
        ProbeResult r = Probe.from(topo.pod("c")).sourceAddress(src).sourcePort(port).tcp(vip, 80);
        String expected = pods.get(predicted.address());
        if (!r.key().equals(expected)) {
          mismatches.add(
              src + ":" + port + " -> " + vip + ": " + r.key() + ", predicted " + expected);
        }
        flows++;
      }
    }
    return flows;
  }
}
