package io.multinet.nodeproxy;

import static org.assertj.core.api.Assertions.assertThat;

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
import io.multinet.table.ServiceTableHolder;
import io.multinet.table.TableDiff;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * The per-network gauges follow each sync's diff: after any series of patched and rebuilt tables
 * they equal a count over the table. VIPs 172.30.0.0/16 (default) and 10.96.0.0/16 (blue, 56).
 */
class ProxyMetricsTest {

  private static final Network BLUE =
      Network.of("blue", 56, List.of(Cidr.parse("10.96.0.0/16")), List.of());
  private static final NodeInfo NODE = new NodeInfo("node-a", null);

  @Test
  void synced_afterPatchedAndRebuiltTables_countsAsOverTheWholeTable() {
    var random = new Random(21);
    var metrics = new ProxyMetrics(Clock.systemUTC());
    var holder = new ServiceTableHolder(ServiceTable.empty(NODE));
    Map<ServicePortKey, ServicePort> ports = new HashMap<>();
    ServiceTable table = ServiceTable.builder(NODE).network(BLUE).build();
    for (int step = 0; step < 200; step++) {
      boolean rebuild = random.nextInt(10) == 0;
      var b = rebuild ? ServiceTable.builder(NODE).network(BLUE) : ServiceTable.patch(table);
      for (int n = random.nextInt(3); n >= 0; n--) {
        ServicePort p = randomPort(random);
        ServicePort old = ports.get(p.key());
        if (old != null && !rebuild) {
          b.remove(old);
        }
        if (random.nextInt(3) == 0) {
          ports.remove(p.key());
        } else {
          ports.put(p.key(), p);
          if (!rebuild) {
            b.add(p);
          }
        }
      }
      if (rebuild) {
        ports.values().forEach(b::add);
      }
      table = b.build();
      if (random.nextInt(8) == 0) {
        continue; // a sync that failed: nothing published, nothing counted
      }
      ServiceTable before = holder.current();
      TableDiff diff = holder.publish(table);

      metrics.synced(Duration.ofMillis(1), null, before, table, diff, false);

      var fresh = new ProxyMetrics(Clock.systemUTC());
      fresh.synced(Duration.ofMillis(1), null, ServiceTable.empty(NODE), table, diff, false);
      assertThat(gauges(metrics.render())).as("step %d", step).isEqualTo(gauges(fresh.render()));
    }
    assertThat(gauges(metrics.render())).anyMatch(l -> l.contains("network=\"blue\""));
  }

  @Test
  void synced_nodeLocalDnsPorts_areNotCountedAsServicePorts() {
    var metrics = new ProxyMetrics(Clock.systemUTC());
    ServicePort web =
        new ServicePort(
            new ServicePortName("ns", "web", "http"),
            new ServicePortKey(56, IpAddress.parse("10.96.0.10"), Protocol.TCP, 80),
            io.multinet.service.ServicePortPolicy.DEFAULT,
            0,
            List.of(),
            List.of(Endpoint.builder("10.1.0.1", 8080).build()));
    ServicePort dns =
        new ServicePort(
            new ServicePortName(ServicePortName.NODE_LOCAL_NAMESPACE, "dns-blue", "dns"),
            new ServicePortKey(56, IpAddress.parse("10.96.0.53"), Protocol.UDP, 53),
            io.multinet.service.ServicePortPolicy.DEFAULT,
            0,
            List.of(),
            List.of(Endpoint.builder("169.254.53.53", 35353).build()));
    var b = ServiceTable.builder(NODE).network(BLUE);
    b.add(web);
    b.add(dns);
    ServiceTable table = b.build();
    var holder = new ServiceTableHolder(ServiceTable.empty(NODE));
    ServiceTable before = holder.current();
    TableDiff diff = holder.publish(table);

    metrics.synced(Duration.ofMillis(1), null, before, table, diff, true);

    assertThat(gauges(metrics.render()))
        .contains(
            "multinet_network_service_ports{network=\"blue\"} 1",
            "multinet_network_backends{network=\"blue\"} 1");
  }

  private static List<String> gauges(String text) {
    var out = new ArrayList<String>();
    for (String line : text.split("\n")) {
      if (line.startsWith("multinet_network_")) {
        out.add(line);
      }
    }
    return out;
  }

  private static ServicePort randomPort(Random random) {
    boolean blue = random.nextBoolean();
    var key =
        new ServicePortKey(
            blue ? 56 : 0,
            IpAddress.parse((blue ? "10.96.0." : "172.30.0.") + random.nextInt(12)),
            random.nextBoolean() ? Protocol.TCP : Protocol.UDP,
            80);
    var endpoints = new ArrayList<Endpoint>();
    for (int i = random.nextInt(4); i > 0; i--) {
      endpoints.add(Endpoint.builder(IpAddress.parse("10.0.0." + i), 8080).node("node-a").build());
    }
    return ServicePort.of(
        new ServicePortName("ns", "svc-" + key.address() + "-" + key.protocol(), ""),
        key,
        endpoints);
  }
}
