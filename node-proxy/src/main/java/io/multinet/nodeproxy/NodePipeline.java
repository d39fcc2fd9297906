package io.multinet.nodeproxy;

import static java.util.Objects.requireNonNull;

import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.Service;
import io.multinet.dataplane.DesiredStates;
import io.multinet.dataplane.v1.Delta;
import io.multinet.dataplane.v1.DesiredState;
import io.multinet.dataplane.v1.KernelHints;
import io.multinet.dataplane.v1.LocalListener;
import io.multinet.dataplane.v1.NetworkSpec;
import io.multinet.dataplane.v1.NodeFacts;
import io.multinet.dataplane.v1.VppHints;
import io.multinet.kube.WellKnown;
import io.multinet.kube.network.NetworkCatalog;
import io.multinet.kube.network.NetworkDefinition;
import io.multinet.network.IpAddress;
import io.multinet.network.Network;
import io.multinet.network.Protocol;
import io.multinet.nodeproxy.dns.DnsOptions;
import io.multinet.nodeproxy.dns.DnsRecords;
import io.multinet.nodeproxy.dns.DnsSnapshot;
import io.multinet.nodeproxy.view.NodeView;
import io.multinet.nodeproxy.view.ServicePortMapper;
import io.multinet.service.Endpoint;
import io.multinet.service.NodeInfo;
import io.multinet.service.ServicePort;
import io.multinet.service.ServicePortKey;
import io.multinet.service.ServicePortName;
import io.multinet.service.ServicePortPolicy;
import io.multinet.table.ServiceTable;
import java.net.Inet4Address;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * The node pipeline: (caches, changed Services) → (the node's {@link ServiceTable}, its {@link
 * DesiredState}, the {@link Delta} from the previous run). The node proxy runs it at each sync over
 * its informers, {@code explain -o dataplane} once over lists: both compute the same thing. A run
 * told which Services changed remaps only those and reuses every other Service's ports, entries and
 * protos. Not thread-safe: one sync thread owns it.
 */
public final class NodePipeline {

  /**
   * One run: the table and state, the delta from the state of run {@code baseRevision} to this one
   * ({@code revision}); {@code baseRevision} is 0 when there is none to start from (the first run,
   * or the node's zone changed), and the delta is then empty. The whole state ({@code snapshot}) is
   * built only when read: a sync that sends only its delta does not need it.
   */
  public record Result(
      ServiceTable table,
      DesiredStates.State snapshot,
      Delta delta,
      long revision,
      long baseRevision,
      int remapped,
      List<String> skipped,
      @Nullable DnsSnapshot dns) {

    /** The whole desired state (built on the first read). */
    public DesiredState state() {
      return snapshot.get();
    }
  }

  /**
   * The DNS server's side of a run: serves {@code snapshot} and says where each network (by id)
   * listens, one socket address per family, UDP and TCP on the same port.
   */
  public interface DnsListeners {
    Map<Integer, List<InetSocketAddress>> serve(DnsSnapshot snapshot);
  }

  // Keys of the DNS service ports among the mapped Services: a space sorts before every
  // namespace/name, so on a clash of addresses the network's DNS keeps its address.
  private static final String DNS_KEY = " dns/";
  private static final int DNS_PORT = 53;

  /** The namespace part of the DNS service ports' names: they are node-local ports. */
  public static final String DNS_NAMESPACE = ServicePortName.NODE_LOCAL_NAMESPACE;

  private final String nodeName;
  private final NodeProxy.Options options;
  private final DesiredStates.Converter converter = new DesiredStates.Converter();
  // Each served Service's ports by namespace/name, sorted so that a clash of addresses between two
  // Services is decided the same way at every run.
  private final NodeView.Assembly mapped = new NodeView.Assembly();
  private boolean mappedAll;
  private long revision;

  private final @Nullable DnsRecords dnsRecords;
  private final @Nullable DnsListeners dnsListeners;
  private Map<Integer, List<InetSocketAddress>> dnsPorts = Map.of();

  /** A pipeline without DNS ({@code explain}). */
  public NodePipeline(String nodeName, NodeProxy.Options options) {
    this(nodeName, options, null);
  }

  /**
   * A pipeline that also builds the DNS names of {@code options.dns()} (when set) at every run,
   * hands them to {@code listeners} before the state is programmed (a name resolves no later than
   * its Service is programmed), and programs each network's DNS address to its listeners.
   */
  public NodePipeline(
      String nodeName, NodeProxy.Options options, @Nullable DnsListeners listeners) {
    this.nodeName = requireNonNull(nodeName, "nodeName");
    this.options = requireNonNull(options, "options");
    DnsOptions dns = options.dns();
    this.dnsRecords = dns == null || listeners == null ? null : new DnsRecords(dns);
    this.dnsListeners = listeners;
  }

  /**
   * Runs the pipeline over {@code caches}; {@code changed} names the Services ({@code
   * namespace/name}) whose Service or EndpointSlices changed since the previous run, or is null
   * when anything may have changed (a Network, Namespace or Node; a full sync): then every Service
   * is remapped. After a run that threw, the next one remaps everything.
   */
  public Result run(Caches caches, @Nullable Set<String> changed) {
    requireNonNull(caches, "caches");
    NetworkCatalog catalog =
        NetworkCatalog.build(caches.networks(), caches.calicoNetworks(), caches.attachments());
    Node self = caches.node();
    String zone =
        self == null || self.getMetadata().getLabels() == null
            ? null
            : self.getMetadata().getLabels().get(WellKnown.ZONE_LABEL);
    Set<String> dirty = mappedAll ? changed : null;
    mappedAll = false; // until this run has remapped what it must
    int remapped = 0;
    if (dirty == null) {
      // Not cleared first: a Service whose result is unchanged keeps its objects (see remap).
      Set<String> present = new HashSet<>();
      for (Service s : caches.services()) {
        String k = s.getMetadata().getNamespace() + "/" + s.getMetadata().getName();
        present.add(k);
        remap(caches, k, s, catalog);
        remapped++;
      }
      mapped.retainAll(present);
    } else {
      for (String key : dirty) {
        remap(caches, key, caches.service(key), catalog);
        remapped++;
      }
    }
    DnsSnapshot dns = null;
    if (dnsRecords != null && dnsListeners != null) {
      dns = dnsRecords.update(caches, dirty);
      Map<Integer, List<InetSocketAddress>> ports = dnsListeners.serve(dns);
      if (dirty == null || !ports.equals(dnsPorts)) {
        dnsPorts = ports;
        remapDns(catalog);
      }
    }
    mappedAll = true;
    var view = mapped.assemble(new NodeInfo(nodeName, zone), catalog);
    DesiredStates.Conversion conversion =
        converter.convert(view.table(), networkSpecs(catalog, dnsPorts), nodeFacts());
    long base = conversion.baseSnapshot() == null ? 0 : revision;
    revision++;
    return new Result(
        view.table(),
        conversion.snapshot(),
        conversion.delta(),
        revision,
        base,
        remapped,
        view.skipped(),
        dns);
  }

  private NodeFacts nodeFacts() {
    var facts =
        NodeFacts.newBuilder()
            .setName(nodeName)
            .addAllClusterCidrs(options.clusterCidrs())
            .setMasqueradeAll(options.masqueradeAll())
            .addAllNodePortAddresses(options.nodePortAddresses());
    DnsOptions dns = options.dns();
    if (dns != null && dnsListeners != null) {
      dns.listenAddresses().forEach(a -> facts.addLocalAddresses(a.getHostAddress()));
    }
    return facts.build();
  }

  /**
   * Each network's DNS addresses as a service port of its own, UDP and TCP on port 53, with the
   * network's listener of the same family as the one backend: the dataplane steers the network's
   * queries there as it steers a Service's connections, in the network's zone.
   */
  private void remapDns(NetworkCatalog catalog) {
    mapped.removeStartingWith(DNS_KEY);
    for (var e : dnsPorts.entrySet()) {
      int id = e.getKey();
      String name;
      List<IpAddress> addresses;
      Network network;
      if (id == Network.DEFAULT_ID) {
        name = Network.DEFAULT_NAME;
        addresses = options.defaultNetworkDns();
        network = Network.DEFAULT;
      } else {
        NetworkDefinition d =
            catalog.networks().stream()
                .filter(n -> n.network().id() == id)
                .findFirst()
                .orElse(null);
        if (d == null || d.dns() == null) {
          continue;
        }
        name = d.name();
        addresses = requireNonNull(d.dns()).clusterIPs();
        network = d.network();
      }
      List<ServicePort> ports = new ArrayList<>();
      for (IpAddress vip : addresses) {
        InetSocketAddress listener =
            e.getValue().stream()
                .filter(a -> (a.getAddress() instanceof Inet4Address) == vip.isV4())
                .findFirst()
                .orElse(null);
        if (listener == null) {
          continue; // no listen address of that family
        }
        Endpoint backend =
            Endpoint.builder(IpAddress.of(listener.getAddress().getAddress()), listener.getPort())
                .node(nodeName)
                .conditions(true, true, false)
                .build();
        for (Protocol p : List.of(Protocol.UDP, Protocol.TCP)) {
          ports.add(
              new ServicePort(
                  new ServicePortName(
                      DNS_NAMESPACE, "dns-" + name, p == Protocol.UDP ? "dns" : "dns-tcp"),
                  new ServicePortKey(network.id(), vip, p, DNS_PORT),
                  ServicePortPolicy.DEFAULT,
                  0,
                  List.of(),
                  List.of(backend)));
        }
      }
      if (!ports.isEmpty()) {
        mapped.put(DNS_KEY + name, new ServicePortMapper.Result(ports, List.of()));
      }
    }
  }

  private void remap(Caches caches, String key, @Nullable Service service, NetworkCatalog catalog) {
    if (service == null) {
      mapped.remove(key);
      return;
    }
    var result =
        NodeView.service(
            service,
            caches.namespace(service.getMetadata().getNamespace()),
            catalog,
            caches.slices(key),
            options.serviceProxyName());
    if (result == null) {
      mapped.remove(key);
    } else if (!result.equals(mapped.get(key))) {
      // Equal results keep the old objects, which the table reuses: no second copy is retained.
      mapped.put(key, result);
    }
  }

  private static void listeners(NetworkSpec.Builder spec, List<InetSocketAddress> sockets) {
    for (InetSocketAddress a : sockets) {
      for (var p :
          List.of(io.multinet.dataplane.v1.Protocol.UDP, io.multinet.dataplane.v1.Protocol.TCP)) {
        spec.addLocalListeners(
            LocalListener.newBuilder()
                .setAddress(a.getAddress().getHostAddress())
                .setProtocol(p)
                .setPort(a.getPort()));
      }
    }
  }

  /** What the last run mapped for a Service. */
  ServicePortMapper.@Nullable Result mapped(String service) {
    return mapped.get(service);
  }

  /** The dataplane's view of each network in the catalog. */
  public static Map<Integer, NetworkSpec> networkSpecs(NetworkCatalog catalog) {
    return networkSpecs(catalog, Map.of());
  }

  /**
   * The dataplane's view of each network in the catalog, with the node's DNS listeners of each
   * ({@code dnsPorts}: network id → listen socket addresses, UDP and TCP on each).
   */
  static Map<Integer, NetworkSpec> networkSpecs(
      NetworkCatalog catalog, Map<Integer, List<InetSocketAddress>> dnsPorts) {
    Map<Integer, NetworkSpec> out = new HashMap<>();
    for (NetworkDefinition d : catalog.networks()) {
      var spec =
          NetworkSpec.newBuilder()
              .setId(d.network().id())
              .setName(d.name())
              .setKernel(
                  KernelHints.newBuilder()
                      .addAllInterfaces(d.kernelInterfaces())
                      .setRoutingTable(Objects.requireNonNullElse(d.routingTable(), 0)));
      if (d.vrf() != null) {
        spec.setVpp(VppHints.newBuilder().setVrf(d.vrf()));
      }
      listeners(spec, dnsPorts.getOrDefault(d.network().id(), List.of()));
      out.put(d.network().id(), spec.build());
    }
    List<InetSocketAddress> defaultPorts = dnsPorts.get(Network.DEFAULT_ID);
    if (defaultPorts != null) {
      var spec = NetworkSpec.newBuilder().setId(Network.DEFAULT_ID).setName(Network.DEFAULT_NAME);
      listeners(spec, defaultPorts);
      out.put(Network.DEFAULT_ID, spec.build());
    }
    return out;
  }
}
