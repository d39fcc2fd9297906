package io.multinet.nodeproxy.view;

import static org.assertj.core.api.Assertions.assertThat;

import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSliceBuilder;
import io.multinet.kube.crd.NetworkResource;
import io.multinet.kube.network.NetworkCatalog;
import io.multinet.network.IpAddress;
import io.multinet.network.Protocol;
import io.multinet.service.NodeInfo;
import io.multinet.service.ServicePort;
import io.multinet.table.ServiceEntry;
import io.multinet.table.ServiceTable;
import io.multinet.table.TableDiff;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.Test;

/**
 * {@link NodeView.Assembly} against full assemblies. Default-network Services with cluster IPs from
 * 10.96.0.0/16, endpoints from 10.1.0.0/16, external IPs from 203.0.113.0/24 (TEST-NET-3); network
 * blue (id 56) uses 10.96.0.0/16 and pods 10.1.0.0/16 too.
 */
class NodeViewAssemblyTest {

  private static final NodeInfo NODE = new NodeInfo("node-a", null);
  private static final NetworkCatalog NONE = NetworkCatalog.build(List.of(), List.of(), List.of());

  @Test
  void assemble_randomSliceChanges_equalsAFullAssemblyWithoutRebuilding() {
    var rnd = new SplittableRandom(18);
    var assembly = new NodeView.Assembly();
    var all = new TreeMap<String, ServicePortMapper.Result>();
    for (int i = 0; i < 200; i++) {
      put(assembly, all, i, 0, null);
    }
    ServiceTable table = assembly.assemble(NODE, NONE).table();
    for (int step = 1; step <= 50; step++) {
      int changes = 1 + rnd.nextInt(5);
      for (int c = 0; c < changes; c++) {
        int i = rnd.nextInt(220); // some new Services too
        if (rnd.nextInt(8) == 0) {
          assembly.remove(key(i));
          all.remove(key(i));
        } else {
          put(assembly, all, i, step, null);
        }
      }
      NodeView.Result patched = assembly.assemble(NODE, NONE);
      NodeView.Result full = NodeView.assemble(NODE, NONE, all.values(), table);

      assertSameTable(patched.table(), full.table());
      assertThat(ServiceTable.diff(table, patched.table()))
          .isEqualTo(ServiceTable.diff(table, full.table()));
      table = patched.table();
    }
    assertThat(assembly.rebuilds()).isEqualTo(1); // the first assembly only
    assertThat(assembly.size()).isEqualTo(all.size());
  }

  @Test
  void assemble_oneChangedService_changesOnlyItsPort() {
    var assembly = new NodeView.Assembly();
    var all = new TreeMap<String, ServicePortMapper.Result>();
    for (int i = 0; i < 50; i++) {
      put(assembly, all, i, 0, null);
    }
    ServiceTable before = assembly.assemble(NODE, NONE).table();
    put(assembly, all, 7, 1, null);
    ServiceTable after = assembly.assemble(NODE, NONE).table();

    TableDiff d = ServiceTable.diff(before, after);
    assertThat(d.changed()).extracting(k -> k.address().toString()).containsExactly(vip(7));
    assertThat(d.size()).isEqualTo(1);
    ServiceEntry e = after.lookup(0, IpAddress.parse(vip(7)), Protocol.TCP, 80);
    assertThat(e).isNotNull();
    assertThat(e.backends()).extracting(b -> b.address().toString()).contains(endpoint(7, 1));
    assertThat(after.size()).isEqualTo(50);
  }

  @Test
  void assemble_changedServiceTakesTheExternalIpOfALaterName_winsAsInAFullAssembly() {
    var assembly = new NodeView.Assembly();
    var all = new TreeMap<String, ServicePortMapper.Result>();
    put(assembly, all, 1, 0, null);
    put(assembly, all, 2, 0, "203.0.113.9");
    ServiceTable before = assembly.assemble(NODE, NONE).table();
    put(assembly, all, 1, 0, "203.0.113.9"); // svc-00001 sorts first: it wins the address

    NodeView.Result patched = assembly.assemble(NODE, NONE);

    assertSameTable(patched.table(), NodeView.assemble(NODE, NONE, all.values(), before).table());
    ServiceEntry e = patched.table().lookup(0, IpAddress.parse("203.0.113.9"), Protocol.TCP, 80);
    assertThat(e).isNotNull();
    assertThat(e.servicePort().name().name()).isEqualTo("svc-00001");
    assertThat(patched.skipped()).anySatisfy(s -> assertThat(s).contains("svc-00002"));
    assertThat(assembly.rebuilds()).isEqualTo(2);
  }

  @Test
  void assemble_networksChanged_rebuildsWithTheNewNetwork() {
    var assembly = new NodeView.Assembly();
    var all = new TreeMap<String, ServicePortMapper.Result>();
    put(assembly, all, 1, 0, null);
    assembly.assemble(NODE, NONE);
    var blue = new NetworkResource();
    blue.getMetadata().setName("blue");
    var spec = new NetworkResource.Spec();
    spec.id = 56;
    spec.serviceCIDRs = List.of("10.96.0.0/16");
    spec.podCIDRs = List.of("10.1.0.0/16");
    blue.setSpec(spec);

    ServiceTable t =
        assembly.assemble(NODE, NetworkCatalog.build(List.of(blue), List.of(), List.of())).table();

    assertThat(t.networks()).containsKey(56);
    assertThat(assembly.rebuilds()).isEqualTo(2);
    assertThat(t.lookup(0, IpAddress.parse(vip(1)), Protocol.TCP, 80)).isNotNull();
  }

  @Test
  void assemble_removedServiceAndItsSkippedInputs_areGone() {
    var assembly = new NodeView.Assembly();
    var all = new TreeMap<String, ServicePortMapper.Result>();
    put(assembly, all, 1, 0, null);
    var bad =
        new ServiceBuilder(service(2, null))
            .editSpec()
            .withClusterIPs(vip(2), "not-an-address")
            .endSpec()
            .build();
    var r = NodeView.service(bad, null, NONE, List.of(SliceRecord.of(slice(2, 0))), null);
    assertThat(r).isNotNull();
    assembly.put(key(2), r);
    NodeView.Result first = assembly.assemble(NODE, NONE);
    assertThat(first.skipped()).anySatisfy(s -> assertThat(s).contains("not-an-address"));

    assembly.remove(key(2));
    NodeView.Result second = assembly.assemble(NODE, NONE);

    assertThat(second.skipped()).isEmpty();
    assertThat(second.table().lookup(0, IpAddress.parse(vip(2)), Protocol.TCP, 80)).isNull();
    assertThat(second.table().size()).isEqualTo(1);
    assertThat(assembly.rebuilds()).isEqualTo(1);
  }

  private static void put(
      NodeView.Assembly assembly,
      Map<String, ServicePortMapper.Result> all,
      int i,
      int version,
      @Nullable String externalIp) {
    var r =
        NodeView.service(
            service(i, externalIp), null, NONE, List.of(SliceRecord.of(slice(i, version))), null);
    assertThat(r).isNotNull();
    assembly.put(key(i), r);
    all.put(key(i), r);
  }

  private static String name(int i) {
    return String.format(Locale.ROOT, "svc-%05d", i);
  }

  private static String key(int i) {
    return "ns/" + name(i);
  }

  private static String vip(int i) {
    return "10.96." + (i >> 8) + "." + (i & 255);
  }

  private static String endpoint(int i, int version) {
    int n = i * 64 + version;
    return "10.1." + (n >> 8 & 255) + "." + (n & 255);
  }

  private static Service service(int i, @Nullable String externalIp) {
    var b =
        new ServiceBuilder()
            .withNewMetadata()
            .withName(name(i))
            .withNamespace("ns")
            .endMetadata()
            .withNewSpec()
            .withType("ClusterIP")
            .withClusterIP(vip(i))
            .withClusterIPs(vip(i))
            .addNewPort()
            .withName("http")
            .withProtocol("TCP")
            .withPort(80)
            .endPort();
    if (externalIp != null) {
      b.withExternalIPs(externalIp);
    }
    return b.endSpec().build();
  }

  private static EndpointSlice slice(int i, int version) {
    return new EndpointSliceBuilder()
        .withNewMetadata()
        .withName(name(i) + "-1")
        .withNamespace("ns")
        .addToLabels("kubernetes.io/service-name", name(i))
        .endMetadata()
        .withAddressType("IPv4")
        .addNewEndpoint()
        .withAddresses(endpoint(i, version))
        .withNodeName(i % 2 == 0 ? "node-a" : "node-b")
        .endEndpoint()
        .addNewEndpoint()
        .withAddresses(endpoint(i, 63))
        .endEndpoint()
        .addNewPort()
        .withName("http")
        .withProtocol("TCP")
        .withPort(8080)
        .endPort()
        .build();
  }

  private static void assertSameTable(ServiceTable actual, ServiceTable expected) {
    assertThat(actual.size()).isEqualTo(expected.size());
    assertThat(actual.indexedKeys()).isEqualTo(expected.indexedKeys());
    assertThat(actual.rejections()).containsExactlyInAnyOrderElementsOf(expected.rejections());
    assertThat(actual.servicePorts()).containsExactlyInAnyOrderElementsOf(expected.servicePorts());
    for (ServicePort sp : expected.servicePorts()) {
      var k = sp.key();
      ServiceEntry a = actual.lookup(k.networkId(), k.address(), k.protocol(), k.port());
      ServiceEntry e = expected.lookup(k.networkId(), k.address(), k.protocol(), k.port());
      assertThat(a).isNotNull();
      assertThat(e).isNotNull();
      assertThat(a.backends()).isEqualTo(e.backends());
      for (IpAddress x : sp.externalAddresses()) {
        ServiceEntry ax = actual.lookup(k.networkId(), x, k.protocol(), k.port());
        assertThat(ax).isNotNull();
        assertThat(ax.servicePort()).isEqualTo(sp);
      }
    }
  }
}
