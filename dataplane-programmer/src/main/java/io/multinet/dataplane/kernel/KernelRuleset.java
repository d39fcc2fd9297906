package io.multinet.dataplane.kernel;

import static java.util.Objects.requireNonNull;

import io.multinet.dataplane.v1.Backend;
import io.multinet.dataplane.v1.DesiredState;
import io.multinet.dataplane.v1.LoadBalancing;
import io.multinet.dataplane.v1.NetworkSpec;
import io.multinet.dataplane.v1.Protocol;
import io.multinet.dataplane.v1.ServicePort;
import io.multinet.network.Cidr;
import io.multinet.network.IpAddress;
import io.multinet.service.Endpoint;
import io.multinet.table.FlowHash;
import io.multinet.table.Maglev;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.logging.Logger;

/**
 * Renders desired state as nftables text for one table, {@code inet multinet}. The layout is chosen
 * so that an endpoint change is an element-only update of a map bound by few rules (see
 * docs/kernel-dataplane.md for the measurements behind it):
 *
 * <ul>
 *   <li>{@code raw_pre} (priority raw): the ingress interface picks the network, which sets the
 *       conntrack zone (= network id) and the routing mark (id &lt;&lt; 16 under 0xffff0000), so
 *       overlapping addresses of two networks never share conntrack entries or routes.
 *   <li>{@code svc4}/{@code svc6}: one verdict map keyed by (zone, VIP, protocol, port), used by
 *       one rule per hook: it jumps to a shared chain per (algorithm, backend count).
 *   <li>{@code lb_rand_N} / {@code lb_hash_M}: pick slot {@code numgen random mod N} or {@code
 *       jhash ... mod M} (a Maglev table of M slots) and DNAT through {@code ep4_tcp}, {@code
 *       ep4_udp}, {@code ep6_tcp}, {@code ep6_udp}: endpoint maps keyed by (zone, VIP, port, slot).
 *   <li>ClientIP affinity: {@code aff_*} chains look the client up in a dynamic map first; a chain
 *       at dstnat+10 records the choice of a new connection with the service's timeout.
 *   <li>No backends: {@code goto no_endpoints} (TCP reset / ICMP unreachable) when none exist
 *       anywhere, {@code drop} when a Local policy has none on this node.
 *   <li>{@code nat_post}: masquerade hairpin connections (client = chosen backend), traffic from
 *       outside the default network's cluster CIDRs, and all of it with masqueradeAll.
 * </ul>
 *
 * Keys stay at four fields and map types name {@code tcp dport}/{@code udp dport}: nft 1.0.6
 * mis-lists longer keys and rejects {@code th dport} data maps in later transactions.
 */
final class KernelRuleset {

  private static final Logger LOG = Logger.getLogger(KernelRuleset.class.getName());

  static final String TABLE_NAME = "multinet";
  static final String TABLE = "inet " + TABLE_NAME;
  static final long MARK_MASK = 0xffff_0000L;
  static final int SEED = FlowHash.SEED;

  /** kube-proxy's masquerade bit (14): set on NodePort traffic, masqueraded in postrouting. */
  static final long MASQUERADE_MARK = 0x4000;

  private static final int MIN_MAP_SIZE = 1 << 16;

  /** nft's names of the protocols served; each has its own endpoint (and affinity) maps. */
  static final List<String> PROTOCOLS = List.of("tcp", "udp", "sctp");

  /**
   * Families served by the shared affinity maps. IPv6 cannot be: nft 1.0.6 asserts (and aborts the
   * process) on any dynamic-map update whose key or data is a concatenation longer than 16 bytes,
   * and an IPv6 address alone fills that. IPv6 affinity therefore uses a map per service keyed by
   * the client address alone ({@link Instance#ownAffinity()}).
   */
  static final List<String> AFFINITY_FAMILIES = List.of("4");

  /** Size of a per-service IPv6 affinity map: one element per client address. */
  private static final int AFF6_MAP_SIZE = 1 << 16;

  private static final int MIN_EP_MAP_SIZE = 1 << 16;

  /** Clients remembered per shared affinity map (family, protocol); dynamic maps need a bound. */
  private static final int AFF_MAP_SIZE = 1 << 20;

  private KernelRuleset() {}

  /** One address of a service port as the kernel serves it: the VIP, or an external address. */
  record Instance(
      int zone,
      IpAddress address,
      Protocol protocol,
      int port,
      String verdict,
      String lb,
      List<Backend> slots,
      int affinityTimeout,
      List<IpAddress> hairpin) {

    /**
     * IPv6 with ClientIP affinity: the instance owns a dynamic map (client address → backend
     * address), a lookup chain that tries it before {@link #lb()}, and a recorder chain. Backends
     * then share one target port ({@link #targetPort()}), since the map has no room for it.
     */
    boolean ownAffinity() {
      return affinityTimeout > 0 && !address.isV4();
    }

    /** A name part unique per instance: zone, address (':' as '-'), protocol and port. */
    String id() {
      return zone + "_" + address.toString().replace(':', '-') + "_" + proto(protocol) + "_" + port;
    }

    String affMap() {
      return "aff6m_" + id();
    }

    String affChain() {
      return "aff6_" + id();
    }

    /** The recorder's name carries the timeout, so {@code observe} can read it back. */
    String recChain() {
      return "aff6r" + affinityTimeout + "_" + id();
    }

    int targetPort() {
      return slots.getFirst().getPort();
    }

    /**
     * Slot {@code s}'s data as nft text ({@code address . port}). Rendered when written: slots hold
     * the state's own Backend messages, not 100k strings of their own.
     */
    String slot(int s) {
      return endpoint(slots.get(s));
    }

    String svcMap() {
      return address.isV4() ? "svc4" : "svc6";
    }

    String epMap() {
      return (address.isV4() ? "ep4_" : "ep6_") + proto(protocol);
    }

    String svcKey() {
      return zone + " . " + address + " . " + proto(protocol) + " . " + port;
    }

    String slotKey(int slot) {
      return zone + " . " + address + " . " + port + " . " + slot;
    }
  }

  /**
   * A NodePort as the kernel serves it: its own small chain (NodePorts are few, so per-port chains
   * with an anonymous map cost nothing at scale) reached from {@code nodeports4}/{@code nodeports6}
   * for local destination addresses in the default network.
   */
  record NodePort(String family, Protocol protocol, int port, String body) {

    String chain() {
      return "np" + family + "_" + proto(protocol) + "_" + port;
    }

    String map() {
      return "nodeports" + family;
    }

    String element() {
      return proto(protocol) + " . " + port + " : goto " + chain();
    }
  }

  /** The NodePort of a service port, or null when it has none. */
  static @org.jspecify.annotations.Nullable NodePort nodePort(ServicePort sp) {
    if (sp.getNodePort() == 0 || sp.getNetworkId() != 0) {
      return null; // NodePorts belong to the default network only
    }
    boolean v4 = IpAddress.parse(sp.getAddress()).isV4();
    String f = v4 ? "4" : "6";
    String ip = v4 ? "ip" : "ip6";
    String p = proto(sp.getProtocol());
    var body = new StringBuilder();
    List<Backend> backends = new ArrayList<>(sp.getExternalBackendsList());
    backends.sort(
        Comparator.comparing((Backend b) -> IpAddress.parse(b.getAddress()))
            .thenComparingInt(Backend::getPort));
    if (backends.isEmpty()) {
      body.append("    ")
          .append(sp.getHasAnyEndpoints() ? "drop" : "goto no_endpoints")
          .append('\n');
    } else {
      if (!sp.getExternalTrafficLocal()) {
        // kube-proxy's rule: NodePort traffic is masqueraded unless the policy keeps it local.
        body.append("    meta mark set meta mark | 0x")
            .append(Long.toHexString(MASQUERADE_MARK))
            .append('\n');
      }
      var map = new ArrayList<String>();
      for (int i = 0; i < backends.size(); i++) {
        map.add(i + " : " + backends.get(i).getAddress() + " . " + backends.get(i).getPort());
      }
      body.append("    meta l4proto ")
          .append(p)
          .append(" dnat ")
          .append(ip)
          .append(" to numgen random mod ")
          .append(backends.size())
          .append(" map { ")
          .append(String.join(", ", map))
          .append(" }\n");
    }
    return new NodePort(f, sp.getProtocol(), sp.getNodePort(), body.toString());
  }

  /** Every NodePort of {@code ports}, sorted by chain name. */
  static List<NodePort> nodePorts(Iterable<ServicePort> ports) {
    List<NodePort> out = new ArrayList<>();
    for (ServicePort sp : ports) {
      NodePort np = nodePort(sp);
      if (np != null) {
        out.add(np);
      }
    }
    out.sort(Comparator.comparing(NodePort::chain));
    return out;
  }

  /** Defines a NodePort's chain, as a batch line. */
  static String define(NodePort np) {
    return "table " + TABLE + " {\n  chain " + np.chain() + " {\n" + np.body() + "  }\n}\n";
  }

  /** The instances a service port expands to, with their verdicts and endpoint elements. */
  static List<Instance> instances(ServicePort sp) {
    requireNonNull(sp, "sp");
    if (!PROTOCOLS.contains(proto(sp.getProtocol()))) {
      throw new IllegalArgumentException(
          "protocol: "
              + sp.getProtocol()
              + " for "
              + sp.getName()
              + " (expected: TCP, UDP or SCTP)");
    }
    List<Instance> out = new ArrayList<>();
    IpAddress vip = IpAddress.parse(sp.getAddress());
    out.add(instance(sp, sp.getNetworkId(), vip, sp.getBackendsList()));
    for (String ext : sp.getExternalAddressesList()) {
      out.add(instance(sp, sp.getNetworkId(), IpAddress.parse(ext), sp.getExternalBackendsList()));
    }
    return out;
  }

  private static Instance instance(
      ServicePort sp, int zone, IpAddress address, List<Backend> backends) {
    List<Backend> sorted = new ArrayList<>(backends);
    sorted.sort(
        Comparator.comparing((Backend b) -> IpAddress.parse(b.getAddress()))
            .thenComparingInt(Backend::getPort));
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
    if (sorted.isEmpty()) {
      return new Instance(
          zone,
          address,
          sp.getProtocol(),
          sp.getPort(),
          sp.getHasAnyEndpoints() ? "drop" : "goto no_endpoints",
          "",
          List.of(),
          0,
          List.of());
    }
    List<Backend> slots;
    String lb;
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
      lb = "lb_hash_" + m;
    } else {
      slots = sorted;
      lb = "lb_rand_" + sorted.size();
    }
    var i =
        new Instance(
            zone, address, sp.getProtocol(), sp.getPort(), "", lb, slots, affinity, hairpin);
    String chain = affinity == 0 ? lb : i.ownAffinity() ? i.affChain() : "aff_" + lb.substring(3);
    return new Instance(
        zone,
        address,
        sp.getProtocol(),
        sp.getPort(),
        "goto " + chain,
        lb,
        slots,
        affinity,
        hairpin);
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

  private static String endpoint(Backend b) {
    return b.getAddress() + " . " + b.getPort();
  }

  /** The whole table, replacing whatever is there, as one batch. */
  static String full(
      DesiredState state, Map<String, List<Instance>> instancesByPort, List<NodePort> nodePorts) {
    return full(state, instancesByPort, nodePorts, true);
  }

  /**
   * The whole table as one batch; without {@code bulk}, the {@code svc} and endpoint-map elements
   * are left out (see {@link #add(Instance, boolean)}).
   */
  static String full(
      DesiredState state,
      Map<String, List<Instance>> instancesByPort,
      List<NodePort> nodePorts,
      boolean bulk) {
    return render(state, instancesByPort, nodePorts, bulk, true);
  }

  /**
   * The table without its {@link #BULK_MAPS} elements, declared over whatever is there: existing
   * maps and chains are declared again, which adds what is missing and keeps what is there, so the
   * caller flushes first what must not keep its old contents.
   */
  static String overlay(
      DesiredState state, Map<String, List<Instance>> instancesByPort, List<NodePort> nodePorts) {
    return render(state, instancesByPort, nodePorts, false, false);
  }

  /** The maps {@link #bulkElements} fills: a netlink batch, not nft text, writes them. */
  static final List<String> BULK_MAPS =
      List.of("svc4", "svc6", "ep4_tcp", "ep4_udp", "ep4_sctp", "ep6_tcp", "ep6_udp", "ep6_sctp");

  private static String render(
      DesiredState state,
      Map<String, List<Instance>> instancesByPort,
      List<NodePort> nodePorts,
      boolean bulk,
      boolean replace) {
    List<Instance> all = new ArrayList<>();
    instancesByPort.values().forEach(all::addAll);
    var sb = new StringBuilder(64 * 1024);
    if (replace) {
      // Create-then-delete makes the batch valid whether or not the table exists; the new table
      // is committed in the same transaction, so traffic never sees an empty ruleset.
      sb.append("table ").append(TABLE).append(" {}\n");
      sb.append("delete table ").append(TABLE).append('\n');
    }
    sb.append("table ").append(TABLE).append(" {\n");
    networks(sb, state.getNetworksList());
    int services = serviceMapSize(all.size());
    int epSize = endpointMapSize(slotCount(all));
    // One hairpin element per local endpoint address, which may outnumber services.
    var hairpins = new TreeSet<String>();
    for (Instance i : all) {
      hairpins.addAll(hairpinElements(i));
    }
    int hairpinSize = serviceMapSize(hairpins.size());
    sb.append("  map svc4 { typeof ct zone . ip daddr . meta l4proto . th dport : verdict; size ")
        .append(services)
        .append("; }\n");
    sb.append("  map svc6 { typeof ct zone . ip6 daddr . meta l4proto . th dport : verdict; size ")
        .append(services)
        .append("; }\n");
    sb.append(
            "  map affsvc4 { typeof ct zone . ip daddr . meta l4proto . th dport : verdict; size ")
        .append(services)
        .append("; }\n");
    sb.append(
            "  map affsvc6 { typeof ct zone . ip6 daddr . meta l4proto . th dport : verdict; size ")
        .append(services)
        .append("; }\n");
    for (String f : List.of("4", "6")) {
      String ip = f.equals("4") ? "ip" : "ip6";
      for (String p : PROTOCOLS) {
        sb.append("  map ep")
            .append(f)
            .append('_')
            .append(p)
            .append(" { typeof ct zone . ")
            .append(ip)
            .append(" daddr . ")
            .append(p)
            .append(" dport . numgen random mod 1 : ")
            .append(ip)
            .append(" daddr . ")
            .append(p)
            .append(" dport; size ")
            .append(epSize)
            .append("; }\n");
        if (!AFFINITY_FAMILIES.contains(f)) {
          continue;
        }
        sb.append("  map aff")
            .append(f)
            .append('_')
            .append(p)
            .append(" { typeof ct zone . ")
            .append(ip)
            .append(" saddr . ")
            .append(ip)
            .append(" daddr . ")
            .append(p)
            .append(" dport : ")
            .append(ip)
            .append(" daddr . ")
            .append(p)
            .append(" dport; flags dynamic, timeout; size ")
            .append(AFF_MAP_SIZE)
            .append("; }\n");
      }
      sb.append("  set hairpin")
          .append(f)
          .append(" { typeof ct zone . ")
          .append(ip)
          .append(" saddr . ")
          .append(ip)
          .append(" daddr; size ")
          .append(hairpinSize)
          .append("; }\n");
      sb.append("  set cluster")
          .append(f)
          .append(" { type ")
          .append(f.equals("4") ? "ipv4_addr" : "ipv6_addr")
          .append("; flags interval; auto-merge; }\n");
    }
    sb.append("  map nodeports4 { typeof meta l4proto . th dport : verdict; }\n");
    sb.append("  map nodeports6 { typeof meta l4proto . th dport : verdict; }\n");
    sb.append(
        "  chain no_endpoints {\n    meta l4proto tcp reject with tcp reset\n    reject\n  }\n");
    for (String chain : chainsFor(all)) {
      sb.append(chain(chain));
    }
    List<String> np4 = new ArrayList<>();
    List<String> np6 = new ArrayList<>();
    for (String a : state.getNode().getNodePortAddressesList()) {
      Cidr c = nodePortCidr(a);
      (c.address().isV4() ? np4 : np6).add(c.toString());
    }
    if (!np4.isEmpty() || !np6.isEmpty()) {
      // auto-merge: overlapping entries (10.0.0.0/8 and 10.1.0.0/16) are fine, as in kube-proxy.
      sb.append("  set nodeport_addrs4 { type ipv4_addr; flags interval; auto-merge; }\n");
      sb.append("  set nodeport_addrs6 { type ipv6_addr; flags interval; auto-merge; }\n");
    }
    hooks(
        sb,
        state.getNode().getMasqueradeAll(),
        !state.getNode().getClusterCidrsList().isEmpty(),
        state.getNode().getNodePortAddressesCount() == 0,
        np4.isEmpty() ? "none" : "@nodeport_addrs4",
        np6.isEmpty() ? "none" : "@nodeport_addrs6");
    sb.append("}\n");
    // Elements, in the same transaction.
    List<String> cidr4 = new ArrayList<>();
    List<String> cidr6 = new ArrayList<>();
    for (String c : state.getNode().getClusterCidrsList()) {
      (Cidr.parse(c).address().isV4() ? cidr4 : cidr6).add(c);
    }
    addElements(sb, "cluster4", cidr4);
    addElements(sb, "cluster6", cidr6);
    addElements(sb, "nodeport_addrs4", np4);
    addElements(sb, "nodeport_addrs6", np6);
    for (NodePort np : nodePorts) {
      sb.append(define(np));
      element(sb, "add", np.map(), np.element());
    }
    for (Instance i : all) {
      sb.append(add(i, bulk));
    }
    sb.append(hairpin(Set.of(), hairpins));
    return sb.toString();
  }

  /**
   * The elements {@code add(i, false)} leaves out, into a netlink batch: every {@code svc} element
   * and endpoint slot of {@code instances}, byte for byte what the text would make.
   */
  static void bulkElements(Iterable<Instance> instances, SetElementBatch batch) {
    // Endpoint slots first, then svc elements: runs of one set share a netlink message.
    for (Instance i : instances) {
      for (int s = 0; s < i.slots().size(); s++) {
        Backend b = i.slots().get(s);
        ElementKey key = address(batch.add(i.epMap()).zone(i.zone()), i.address());
        address(key.port(i.port()).u32(s).data(), IpAddress.parse(b.getAddress()))
            .port(b.getPort())
            .end();
      }
    }
    for (Instance i : instances) {
      ElementKey svc =
          address(batch.add(i.svcMap()).zone(i.zone()), i.address())
              .proto(protocolNumber(i.protocol()))
              .port(i.port());
      String v = i.verdict();
      if (v.equals("drop")) {
        svc.drop();
      } else if (v.startsWith("goto ")) {
        svc.goTo(v.substring(5));
      } else {
        throw new IllegalStateException("verdict: " + v + " (expected: drop or goto CHAIN)");
      }
    }
  }

  private static ElementKey address(ElementKey k, IpAddress a) {
    return a.isV4() ? k.ipv4(a) : k.ipv6(a);
  }

  /** IANA protocol numbers, as {@code meta l4proto} holds them. */
  static int protocolNumber(Protocol p) {
    return switch (p) {
      case TCP -> 6;
      case UDP -> 17;
      case SCTP -> 132;
      default ->
          throw new IllegalArgumentException("protocol: " + p + " (expected: TCP, UDP or SCTP)");
    };
  }

  /**
   * The element limit of the service maps (and hairpin sets) for {@code instances}: twice as many,
   * so deltas have room to grow; a delta that would pass it becomes a full sync, which sizes anew.
   * Sizes are limits and also tell the kernel how large a hash to start with, so they are not
   * padded generously: a 2^20 floor cost about 0.1 s of every full load (KernelLayoutBenchmark).
   */
  static int serviceMapSize(int instances) {
    return Math.max(MIN_MAP_SIZE, pow2(instances * 2));
  }

  /** The element limit of each endpoint map, for {@code slots} endpoint slots in all. */
  static int endpointMapSize(int slots) {
    return Math.max(MIN_EP_MAP_SIZE, pow2(slots * 2));
  }

  static int slotCount(Iterable<Instance> instances) {
    int n = 0;
    for (Instance i : instances) {
      n += i.slots().size();
    }
    return n;
  }

  /** Commands adding one instance's elements. */
  static String add(Instance i) {
    return add(i, true);
  }

  /**
   * Commands adding one instance; without {@code bulk} they leave out its {@code svc} element and
   * endpoint slots, which a cold start writes through netlink ({@link #bulkElements}).
   */
  static String add(Instance i, boolean bulk) {
    var sb = new StringBuilder();
    if (i.ownAffinity()) {
      sb.append("add map ")
          .append(TABLE)
          .append(' ')
          .append(i.affMap())
          .append(" { typeof ip6 saddr : ip6 daddr; flags dynamic, timeout; size ")
          .append(AFF6_MAP_SIZE)
          .append("; }\n");
      sb.append("add chain ").append(TABLE).append(' ').append(i.affChain()).append('\n');
      affinityLookup(sb, i);
      sb.append("add chain ").append(TABLE).append(' ').append(i.recChain()).append('\n');
      sb.append("add rule ")
          .append(TABLE)
          .append(' ')
          .append(i.recChain())
          .append(" update @")
          .append(i.affMap())
          .append(" { ip6 saddr timeout ")
          .append(i.affinityTimeout())
          .append("s : ip6 daddr }\n");
    }
    if (bulk) {
      element(sb, "add", i.svcMap(), i.svcKey() + " : " + i.verdict());
      elements(sb, "add", i.epMap(), slotElements(i));
    }
    if (i.affinityTimeout() > 0) {
      String recorder = i.ownAffinity() ? i.recChain() : "aff_rec_" + i.affinityTimeout();
      element(sb, "add", "aff" + i.svcMap(), i.svcKey() + " : goto " + recorder);
    }
    return sb.toString();
  }

  /** The rules of an IPv6 affinity lookup chain: a known client's backend, else {@code lb}. */
  private static void affinityLookup(StringBuilder sb, Instance i) {
    sb.append("add rule ")
        .append(TABLE)
        .append(' ')
        .append(i.affChain())
        .append(" meta l4proto ")
        .append(proto(i.protocol()))
        .append(" dnat ip6 to ip6 saddr map @")
        .append(i.affMap())
        .append(" : ")
        .append(i.targetPort())
        .append('\n');
    sb.append("add rule ")
        .append(TABLE)
        .append(' ')
        .append(i.affChain())
        .append(" goto ")
        .append(i.lb())
        .append('\n');
  }

  /**
   * Commands changing the hairpin sets from the elements in {@code before} to those in {@code
   * after}; elements are reference-counted by the caller, since services share backends.
   */
  static String hairpin(Set<String> removed, Set<String> added) {
    var sb = new StringBuilder();
    for (String family : List.of("4", "6")) {
      List<String> del = new ArrayList<>();
      List<String> add = new ArrayList<>();
      for (String e : removed) {
        if (e.startsWith(family + "|")) {
          del.add(e.substring(2));
        }
      }
      for (String e : added) {
        if (e.startsWith(family + "|")) {
          add.add(e.substring(2));
        }
      }
      elements(sb, "delete", "hairpin" + family, del);
      elements(sb, "add", "hairpin" + family, add);
    }
    return sb.toString();
  }

  /**
   * The smallest batch taking one instance from {@code before} to {@code after}: when the service
   * element's verdict and affinity stay, only the endpoint slots that differ are touched, which
   * spares the kernel re-checking a verdict element (about 2 ms a commit at 10k services).
   */
  static String change(Instance before, Instance after) {
    if (!before.svcKey().equals(after.svcKey())
        || !before.svcMap().equals(after.svcMap())
        || !before.verdict().equals(after.verdict())
        || before.affinityTimeout() != after.affinityTimeout()) {
      return delete(before) + add(after);
    }
    var sb = new StringBuilder();
    if (after.ownAffinity()
        && (!before.lb().equals(after.lb()) || before.targetPort() != after.targetPort())) {
      // Re-point the lookup chain but keep its map: clients stay with their backends.
      sb.append("flush chain ").append(TABLE).append(' ').append(after.affChain()).append('\n');
      affinityLookup(sb, after);
    }
    List<String> deletes = new ArrayList<>();
    List<String> adds = new ArrayList<>();
    int n = Math.max(before.slots().size(), after.slots().size());
    for (int i = 0; i < n; i++) {
      Backend old = i < before.slots().size() ? before.slots().get(i) : null;
      Backend fresh = i < after.slots().size() ? after.slots().get(i) : null;
      if (old != null
          && fresh != null
          && old.getPort() == fresh.getPort()
          && old.getAddress().equals(fresh.getAddress())) {
        continue; // the element holds address and port only
      }
      if (old != null) {
        deletes.add(before.slotKey(i));
      }
      if (fresh != null) {
        adds.add(after.slotKey(i) + " : " + endpoint(fresh));
      }
    }
    elements(sb, "delete", before.epMap(), deletes);
    elements(sb, "add", after.epMap(), adds);
    return sb.toString();
  }

  /** Commands deleting one instance's elements (exactly those {@link #add} added). */
  static String delete(Instance i) {
    var sb = new StringBuilder();
    element(sb, "delete", i.svcMap(), i.svcKey());
    List<String> keys = new ArrayList<>();
    for (int s = 0; s < i.slots().size(); s++) {
      keys.add(i.slotKey(s));
    }
    elements(sb, "delete", i.epMap(), keys);
    if (i.affinityTimeout() > 0) {
      element(sb, "delete", "aff" + i.svcMap(), i.svcKey());
    }
    if (i.ownAffinity()) {
      // After the elements that jump to them, in the same transaction.
      sb.append("delete chain ").append(TABLE).append(' ').append(i.affChain()).append('\n');
      sb.append("delete chain ").append(TABLE).append(' ').append(i.recChain()).append('\n');
      sb.append("delete map ").append(TABLE).append(' ').append(i.affMap()).append('\n');
    }
    return sb.toString();
  }

  /** The chains an instance jumps to (with the affinity recorder), for creating them on demand. */
  static Set<String> chainsFor(List<Instance> instances) {
    var out = new TreeSet<String>();
    for (Instance i : instances) {
      String v = i.verdict();
      if (i.ownAffinity()) {
        out.add(i.lb()); // its own chains come and go with the instance (add/delete)
      } else if (v.startsWith("goto ") && !v.equals("goto no_endpoints")) {
        String chain = v.substring(5);
        out.add(chain);
        if (chain.startsWith("aff_")) {
          out.add("lb_" + chain.substring(4));
          out.add("aff_rec_" + i.affinityTimeout());
        }
      }
    }
    return out;
  }

  /** A shared chain's definition; its name says what it does. */
  static String chain(String name) {
    var sb = new StringBuilder("  chain ").append(name).append(" {\n");
    if (name.startsWith("lb_")) {
      boolean hash = name.startsWith("lb_hash_");
      int n = Integer.parseInt(name.substring(name.lastIndexOf('_') + 1));
      for (String f : List.of("4", "6")) {
        String ip = f.equals("4") ? "ip" : "ip6";
        for (String p : PROTOCOLS) {
          String pick =
              hash
                  ? "jhash "
                      + ip
                      + " saddr . "
                      + p
                      + " sport mod "
                      + n
                      + " seed 0x"
                      + Integer.toHexString(SEED)
                  : "numgen random mod " + n;
          sb.append("    meta nfproto ipv")
              .append(f)
              .append(" meta l4proto ")
              .append(p)
              .append(" dnat ")
              .append(ip)
              .append(" to ct zone . ")
              .append(ip)
              .append(" daddr . ")
              .append(p)
              .append(" dport . ")
              .append(pick)
              .append(" map @ep")
              .append(f)
              .append('_')
              .append(p)
              .append('\n');
        }
      }
    } else if (name.startsWith("aff_rec_")) {
      String timeout = name.substring("aff_rec_".length());
      for (String f : AFFINITY_FAMILIES) {
        String ip = f.equals("4") ? "ip" : "ip6";
        for (String p : PROTOCOLS) {
          sb.append("    meta nfproto ipv")
              .append(f)
              .append(" meta l4proto ")
              .append(p)
              .append(" update @aff")
              .append(f)
              .append('_')
              .append(p)
              .append(" { ct zone . ")
              .append(ip)
              .append(" saddr . ct original ")
              .append(ip)
              .append(" daddr . ct original proto-dst timeout ")
              .append(timeout)
              .append("s : ")
              .append(ip)
              .append(" daddr . ")
              .append(p)
              .append(" dport }\n");
        }
      }
    } else if (name.startsWith("aff_")) {
      for (String f : AFFINITY_FAMILIES) {
        String ip = f.equals("4") ? "ip" : "ip6";
        for (String p : PROTOCOLS) {
          sb.append("    meta nfproto ipv")
              .append(f)
              .append(" meta l4proto ")
              .append(p)
              .append(" dnat ")
              .append(ip)
              .append(" to ct zone . ")
              .append(ip)
              .append(" saddr . ")
              .append(ip)
              .append(" daddr . ")
              .append(p)
              .append(" dport map @aff")
              .append(f)
              .append('_')
              .append(p)
              .append('\n');
        }
      }
      sb.append("    goto lb_").append(name.substring(4)).append('\n');
    } else {
      throw new IllegalArgumentException(
          "chain: " + name + " (expected: lb_*, aff_* or aff_rec_*)");
    }
    return sb.append("  }\n").toString();
  }

  private static void networks(StringBuilder sb, List<NetworkSpec> networks) {
    var ifaces = new TreeMap<String, Integer>();
    for (NetworkSpec n : networks) {
      if (n.getId() == 0) {
        continue; // the default network: zone 0, no mark, main table
      }
      sb.append("  chain net_")
          .append(n.getId())
          .append(" {\n    ct zone set ")
          .append(n.getId())
          .append("\n    meta mark set meta mark & 0x")
          .append(Long.toHexString(~MARK_MASK & 0xffff_ffffL))
          .append(" | 0x")
          .append(Long.toHexString(mark(n.getId())))
          .append("\n  }\n");
      for (String i : n.getKernel().getInterfacesList()) {
        ifaces.put(i, n.getId());
      }
    }
    sb.append("  map if_net { typeof iifname : verdict; flags interval; }\n");
    sb.append(
        "  chain raw_pre {\n    type filter hook prerouting priority raw; policy accept;\n    iifname vmap @if_net\n  }\n");
    var elems = new ArrayList<String>();
    ifaces.forEach((i, id) -> elems.add("\"" + i + "\" : goto net_" + id));
    sb.append("}\n");
    addElements(sb, "if_net", elems);
    sb.append("table ").append(TABLE).append(" {\n");
  }

  /**
   * {@code nodePortAddresses}: every local address when {@code allLocal}; otherwise the local
   * addresses inside a family's set ("none": that family has no NodePorts, as in kube-proxy).
   */
  private static void hooks(
      StringBuilder sb,
      boolean masqueradeAll,
      boolean clusterCidrs,
      boolean allLocal,
      String nodePorts4,
      String nodePorts6) {
    sb.append("  chain nat_pre {\n    type nat hook prerouting priority dstnat; policy accept;\n")
        .append("    ct zone . ip daddr . meta l4proto . th dport vmap @svc4\n")
        .append("    ct zone . ip6 daddr . meta l4proto . th dport vmap @svc6\n");
    if (allLocal) {
      sb.append(
              "    ct zone 0 fib daddr type local meta nfproto ipv4 meta l4proto . th dport vmap @nodeports4\n")
          .append(
              "    ct zone 0 fib daddr type local meta nfproto ipv6 meta l4proto . th dport vmap @nodeports6\n");
    } else {
      if (!nodePorts4.equals("none")) {
        sb.append("    ct zone 0 fib daddr type local ip daddr ")
            .append(nodePorts4)
            .append(" meta l4proto . th dport vmap @nodeports4\n");
      }
      if (!nodePorts6.equals("none")) {
        sb.append("    ct zone 0 fib daddr type local ip6 daddr ")
            .append(nodePorts6)
            .append(" meta l4proto . th dport vmap @nodeports6\n");
      }
    }
    sb.append("  }\n");
    // Host-originated traffic (zone 0) reaches the default network's VIPs too.
    sb.append("  chain nat_out {\n    type nat hook output priority -100; policy accept;\n")
        .append("    ct zone . ip daddr . meta l4proto . th dport vmap @svc4\n")
        .append("    ct zone . ip6 daddr . meta l4proto . th dport vmap @svc6\n  }\n");
    sb.append(
            "  chain aff_record {\n    type filter hook prerouting priority dstnat + 10; policy accept;\n")
        .append(
            "    ct state new ct status dnat meta l4proto { tcp, udp, sctp } ct zone . ct original ip daddr . meta l4proto . ct original proto-dst vmap @affsvc4\n")
        .append(
            "    ct state new ct status dnat meta l4proto { tcp, udp, sctp } ct zone . ct original ip6 daddr . meta l4proto . ct original proto-dst vmap @affsvc6\n  }\n");
    sb.append("  chain nat_post {\n    type nat hook postrouting priority srcnat; policy accept;\n")
        .append("    ct status dnat ct zone . ip saddr . ip daddr @hairpin4 masquerade\n")
        .append("    ct status dnat ct zone . ip6 saddr . ip6 daddr @hairpin6 masquerade\n")
        .append("    meta mark & 0x4000 == 0x4000 masquerade fully-random\n");
    if (masqueradeAll) {
      sb.append("    ct status dnat masquerade fully-random\n");
    } else if (clusterCidrs) {
      // kube-proxy's rule: default-network traffic to a VIP from outside the cluster is
      // masqueraded.
      sb.append("    ct status dnat ct zone 0 ip saddr != @cluster4 masquerade fully-random\n")
          .append("    ct status dnat ct zone 0 ip6 saddr != @cluster6 masquerade fully-random\n");
    }
    sb.append("  }\n");
  }

  private static List<String> slotElements(Instance i) {
    List<String> out = new ArrayList<>(i.slots().size());
    for (int s = 0; s < i.slots().size(); s++) {
      out.add(i.slotKey(s) + " : " + i.slot(s));
    }
    return out;
  }

  /** An instance's hairpin elements as "4|zone . a . a" (family-tagged), for reference counts. */
  static List<String> hairpinElements(Instance i) {
    List<String> out = new ArrayList<>();
    for (IpAddress a : i.hairpin()) {
      out.add((a.isV4() ? "4|" : "6|") + i.zone() + " . " + a + " . " + a);
    }
    return out;
  }

  private static void addElements(StringBuilder sb, String set, List<String> elements) {
    elements(sb, "add", set, elements);
  }

  private static void element(StringBuilder sb, String verb, String set, String element) {
    sb.append(verb).append(" element ").append(TABLE).append(' ').append(set);
    sb.append(" { ").append(element).append(" }\n");
  }

  private static void elements(StringBuilder sb, String verb, String set, List<String> elements) {
    // Bounded command lines: libnftables parses each one whole.
    for (int from = 0; from < elements.size(); from += 512) {
      sb.append(verb).append(" element ").append(TABLE).append(' ').append(set).append(" { ");
      sb.append(String.join(", ", elements.subList(from, Math.min(elements.size(), from + 512))));
      sb.append(" }\n");
    }
  }

  static long mark(int networkId) {
    return ((long) networkId << 16) & MARK_MASK;
  }

  static String proto(Protocol p) {
    return p.name().toLowerCase(Locale.ROOT);
  }

  private static int pow2(int n) {
    return n <= 1 ? 1 : Integer.highestOneBit(n - 1) << 1;
  }

  /**
   * Deterministic ordering of instances by service port key, for golden tests and stable batches.
   */
  static Map<String, List<Instance>> index(List<ServicePort> ports) {
    var out = new LinkedHashMap<String, List<Instance>>();
    List<ServicePort> sorted = new ArrayList<>(ports);
    sorted.sort(Comparator.comparing(KernelRuleset::key));
    for (ServicePort sp : sorted) {
      out.put(key(sp), instances(sp));
    }
    return out;
  }

  static String key(ServicePort sp) {
    return sp.getNetworkId()
        + "/"
        + sp.getAddress()
        + "/"
        + proto(sp.getProtocol())
        + "/"
        + sp.getPort();
  }
}
