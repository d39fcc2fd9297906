package io.multinet.table;

import static org.assertj.core.api.Assertions.assertThat;

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
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;

/**
 * Random networks, services and endpoints, checked against a plain map. Every network uses the same
 * ranges (service 10.96.0.0/24 and fd00:96::/120, pods 10.1.0.0/24 and fd00:1::/120) and VIPs come
 * from a small pool, so the same VIP, port and protocol exist in several networks at once; each
 * endpoint carries its network's name as its interface name, which is how a backend of another
 * network would show.
 */
class ServiceTablePropertyTest {

  private static final List<Protocol> PROTOCOLS =
      List.of(Protocol.TCP, Protocol.UDP, Protocol.SCTP);

  @Property(tries = 150)
  void lookup_neverReturnsABackendOfAnotherNetwork(
      @ForAll @IntRange(min = 1, max = 5) int networks,
      @ForAll @IntRange(min = 0, max = 300) int services,
      @ForAll long seed) {
    var rnd = new SplittableRandom(seed);
    var builder = ServiceTable.builder(new NodeInfo("node-a", "zone-a"));
    List<Network> nets = new ArrayList<>();
    for (int i = 1; i <= networks; i++) {
      Network n =
          Network.of(
              "net" + i,
              i * 7,
              List.of(Cidr.parse("10.96.0.0/24"), Cidr.parse("fd00:96::/120")),
              List.of(Cidr.parse("10.1.0.0/24"), Cidr.parse("fd00:1::/120")));
      nets.add(n);
      builder.network(n);
    }
    Map<ServicePortKey, ServicePort> model = new HashMap<>();
    for (int s = 0; s < services; s++) {
      Network net = nets.get(rnd.nextInt(nets.size()));
      boolean v6 = rnd.nextInt(4) == 0;
      String vip =
          v6 ? "fd00:96::" + Integer.toHexString(rnd.nextInt(16)) : "10.96.0." + rnd.nextInt(16);
      Protocol proto = PROTOCOLS.get(rnd.nextInt(3));
      var key = ServicePortKey.of(net.id(), vip, proto, 1 + rnd.nextInt(3));
      List<Endpoint> eps = new ArrayList<>();
      int count = rnd.nextInt(6);
      for (int e = 0; e < count; e++) {
        String pod = v6 ? "fd00:1::" + Integer.toHexString(1 + e) : "10.1.0." + (1 + e);
        eps.add(
            Endpoint.builder(pod, 8000 + e)
                .node(rnd.nextBoolean() ? "node-a" : "node-b")
                .conditions(rnd.nextInt(5) != 0, true, false)
                .interfaceName(net.name())
                .build());
      }
      var policy =
          ServicePortPolicy.DEFAULT.withLoadBalancing(
              rnd.nextBoolean() ? LoadBalancing.MAGLEV : LoadBalancing.RANDOM);
      var sp =
          new ServicePort(new ServicePortName("ns", "s" + s, ""), key, policy, 0, List.of(), eps);
      if (builder.add(sp)) {
        assertThat(model.putIfAbsent(key, sp)).isNull();
      } else {
        assertThat(model).containsKey(key); // only duplicates are rejected here
      }
    }
    ServiceTable table = builder.build();
    assertThat(table.size()).isEqualTo(model.size());

    for (int probe = 0; probe < 2_000; probe++) {
      Network net = nets.get(rnd.nextInt(nets.size()));
      boolean v6 = rnd.nextInt(4) == 0;
      IpAddress vip =
          IpAddress.parse(
              v6
                  ? "fd00:96::" + Integer.toHexString(rnd.nextInt(16))
                  : "10.96.0." + rnd.nextInt(16));
      Protocol proto = PROTOCOLS.get(rnd.nextInt(3));
      int port = 1 + rnd.nextInt(3);
      ServiceEntry found = table.lookup(net.id(), vip, proto, port);
      ServicePort expected = model.get(new ServicePortKey(net.id(), vip, proto, port));
      if (expected == null) {
        assertThat(found).isNull();
        continue;
      }
      assertThat(found).isNotNull();
      assertThat(found.key().networkId()).isEqualTo(net.id());
      assertThat(found.servicePort()).isEqualTo(expected);
      Endpoint chosen = found.select(rnd.nextInt());
      if (chosen != null) {
        assertThat(chosen.interfaceName()).isEqualTo(net.name());
        assertThat(expected.endpoints()).contains(chosen);
      }
    }
  }
}
