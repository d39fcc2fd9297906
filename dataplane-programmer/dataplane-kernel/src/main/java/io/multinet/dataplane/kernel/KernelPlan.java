package io.multinet.dataplane.kernel;

import static java.util.Objects.requireNonNull;

import io.multinet.dataplane.v1.Backend;
import io.multinet.dataplane.v1.Protocol;
import io.multinet.network.Cidr;
import io.multinet.network.IpAddress;
import io.multinet.table.FlowHash;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.SortedMap;
import java.util.SortedSet;
import java.util.TreeMap;
import java.util.TreeSet;
import org.jspecify.annotations.Nullable;

/**
 * The {@code inet multinet} table as {@link KernelPlanner} computes it from a desired state: chains
 * by kind, sets and maps with their sizes, and per service port the instances whose elements fill
 * the maps. {@link NftRenderer} writes it as nft text, {@link ElementOps} as element operations;
 * both read the kinds here, never names. Names are derived from the kinds, one way.
 *
 * @param networks the networks other than the default one, by id
 * @param interfaces interface name (or pattern) → the network its traffic belongs to
 * @param node the node facts that shape the hooks
 * @param ports service port key ({@link KernelPlanner#key}) → what the kernel serves for it, in key
 *     order
 * @param listeners every network's node-local listeners
 */
record KernelPlan(
    List<Network> networks,
    SortedMap<String, Network> interfaces,
    Node node,
    SortedMap<String, Port> ports,
    SortedSet<Listener> listeners) {

  static final String TABLE_NAME = "multinet";
  static final String TABLE = "inet " + TABLE_NAME;
  static final long MARK_MASK = 0xffff_0000L;
  static final int SEED = FlowHash.SEED;

  /** kube-proxy's masquerade bit (14): set on NodePort traffic, masqueraded in postrouting. */
  static final long MASQUERADE_MARK = 0x4000;

  /** The protocols served; each has its own endpoint (and affinity) maps. */
  static final List<Protocol> PROTOCOLS = List.of(Protocol.TCP, Protocol.UDP, Protocol.SCTP);

  /** Clients remembered per shared affinity map (protocol); dynamic maps need a bound. */
  static final int AFF_MAP_SIZE = 1 << 20;

  /** Size of a per-service IPv6 affinity map: one element per client address. */
  static final int AFF6_MAP_SIZE = 1 << 16;

  private static final int MIN_MAP_SIZE = 1 << 16;

  private static final int MIN_EP_MAP_SIZE = 1 << 16;

  KernelPlan {
    networks = List.copyOf(networks);
    interfaces = java.util.Collections.unmodifiableSortedMap(new TreeMap<>(interfaces));
    requireNonNull(node, "node");
    ports = java.util.Collections.unmodifiableSortedMap(new TreeMap<>(ports));
    listeners = java.util.Collections.unmodifiableSortedSet(new TreeSet<>(listeners));
  }

  /** nft's name of a protocol ({@code tcp}). */
  static String proto(Protocol p) {
    return p.name().toLowerCase(Locale.ROOT);
  }

  /** The suffix of a per-family set's name. */
  static String family(boolean v4) {
    return v4 ? "4" : "6";
  }

  /** Every instance, in port key order. */
  List<Instance> instances() {
    List<Instance> out = new ArrayList<>();
    ports.values().forEach(p -> out.addAll(p.instances()));
    return out;
  }

  /** Every NodePort, in chain name order. */
  List<NodePort> nodePorts() {
    List<NodePort> out = new ArrayList<>();
    for (Port p : ports.values()) {
      if (p.nodePort() != null) {
        out.add(p.nodePort());
      }
    }
    out.sort(Comparator.comparing(NodePort::name));
    return out;
  }

  /** The shared chains the instances reach, in name order (the order they are defined in). */
  SortedSet<SharedChain> sharedChains() {
    return sharedChains(instances());
  }

  static SortedSet<SharedChain> sharedChains(Iterable<Instance> instances) {
    var out = new TreeSet<SharedChain>(Comparator.comparing(SharedChain::name));
    instances.forEach(i -> out.addAll(i.sharedChains()));
    return out;
  }

  /** One hairpin element per local endpoint address, which may outnumber services. */
  SortedSet<Hairpin> hairpins() {
    var out = new TreeSet<Hairpin>();
    for (Instance i : instances()) {
      out.addAll(i.hairpins());
    }
    return out;
  }

  /** Every chain of the table. */
  List<Chain> chains() {
    List<Chain> out = new ArrayList<>(networks);
    out.add(BaseChain.RAW_PRE);
    out.add(BaseChain.RAW_OUT);
    out.add(BaseChain.LOCAL_IN);
    out.add(NoEndpoints.CHAIN);
    out.addAll(sharedChains());
    out.add(BaseChain.NAT_PRE);
    out.add(BaseChain.NAT_OUT);
    out.add(BaseChain.AFF_RECORD);
    out.add(BaseChain.NAT_POST);
    out.addAll(nodePorts());
    for (Instance i : instances()) {
      if (i.ownAffinity()) {
        out.add(i.lookup());
        out.add(i.recorder());
      }
    }
    return out;
  }

  /** The table's own sets and maps (not the per-instance IPv6 affinity maps), in order. */
  List<TableSet> sets() {
    List<Instance> all = instances();
    int services = serviceMapSize(all.size());
    int endpoints = endpointMapSize(slotCount(all));
    int hairpin = serviceMapSize(hairpins().size());
    List<TableSet> out = new ArrayList<>();
    out.add(new InterfaceMap());
    out.add(new MarkMap());
    for (boolean affinity : List.of(false, true)) {
      out.add(new ServiceMap(true, affinity, services));
      out.add(new ServiceMap(false, affinity, services));
    }
    for (boolean v4 : List.of(true, false)) {
      for (Protocol p : PROTOCOLS) {
        out.add(new EndpointMap(v4, p, endpoints));
        if (v4) {
          out.add(new AffinityMap(p));
        }
      }
      out.add(new HairpinSet(v4, hairpin));
      out.add(new ClusterSet(v4));
      out.add(new ListenerSet(v4, false));
      out.add(new ListenerSet(v4, true));
    }
    out.add(new NodePortMap(true));
    out.add(new NodePortMap(false));
    if (!node.allLocal()) {
      out.add(new NodePortAddressSet(true));
      out.add(new NodePortAddressSet(false));
    }
    return out;
  }

  /** Every set and map of the table, with the IPv6 affinity maps instances own. */
  List<TableSet> allSets() {
    List<TableSet> out = new ArrayList<>(sets());
    for (Instance i : instances()) {
      if (i.ownAffinity()) {
        out.add(new OwnAffinityMap(i.key()));
      }
    }
    return out;
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

  private static int pow2(int n) {
    return n <= 1 ? 1 : Integer.highestOneBit(n - 1) << 1;
  }

  static long mark(int networkId) {
    return ((long) networkId << 16) & MARK_MASK;
  }

  // ---- node facts ----

  /**
   * The node facts the hooks depend on.
   *
   * @param clusterCidrs the cluster CIDRs (default-network traffic from outside is masqueraded)
   * @param nodePortAddresses where NodePorts answer; empty: every local address
   */
  record Node(boolean masqueradeAll, List<Cidr> clusterCidrs, List<Cidr> nodePortAddresses) {
    Node {
      clusterCidrs = List.copyOf(clusterCidrs);
      nodePortAddresses = List.copyOf(nodePortAddresses);
    }

    boolean allLocal() {
      return nodePortAddresses.isEmpty();
    }

    List<Cidr> clusterCidrs(boolean v4) {
      return clusterCidrs.stream().filter(c -> c.address().isV4() == v4).toList();
    }

    List<Cidr> nodePortAddresses(boolean v4) {
      return nodePortAddresses.stream().filter(c -> c.address().isV4() == v4).toList();
    }
  }

  /** What the kernel serves for one service port: its instances, and its NodePort if any. */
  record Port(List<Instance> instances, @Nullable NodePort nodePort) {
    Port {
      instances = List.copyOf(instances);
    }
  }

  // ---- verdicts ----

  /** What a verdict map element does with a packet. */
  sealed interface Verdict permits Goto, Drop {}

  record Goto(Chain target) implements Verdict {
    Goto {
      requireNonNull(target, "target");
    }
  }

  enum Drop implements Verdict {
    DROP
  }

  // ---- chains ----

  /** A chain of the table; its name is derived from its kind and parameters. */
  sealed interface Chain
      permits BaseChain, Network, NoEndpoints, SharedChain, NodePort, OwnLookup, OwnRecord {
    String name();
  }

  /** A chain attached to a hook. */
  record BaseChain(String name) implements Chain {
    static final BaseChain RAW_PRE = new BaseChain("raw_pre");

    /** Local sockets' packets: a network's mark selects its zone (its {@link Network} chain). */
    static final BaseChain RAW_OUT = new BaseChain("raw_out");

    /** Guards local listeners: only traffic DNATed to them in their network's zone reaches them. */
    static final BaseChain LOCAL_IN = new BaseChain("local_in");

    static final BaseChain NAT_PRE = new BaseChain("nat_pre");
    static final BaseChain NAT_OUT = new BaseChain("nat_out");
    static final BaseChain AFF_RECORD = new BaseChain("aff_record");
    static final BaseChain NAT_POST = new BaseChain("nat_post");
  }

  /** TCP reset or ICMP unreachable: a service with no endpoints anywhere. */
  record NoEndpoints() implements Chain {
    static final NoEndpoints CHAIN = new NoEndpoints();

    @Override
    public String name() {
      return "no_endpoints";
    }
  }

  /**
   * A network's chain: sets the conntrack zone (= network id) and the routing mark (id &lt;&lt; 16
   * under 0xffff0000), so overlapping addresses of two networks never share conntrack entries or
   * routes.
   */
  record Network(int id) implements Chain {
    @Override
    public String name() {
      return "net_" + id;
    }
  }

  /** Chains shared by every instance of the same kind and parameters. */
  sealed interface SharedChain extends Chain permits Balance, SharedLookup, SharedRecord {}

  enum Pick {
    /** {@code numgen random mod N} over N backends. */
    RANDOM("rand"),
    /** {@code jhash (saddr . sport) mod M} over a Maglev table of M slots. */
    MAGLEV("hash");

    final String part;

    Pick(String part) {
      this.part = part;
    }
  }

  /** Picks an endpoint slot ({@code size} slots) and DNATs through the endpoint maps. */
  record Balance(Pick pick, int size) implements SharedChain {
    Balance {
      requireNonNull(pick, "pick");
      if (size < 1) {
        throw new IllegalArgumentException("size: " + size + " (expected: at least 1)");
      }
    }

    @Override
    public String name() {
      return "lb_" + pick.part + "_" + size;
    }
  }

  /**
   * IPv4 ClientIP affinity: a known client's backend from the shared maps, else {@code balance}.
   */
  record SharedLookup(Balance balance) implements SharedChain {
    @Override
    public String name() {
      return "aff_" + balance.pick().part + "_" + balance.size();
    }
  }

  /** Records a new IPv4 connection's backend in the shared affinity maps for {@code timeout} s. */
  record SharedRecord(int timeout) implements SharedChain {
    @Override
    public String name() {
      return "aff_rec_" + timeout;
    }
  }

  /**
   * An IPv6 affinity instance's lookup chain: its own map first ({@link OwnAffinityMap}), then the
   * shared chain that balances. Its rules come from the instance ({@link Instance#balance()},
   * {@link Instance#targetPort()}), so re-pointing it keeps its name and map.
   */
  record OwnLookup(InstanceKey key) implements Chain {
    @Override
    public String name() {
      return "aff6_" + key.id();
    }
  }

  /** An IPv6 affinity instance's recorder; the name carries the timeout for {@code observe}. */
  record OwnRecord(InstanceKey key, int timeout) implements Chain {
    @Override
    public String name() {
      return "aff6r" + timeout + "_" + key.id();
    }
  }

  /**
   * A NodePort as the kernel serves it: its own small chain (NodePorts are few, so per-port chains
   * with an anonymous map cost nothing at scale) reached from {@code nodeports4}/{@code nodeports6}
   * for local destination addresses in the default network.
   *
   * @param backends sorted; empty: {@code none} applies
   * @param masquerade whether the chain sets the masquerade mark (policy Cluster)
   * @param none the verdict without backends
   */
  record NodePort(
      boolean v4,
      Protocol protocol,
      int port,
      List<Backend> backends,
      boolean masquerade,
      Verdict none)
      implements Chain {
    NodePort {
      backends = List.copyOf(backends);
    }

    @Override
    public String name() {
      return "np" + family(v4) + "_" + proto(protocol) + "_" + port;
    }

    NodePortMap map() {
      return new NodePortMap(v4);
    }
  }

  // ---- instances ----

  /** One address of a service port: the key of its {@code svc} element. */
  record InstanceKey(int zone, IpAddress address, Protocol protocol, int port)
      implements Comparable<InstanceKey> {

    InstanceKey {
      requireNonNull(address, "address");
      requireNonNull(protocol, "protocol");
    }

    /** A name part unique per instance: zone, address (':' as '-'), protocol and port. */
    String id() {
      return zone + "_" + address.toString().replace(':', '-') + "_" + proto(protocol) + "_" + port;
    }

    boolean v4() {
      return address.isV4();
    }

    @Override
    public int compareTo(InstanceKey o) {
      return Comparator.comparingInt(InstanceKey::zone)
          .thenComparing(InstanceKey::address)
          .thenComparing(InstanceKey::protocol)
          .thenComparingInt(InstanceKey::port)
          .compare(this, o);
    }
  }

  /**
   * One address of a service port as the kernel serves it: the VIP, or an external address.
   *
   * @param verdict its {@code svc} element's verdict
   * @param balance the shared chain that picks a slot, or null without backends
   * @param slots the backend of each endpoint slot (a Maglev table, or the sorted backends)
   * @param affinityTimeout ClientIP affinity in seconds, 0 for none
   * @param hairpin the addresses of local backends, masqueraded when they reach themselves
   */
  record Instance(
      InstanceKey key,
      Verdict verdict,
      @Nullable Balance balance,
      List<Backend> slots,
      int affinityTimeout,
      List<IpAddress> hairpin) {

    Instance {
      requireNonNull(key, "key");
      requireNonNull(verdict, "verdict");
      slots = List.copyOf(slots);
      hairpin = List.copyOf(hairpin);
    }

    /**
     * IPv6 with ClientIP affinity: the instance owns a dynamic map (client address → backend
     * address), a lookup chain that tries it before {@link #balance()}, and a recorder chain.
     * Backends then share one target port ({@link #targetPort()}), since the map has no room for
     * it.
     */
    boolean ownAffinity() {
      return affinityTimeout > 0 && !key.v4();
    }

    OwnLookup lookup() {
      return new OwnLookup(key);
    }

    /** The chain that records a new connection's backend (only with affinity). */
    Chain recorder() {
      return ownAffinity()
          ? new OwnRecord(key, affinityTimeout)
          : new SharedRecord(affinityTimeout);
    }

    int targetPort() {
      return slots.getFirst().getPort();
    }

    ServiceMap svcMap() {
      return new ServiceMap(key.v4(), false, 0);
    }

    ServiceMap affinityMap() {
      return new ServiceMap(key.v4(), true, 0);
    }

    EndpointMap epMap() {
      return new EndpointMap(key.v4(), key.protocol(), 0);
    }

    OwnAffinityMap ownMap() {
      return new OwnAffinityMap(key);
    }

    /** The shared chains this instance needs; its own chains come and go with it. */
    List<SharedChain> sharedChains() {
      if (ownAffinity()) {
        return List.of(requireNonNull(balance, "balance"));
      }
      return switch (verdict) {
        case Goto(SharedLookup l) -> List.of(l, l.balance(), new SharedRecord(affinityTimeout));
        case Goto(Balance b) -> List.of(b);
        case Goto g -> List.of();
        case Drop d -> List.of();
      };
    }

    List<Hairpin> hairpins() {
      List<Hairpin> out = new ArrayList<>(hairpin.size());
      for (IpAddress a : hairpin) {
        out.add(new Hairpin(key.zone(), a));
      }
      return out;
    }
  }

  // ---- sets and maps ----

  /** A set or map of the table; its name is derived from its kind. */
  sealed interface TableSet
      permits InterfaceMap,
          MarkMap,
          ListenerSet,
          ServiceMap,
          EndpointMap,
          AffinityMap,
          HairpinSet,
          ClusterSet,
          NodePortMap,
          NodePortAddressSet,
          OwnAffinityMap {
    String name();

    /** The element limit, 0 for none. */
    default int size() {
      return 0;
    }

    /** A map (elements carry a value), not a set. */
    default boolean map() {
      return false;
    }

    /** Elements expire: the datapath fills the set, never a sync. */
    default boolean timeout() {
      return false;
    }
  }

  /** Ingress interface → {@code goto net_ID}. */
  record InterfaceMap() implements TableSet {
    @Override
    public String name() {
      return "if_net";
    }

    @Override
    public boolean map() {
      return true;
    }
  }

  /** A network's mark (under {@link #MARK_MASK}) → {@code goto net_ID}, for local sockets. */
  record MarkMap() implements TableSet {
    @Override
    public String name() {
      return "mark_net";
    }

    @Override
    public boolean map() {
      return true;
    }
  }

  /**
   * The node-local listeners of a family: {@code listeners4} holds (address, protocol, port) of
   * every one, {@code listener_zones4} (zone, address, protocol, port) with the zone each belongs
   * to.
   */
  record ListenerSet(boolean v4, boolean zoned) implements TableSet {
    @Override
    public String name() {
      return (zoned ? "listener_zones" : "listeners") + family(v4);
    }
  }

  /**
   * {@code svc4}/{@code svc6}: (zone, VIP, protocol, port) → verdict; {@code affsvc4}/{@code
   * affsvc6}: the same key → the affinity recorder. {@code size} matters to the declaration only.
   */
  record ServiceMap(boolean v4, boolean affinity, int size) implements TableSet {
    @Override
    public String name() {
      return (affinity ? "aff" : "") + "svc" + family(v4);
    }

    @Override
    public boolean map() {
      return true;
    }
  }

  /** (zone, VIP, port, slot) → backend address and port, per family and protocol. */
  record EndpointMap(boolean v4, Protocol protocol, int size) implements TableSet {
    @Override
    public String name() {
      return "ep" + family(v4) + "_" + proto(protocol);
    }

    @Override
    public boolean map() {
      return true;
    }
  }

  /**
   * IPv4 ClientIP affinity, per protocol: (zone, client, VIP, port) → backend, filled by the
   * datapath. IPv6 cannot share these: nft 1.0.6 asserts (and aborts the process) on any
   * dynamic-map update whose key or data is a concatenation longer than 16 bytes, and an IPv6
   * address alone fills that; IPv6 affinity uses an {@link OwnAffinityMap} per instance.
   */
  record AffinityMap(Protocol protocol) implements TableSet {
    @Override
    public String name() {
      return "aff4_" + proto(protocol);
    }

    @Override
    public int size() {
      return AFF_MAP_SIZE;
    }

    @Override
    public boolean map() {
      return true;
    }

    @Override
    public boolean timeout() {
      return true;
    }
  }

  /** (zone, backend, backend): connections from a backend to itself are masqueraded. */
  record HairpinSet(boolean v4, int size) implements TableSet {
    @Override
    public String name() {
      return "hairpin" + family(v4);
    }
  }

  /** The cluster CIDRs of a family. */
  record ClusterSet(boolean v4) implements TableSet {
    @Override
    public String name() {
      return "cluster" + family(v4);
    }
  }

  /** (protocol, NodePort) → {@code goto} the NodePort's chain. */
  record NodePortMap(boolean v4) implements TableSet {
    @Override
    public String name() {
      return "nodeports" + family(v4);
    }

    @Override
    public boolean map() {
      return true;
    }
  }

  /** {@code nodePortAddresses} of a family. */
  record NodePortAddressSet(boolean v4) implements TableSet {
    @Override
    public String name() {
      return "nodeport_addrs" + family(v4);
    }
  }

  /** An IPv6 affinity instance's map: client address → backend address. */
  record OwnAffinityMap(InstanceKey key) implements TableSet {
    @Override
    public String name() {
      return "aff6m_" + key.id();
    }

    @Override
    public int size() {
      return AFF6_MAP_SIZE;
    }

    @Override
    public boolean map() {
      return true;
    }

    @Override
    public boolean timeout() {
      return true;
    }
  }

  // ---- elements ----

  /** An element of one of the table's sets or maps. */
  sealed interface Element
      permits Service, Slot, Hairpin, Prefix, Interface, NodePortEntry, Listener, MarkEntry {}

  /** A {@code svc} or {@code affsvc} element. */
  record Service(InstanceKey key, Verdict verdict) implements Element {}

  /** An endpoint slot: (zone, VIP, port, slot) → backend. */
  record Slot(InstanceKey key, int slot, Backend backend) implements Element {}

  /** A hairpin element: (zone, address, address). */
  record Hairpin(int zone, IpAddress address) implements Element, Comparable<Hairpin> {
    @Override
    public int compareTo(Hairpin o) {
      int c = Boolean.compare(o.address.isV4(), address.isV4()); // IPv4 first
      c = c != 0 ? c : Integer.compare(zone, o.zone);
      return c != 0 ? c : address.compareTo(o.address);
    }
  }

  /** A CIDR of an interval set. */
  record Prefix(Cidr cidr) implements Element {}

  /** An {@code if_net} element. */
  record Interface(String name, Network network) implements Element {}

  /** An element of a NodePort map: (protocol, port) → the NodePort chain. */
  record NodePortEntry(NodePort nodePort) implements Element {}

  /** A {@code mark_net} element: the network's mark → its chain. */
  record MarkEntry(Network network) implements Element {}

  /**
   * A socket on the node that belongs to network (zone) {@code zone}: an element of both {@link
   * ListenerSet}s of its family.
   */
  record Listener(int zone, IpAddress address, Protocol protocol, int port)
      implements Element, Comparable<Listener> {
    Listener {
      requireNonNull(address, "address");
      requireNonNull(protocol, "protocol");
    }

    @Override
    public int compareTo(Listener o) {
      return Comparator.comparing((Listener l) -> !l.address.isV4()) // IPv4 first
          .thenComparingInt(Listener::zone)
          .thenComparing(Listener::address)
          .thenComparing(Listener::protocol)
          .thenComparingInt(Listener::port)
          .compare(this, o);
    }
  }
}
