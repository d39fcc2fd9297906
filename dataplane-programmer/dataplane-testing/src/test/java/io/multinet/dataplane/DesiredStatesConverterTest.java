package io.multinet.dataplane;

import static org.assertj.core.api.Assertions.assertThat;

import io.multinet.dataplane.v1.Delta;
import io.multinet.dataplane.v1.DesiredState;
import io.multinet.dataplane.v1.LocalListener;
import io.multinet.dataplane.v1.NetworkSpec;
import io.multinet.dataplane.v1.NodeFacts;
import io.multinet.network.Cidr;
import io.multinet.network.IpAddress;
import io.multinet.network.Network;
import io.multinet.network.Protocol;
import io.multinet.service.Endpoint;
import io.multinet.service.NodeInfo;
import io.multinet.service.ServicePort;
import io.multinet.service.ServicePortKey;
import io.multinet.service.ServicePortName;
import io.multinet.table.ServiceTable;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The node proxy's converter: each conversion must equal a conversion from scratch, and its delta
 * must take the previous state to the new one. Ranges: the default network 172.30.0.0/16 for VIPs,
 * network blue (56) 10.96.0.0/16, red (57) 10.97.0.0/16; endpoints 10.0.0.0/16.
 */
class DesiredStatesConverterTest {

  private static final Network BLUE =
      Network.of("blue", 56, List.of(Cidr.parse("10.96.0.0/16")), List.of());
  private static final Network RED =
      Network.of("red", 57, List.of(Cidr.parse("10.97.0.0/16")), List.of());

  @Test
  void convert_afterRandomTables_equalsAFreshConversion_andItsDeltaLeadsThere() {
    var random = new Random(11);
    var converter = new DesiredStates.Converter();
    Map<ServicePortKey, ServicePort> ports = new HashMap<>();
    boolean red = true;
    NodeInfo node = new NodeInfo("node-a", null);
    NodeFacts facts = NodeFacts.newBuilder().setName("node-a").build();
    ServiceTable table = null;
    DesiredState previous = null;
    int dnsPort = 0; // blue's node-local DNS listener, 0 for none
    int deltas = 0;
    for (int step = 0; step < 300; step++) {
      switch (random.nextInt(20)) {
        case 0 -> red = !red; // a network goes or comes back, with its ports
        case 1 -> facts = facts.toBuilder().setMasqueradeAll(!facts.getMasqueradeAll()).build();
        case 2 -> node = new NodeInfo("node-a", node.zone() == null ? "zone-a" : null);
        case 3 -> dnsPort = dnsPort == 0 ? 40_000 + random.nextInt(1000) : 0; // opens or closes
        case 4 ->
            facts =
                facts.getLocalAddressesCount() == 0
                    ? facts.toBuilder().addLocalAddresses("169.254.53.53").build()
                    : facts.toBuilder().clearLocalAddresses().build();
        default -> {
          for (int n = random.nextInt(3); n >= 0; n--) {
            ServicePort p = randomPort(random);
            if (random.nextInt(4) == 0) {
              ports.remove(p.key());
            } else {
              ports.put(p.key(), p);
            }
          }
        }
      }
      // Mostly built on the previous table (entries reused), sometimes from scratch (equal, not
      // identical, entries), as after a full sync.
      var b = ServiceTable.builder(node).previous(random.nextInt(5) == 0 ? null : table);
      b.network(BLUE);
      if (red) {
        b.network(RED);
      }
      for (ServicePort p : ports.values()) {
        b.add(p); // red's ports are rejected while red is gone
      }
      table = b.build();
      Map<Integer, NetworkSpec> hints = dnsPort == 0 ? Map.of() : Map.of(56, blueDns(dnsPort));

      DesiredStates.Conversion c = converter.convert(table, hints, facts);

      assertThat(c.state()).as("step %d", step).isEqualTo(DesiredStates.from(table, hints, facts));
      if (c.base() != null) {
        assertThat(c.base()).isSameAs(previous);
        StateModel from = StateModel.of(c.base());
        StateModel to = StateModel.of(c.state());
        assertThat(from.apply(c.delta()).toState()).as("step %d", step).isEqualTo(to.toState());
        assertThat(c.delta().equals(Delta.getDefaultInstance()))
            .isEqualTo(StateModel.diff(from, to).equals(Delta.getDefaultInstance()));
        deltas++;
      }
      previous = c.state();
    }
    assertThat(deltas).isGreaterThan(250); // the node changes now and then: no delta then
  }

  @Test
  void convert_afterPatchedTables_equalsAFreshConversion_evenWhenReadLater() {
    var random = new Random(12);
    var converter = new DesiredStates.Converter();
    NodeInfo node = new NodeInfo("node-a", null);
    NodeFacts facts = NodeFacts.newBuilder().setName("node-a").build();
    Map<ServicePortKey, ServicePort> ports = new HashMap<>();
    ServiceTable table = ServiceTable.builder(node).network(BLUE).network(RED).build();
    var unread = new java.util.ArrayList<Map.Entry<DesiredStates.State, DesiredState>>();
    int patched = 0;
    for (int step = 0; step < 300; step++) {
      var b = ServiceTable.patch(table);
      for (int n = random.nextInt(3); n >= 0; n--) {
        ServicePort p = randomPort(random);
        ServicePort old = ports.get(p.key());
        if (old != null) {
          b.remove(old);
        }
        if (random.nextInt(4) == 0) {
          ports.remove(p.key());
        } else {
          ports.put(p.key(), p);
          b.add(p);
        }
      }
      ServiceTable next = b.build();
      assertThat(next.touchedSince(table)).isNotNull();
      table = next;
      patched++;

      DesiredStates.Conversion c = converter.convert(table, Map.of(), facts);

      DesiredState fresh = DesiredStates.from(table, Map.of(), facts);
      assertThat(c.delta().getUpsertServicePortsCount() + c.delta().getRemoveServicePortsCount())
          .as("step %d", step)
          .isLessThanOrEqualTo(3); // at most the ports this step touched
      switch (random.nextInt(3)) {
        case 0 -> assertThat(c.state()).as("step %d", step).isEqualTo(fresh); // before the next
        case 1 -> unread.add(Map.entry(c.snapshot(), fresh)); // read after later conversions
        default -> {} // never read: only the delta goes out
      }
    }
    for (var e : unread) {
      assertThat(e.getKey().get()).isEqualTo(e.getValue());
      assertThat(e.getKey().get()).isSameAs(e.getKey().get());
    }
    assertThat(unread).hasSizeGreaterThan(50);
    assertThat(patched).isEqualTo(300);
  }

  @Test
  void convert_afterPatchedTables_deltaLeadsFromEachStateToTheNext() {
    var random = new Random(13);
    var converter = new DesiredStates.Converter();
    NodeFacts facts = NodeFacts.newBuilder().setName("node-a").build();
    Map<ServicePortKey, ServicePort> ports = new HashMap<>();
    ServiceTable table =
        ServiceTable.builder(new NodeInfo("node-a", "zone-a")).network(BLUE).network(RED).build();
    StateModel model = StateModel.of(converter.convert(table, Map.of(), facts).state());
    for (int step = 0; step < 300; step++) {
      var b = ServiceTable.patch(table);
      ServicePort p = randomPort(random);
      ServicePort old = ports.get(p.key());
      if (old != null) {
        b.remove(old);
      }
      if (random.nextInt(4) == 0) {
        ports.remove(p.key());
      } else {
        ports.put(p.key(), p);
        b.add(p);
      }
      table = b.build();

      Delta d = converter.convert(table, Map.of(), facts).delta();

      // Applied to the state the agent holds, without reading any conversion's whole state.
      model = model.apply(d);
      assertThat(model.toState())
          .as("step %d", step)
          .isEqualTo(StateModel.of(DesiredStates.from(table, Map.of(), facts)).toState());
    }
  }

  @Test
  void convert_listenerOrLocalAddressChange_isANetworkUpsertOrNewNodeFacts() {
    var converter = new DesiredStates.Converter();
    ServiceTable table = ServiceTable.builder(new NodeInfo("node-a", null)).network(BLUE).build();
    NodeFacts facts = NodeFacts.newBuilder().setName("node-a").build();
    converter.convert(table, Map.of(56, blueDns(40_001)), facts);

    Delta listener = converter.convert(table, Map.of(56, blueDns(40_002)), facts).delta();
    NodeFacts withAddress = facts.toBuilder().addLocalAddresses("169.254.53.53").build();
    Delta address = converter.convert(table, Map.of(56, blueDns(40_002)), withAddress).delta();

    assertThat(listener.getUpsertNetworksList()).containsExactly(blueDns(40_002));
    assertThat(listener.hasNode()).isFalse();
    assertThat(address.getUpsertNetworksList()).isEmpty();
    assertThat(address.getNode().getLocalAddressesList()).containsExactly("169.254.53.53");
  }

  /** Blue's hints with a node-local UDP listener on 169.254.53.53:{@code port}. */
  private static NetworkSpec blueDns(int port) {
    return NetworkSpec.newBuilder()
        .setId(56)
        .setName("blue")
        .addLocalListeners(
            LocalListener.newBuilder()
                .setAddress("169.254.53.53")
                .setProtocol(io.multinet.dataplane.v1.Protocol.UDP)
                .setPort(port))
        .build();
  }

  private static ServicePort randomPort(Random random) {
    int network = new int[] {0, 56, 57}[random.nextInt(3)];
    String prefix = network == 0 ? "172.30.0." : network == 56 ? "10.96.0." : "10.97.0.";
    var key =
        new ServicePortKey(
            network,
            IpAddress.parse(prefix + random.nextInt(8)),
            random.nextBoolean() ? Protocol.TCP : Protocol.UDP,
            80);
    Map<Integer, Endpoint> endpoints = new java.util.TreeMap<>();
    for (int i = random.nextInt(4); i > 0; i--) {
      int host = random.nextInt(6);
      endpoints.put(
          host,
          Endpoint.builder(IpAddress.parse("10.0.0." + host), 8080)
              .node(random.nextBoolean() ? "node-a" : "node-b")
              .zone("zone-a")
              .build());
    }
    return ServicePort.of(
        new ServicePortName("ns", "svc-" + key.address() + "-" + key.protocol(), ""),
        key,
        List.copyOf(endpoints.values()));
  }
}
