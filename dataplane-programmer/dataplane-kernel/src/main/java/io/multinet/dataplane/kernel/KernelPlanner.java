package io.multinet.dataplane.kernel;

import static io.multinet.dataplane.kernel.KernelPlan.proto;
import static java.util.Objects.requireNonNull;

import io.multinet.dataplane.kernel.KernelPlan.Balance;
import io.multinet.dataplane.kernel.KernelPlan.Drop;
import io.multinet.dataplane.kernel.KernelPlan.Goto;
import io.multinet.dataplane.kernel.KernelPlan.Instance;
import io.multinet.dataplane.kernel.KernelPlan.InstanceKey;
import io.multinet.dataplane.kernel.KernelPlan.Listener;
import io.multinet.dataplane.kernel.KernelPlan.Network;
import io.multinet.dataplane.kernel.KernelPlan.NoEndpoints;
import io.multinet.dataplane.kernel.KernelPlan.NodePort;
import io.multinet.dataplane.kernel.KernelPlan.OwnLookup;
import io.multinet.dataplane.kernel.KernelPlan.Pick;
import io.multinet.dataplane.kernel.KernelPlan.Port;
import io.multinet.dataplane.kernel.KernelPlan.SharedLookup;
import io.multinet.dataplane.kernel.KernelPlan.Verdict;
import io.multinet.dataplane.v1.Backend;
import io.multinet.dataplane.v1.DesiredState;
import io.multinet.dataplane.v1.LoadBalancing;
import io.multinet.dataplane.v1.LocalListener;
import io.multinet.dataplane.v1.NetworkSpec;
import io.multinet.dataplane.v1.NodeFacts;
import io.multinet.dataplane.v1.ServicePort;
import io.multinet.dataplane.v1.ServicePortKey;
import io.multinet.network.Cidr;
import io.multinet.network.IpAddress;
import io.multinet.service.Endpoint;
import io.multinet.table.Maglev;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.SortedSet;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.logging.Level;
import java.util.logging.Logger;
import org.jspecify.annotations.Nullable;

/**
 * Computes the {@link KernelPlan} of a desired state, and of one service port for deltas. The
 * layout is chosen so that an endpoint change is an element-only update of a map bound by few rules
 * (see docs/kernel-dataplane.md for the measurements behind it):
 *
 * <ul>
 *   <li>the ingress interface picks the network ({@link Network}), which sets the conntrack zone
 *       and the routing mark;
 *   <li>{@code svc4}/{@code svc6}: one verdict map keyed by (zone, VIP, protocol, port), used by
 *       one rule per hook: it jumps to a shared {@link Balance} chain per (algorithm, slot count);
 *   <li>a balance chain picks slot {@code numgen random mod N} or {@code jhash ... mod M} (a Maglev
 *       table of M slots) and DNATs through the endpoint maps, keyed by (zone, VIP, port, slot);
 *   <li>ClientIP affinity: lookup chains try the client's recorded backend first; a chain at
 *       dstnat+10 records the choice of a new connection with the service's timeout;
 *   <li>no backends: {@link NoEndpoints} (TCP reset / ICMP unreachable) when none exist anywhere,
 *       {@link Drop} when a Local policy has none on this node.
 * </ul>
 */
final class KernelPlanner {

  private static final Logger LOG = Logger.getLogger(KernelPlanner.class.getName());

  private KernelPlanner() {}

  /**
   * The plan of {@code state}. A service port the kernel cannot serve (mixed families, an unknown
   * protocol) is left out with a warning, so it does not block the others.
   *
   * @throws IllegalArgumentException for node facts the kernel cannot take (a bad {@code
   *     nodePortAddresses} entry)
   */
  static KernelPlan plan(DesiredState state) {
    requireNonNull(state, "state");
    List<Network> networks = new ArrayList<>();
    var interfaces = new TreeMap<String, Network>();
    var listeners = new TreeSet<Listener>();
    for (NetworkSpec n : state.getNetworksList()) {
      listeners.addAll(listeners(n));
      if (n.getId() == 0) {
        continue; // the default network: zone 0, no mark, main table
      }
      var net = new Network(n.getId());
      networks.add(net);
      for (String i : n.getKernel().getInterfacesList()) {
        interfaces.put(i, net);
      }
    }
    var ports = new TreeMap<String, Port>();
    for (ServicePort sp : state.getServicePortsList()) {
      try {
        ports.put(key(sp), port(sp));
      } catch (IllegalArgumentException e) {
        LOG.log(Level.WARNING, "skipping " + sp.getName() + ": " + e.getMessage());
      }
    }
    return new KernelPlan(networks, interfaces, node(state.getNode()), ports, listeners);
  }

  /**
   * A network's node-local listeners; one the kernel cannot guard (a bad address, protocol or port)
   * is left out with a warning, so it does not block the others.
   */
  static List<Listener> listeners(NetworkSpec n) {
    List<Listener> out = new ArrayList<>();
    for (LocalListener l : n.getLocalListenersList()) {
      try {
        out.add(listener(n.getId(), l));
      } catch (IllegalArgumentException e) {
        LOG.warning("skipping a local listener of network " + n.getName() + ": " + e.getMessage());
      }
    }
    return out;
  }

  private static Listener listener(int zone, LocalListener l) {
    if (l.getProtocol() != io.multinet.dataplane.v1.Protocol.TCP
        && l.getProtocol() != io.multinet.dataplane.v1.Protocol.UDP) {
      throw new IllegalArgumentException(
          "protocol: " + l.getProtocol() + " of " + l.getAddress() + " (expected: TCP or UDP)");
    }
    if (l.getPort() < 1 || l.getPort() > 65535) {
      throw new IllegalArgumentException(
          "port: " + l.getPort() + " of " + l.getAddress() + " (expected: 1-65535)");
    }
    return new Listener(zone, localAddress(l.getAddress()), l.getProtocol(), l.getPort());
  }

  /**
   * The node facts' local addresses the kernel keeps on {@code lo}; a bad entry is left out with a
   * warning.
   */
  static SortedSet<IpAddress> localAddresses(NodeFacts node) {
    var out = new TreeSet<IpAddress>();
    for (String a : node.getLocalAddressesList()) {
      try {
        out.add(localAddress(a));
      } catch (IllegalArgumentException e) {
        LOG.warning("skipping a local address: " + e.getMessage());
      }
    }
    return out;
  }

  private static IpAddress localAddress(String text) {
    try {
      return IpAddress.parse(text);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(
          "address: " + text + " (expected: an IPv4 or IPv6 address such as 169.254.53.53)", e);
    }
  }

  private static KernelPlan.Node node(NodeFacts node) {
    List<Cidr> cluster = new ArrayList<>();
    for (String c : node.getClusterCidrsList()) {
      cluster.add(Cidr.parse(c));
    }
    List<Cidr> nodePorts = new ArrayList<>();
    for (String a : node.getNodePortAddressesList()) {
      nodePorts.add(nodePortCidr(a));
    }
    return new KernelPlan.Node(node.getMasqueradeAll(), cluster, nodePorts);
  }

  /**
   * What the kernel serves for one service port.
   *
   * @throws IllegalArgumentException when it cannot serve it
   */
  static Port port(ServicePort sp) {
    return new Port(instances(sp), nodePort(sp));
  }

  /** The key a service port is known by, in the plan and in deltas. */
  static String key(ServicePort sp) {
    return key(sp.getNetworkId(), sp.getAddress(), sp.getProtocol(), sp.getPort());
  }

  static String key(ServicePortKey k) {
    return key(k.getNetworkId(), k.getAddress(), k.getProtocol(), k.getPort());
  }

  private static String key(
      int network, String address, io.multinet.dataplane.v1.Protocol protocol, int port) {
    return network + "/" + address + "/" + proto(protocol) + "/" + port;
  }

  /** The NodePort of a service port, or null when it has none. */
  static @Nullable NodePort nodePort(ServicePort sp) {
    if (sp.getNodePort() == 0 || sp.getNetworkId() != 0) {
      return null; // NodePorts belong to the default network only
    }
    boolean v4 = IpAddress.parse(sp.getAddress()).isV4();
    return new NodePort(
        v4,
        sp.getProtocol(),
        sp.getNodePort(),
        sorted(sp.getExternalBackendsList()),
        // kube-proxy's rule: NodePort traffic is masqueraded unless the policy keeps it local.
        !sp.getExternalTrafficLocal(),
        none(sp));
  }

  /** The instances a service port expands to: its VIP, then each external address. */
  static List<Instance> instances(ServicePort sp) {
    requireNonNull(sp, "sp");
    if (!KernelPlan.PROTOCOLS.contains(sp.getProtocol())) {
      throw new IllegalArgumentException(
          "protocol: "
              + sp.getProtocol()
              + " for "
              + sp.getName()
              + " (expected: TCP, UDP or SCTP)");
    }
    List<Instance> out = new ArrayList<>();
    out.add(instance(sp, IpAddress.parse(sp.getAddress()), sp.getBackendsList()));
    for (String ext : sp.getExternalAddressesList()) {
      out.add(instance(sp, IpAddress.parse(ext), sp.getExternalBackendsList()));
    }
    return out;
  }

  private static Instance instance(ServicePort sp, IpAddress address, List<Backend> backends) {
    var key = new InstanceKey(sp.getNetworkId(), address, sp.getProtocol(), sp.getPort());
    List<Backend> sorted = sorted(backends);
    for (Backend b : sorted) {
      if (IpAddress.parse(b.getAddress()).family() != address.family()) {
        throw new IllegalArgumentException(
            "backend: "
                + b.getAddress()
                + " of "
                + sp.getName()
                + " (expected: the family of "
                + address
                + ")");
      }
    }
    if (sorted.isEmpty()) {
      return new Instance(key, none(sp), null, List.of(), 0, List.of());
    }
    int affinity = sp.getAffinityTimeoutSeconds();
    if (affinity > 0 && !sharesAffinity(address, sorted)) {
      // Served, just without stickiness: better than not serving the port at all.
      LOG.warning(
          "sessionAffinity: ClientIP for "
              + sp.getName()
              + " on "
              + address
              + " ignored (expected: backends sharing one target port; IPv6 affinity maps keep"
              + " addresses only)");
      affinity = 0;
    }
    List<IpAddress> hairpin = new ArrayList<>();
    for (Backend b : sorted) {
      if (b.getLocal()) {
        hairpin.add(IpAddress.parse(b.getAddress()));
      }
    }
    List<Backend> slots;
    Balance balance;
    if (sp.getLoadBalancing() == LoadBalancing.MAGLEV) {
      List<Endpoint> eps = new ArrayList<>(sorted.size());
      for (Backend b : sorted) {
        eps.add(Endpoint.builder(b.getAddress(), b.getPort()).build());
      }
      int m = sp.getMaglevTableSize() == 0 ? Maglev.tableSize(eps.size()) : sp.getMaglevTableSize();
      char[] table = Maglev.build(eps, m);
      slots = new ArrayList<>(table.length);
      for (char c : table) {
        slots.add(sorted.get(c));
      }
      balance = new Balance(Pick.MAGLEV, m);
    } else {
      slots = sorted;
      balance = new Balance(Pick.RANDOM, sorted.size());
    }
    Verdict verdict;
    if (affinity == 0) {
      verdict = new Goto(balance);
    } else if (address.isV4()) {
      verdict = new Goto(new SharedLookup(balance));
    } else {
      verdict = new Goto(new OwnLookup(key));
    }
    return new Instance(key, verdict, balance, slots, affinity, hairpin);
  }

  /** Without backends: drop when some exist elsewhere (policy Local), else reject. */
  private static Verdict none(ServicePort sp) {
    return sp.getHasAnyEndpoints() ? Drop.DROP : new Goto(NoEndpoints.CHAIN);
  }

  private static List<Backend> sorted(List<Backend> backends) {
    List<Backend> sorted = new ArrayList<>(backends);
    sorted.sort(
        Comparator.comparing((Backend b) -> IpAddress.parse(b.getAddress()))
            .thenComparingInt(Backend::getPort));
    return sorted;
  }

  /**
   * One {@code nodePortAddresses} entry: a CIDR, or a single address (kube-proxy takes CIDRs; an
   * address is its /32 or /128).
   */
  static Cidr nodePortCidr(String text) {
    try {
      return Cidr.parse(text.contains("/") ? text : text + (text.contains(":") ? "/128" : "/32"));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(
          "nodePortAddresses: " + text + " (expected: a CIDR such as 192.0.2.0/24)", e);
    }
  }

  /** Whether ClientIP affinity can be kept for these backends: IPv6 needs one target port. */
  static boolean sharesAffinity(IpAddress address, List<Backend> backends) {
    return address.isV4() || backends.stream().map(Backend::getPort).distinct().count() <= 1;
  }
}
