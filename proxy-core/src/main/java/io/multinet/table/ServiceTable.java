package io.multinet.table;

import static java.util.Objects.requireNonNull;

import io.multinet.network.IpAddress;
import io.multinet.network.Network;
import io.multinet.network.Protocol;
import io.multinet.service.Endpoint;
import io.multinet.service.EndpointCategories;
import io.multinet.service.EndpointSelection;
import io.multinet.service.NodeInfo;
import io.multinet.service.ServicePort;
import io.multinet.service.ServicePortKey;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.jspecify.annotations.Nullable;

/**
 * An immutable snapshot of every service port one node serves, across all networks, with the hot
 * lookup path: (network id, destination address, protocol, port) → {@link ServiceEntry}, then
 * {@link ServiceEntry#select(int)} → backend.
 *
 * <p>Design. The index is open addressing with linear probing over one {@code long[]} holding three
 * words a slot (address high, address low, and network id | protocol | port with an occupied bit),
 * so a probe reads one or two cache lines and compares primitives; the entries sit in a parallel
 * array. The load factor is at most 1/2, so a miss ends at an empty slot after a short run. Nothing
 * on the lookup path allocates, locks or writes: a snapshot is read-only once built and reaches
 * readers through one volatile reference ({@link ServiceTableHolder}), so a reader sees either the
 * old table or the new one, whole.
 *
 * <p>Each service port is indexed under its cluster IP (internal traffic policy) and under each
 * external or load-balancer address (external traffic policy). NodePorts share the external entry
 * but are keyed by node address, which is the dataplane's business, not this index's.
 */
public final class ServiceTable {

  private static final long OCCUPIED = 1L << 62;
  private static final int STRIDE = 3;

  private final NodeInfo node;
  private final Map<Integer, Network> networks;
  private final Map<ServicePortKey, PortState> ports;
  private final List<Rejection> rejections;
  private final long[] slots;
  private final ServiceEntry[] values;
  private final int mask;
  private final int indexed;

  private ServiceTable(
      NodeInfo node,
      Map<Integer, Network> networks,
      Map<ServicePortKey, PortState> ports,
      List<Rejection> rejections) {
    this.node = node;
    this.networks = Collections.unmodifiableMap(networks);
    this.ports = Collections.unmodifiableMap(ports);
    this.rejections = List.copyOf(rejections);
    int keys = 0;
    for (PortState s : ports.values()) {
      keys += 1 + s.servicePort.externalAddresses().size();
    }
    int capacity = Integer.highestOneBit(Math.max(2, keys) * 2 - 1) << 1;
    this.slots = new long[capacity * STRIDE];
    this.values = new ServiceEntry[capacity];
    this.mask = capacity - 1;
    this.indexed = keys;
    for (PortState s : ports.values()) {
      ServicePortKey k = s.servicePort.key();
      insert(k.networkId(), k.address(), k.protocol(), k.port(), s.internal);
      ServiceEntry external = s.external;
      if (external != null) {
        for (IpAddress a : s.servicePort.externalAddresses()) {
          insert(k.networkId(), a, k.protocol(), k.port(), external);
        }
      }
    }
  }

  /** A builder for {@code node}; the default network is always known. */
  public static Builder builder(NodeInfo node) {
    return new Builder(node);
  }

  /** An empty table: what a node serves before its first sync. */
  public static ServiceTable empty(NodeInfo node) {
    return builder(node).build();
  }

  // Network id (16 bits), IP protocol number (8 bits) and port (16 bits) share one word.
  private static long meta(int networkId, Protocol protocol, int port) {
    return OCCUPIED | (long) networkId << 24 | (long) protocol.number() << 16 | port;
  }

  private int slot(long high, long low, long meta) {
    return (int) Hashing.mix(high, low, meta) & mask;
  }

  private void insert(int networkId, IpAddress a, Protocol p, int port, ServiceEntry entry) {
    long meta = meta(networkId, p, port);
    int i = slot(a.high(), a.low(), meta);
    while (slots[i * STRIDE + 2] != 0) {
      i = (i + 1) & mask;
    }
    slots[i * STRIDE] = a.high();
    slots[i * STRIDE + 1] = a.low();
    slots[i * STRIDE + 2] = meta;
    values[i] = entry;
  }

  /**
   * The hot path: the entry for a packet's destination, or null when no service port matches.
   * Allocates nothing.
   *
   * @param networkId the network the packet arrived from (0 for the default network)
   * @param addressHigh {@link IpAddress#high()} of the destination
   * @param addressLow {@link IpAddress#low()} of the destination (IPv4 in mapped form)
   */
  public @Nullable ServiceEntry lookup(
      int networkId, long addressHigh, long addressLow, Protocol protocol, int port) {
    if (((networkId | port) & ~0xFFFF) != 0) {
      return null; // out of range: never indexed, and must not alias a valid key
    }
    long meta = meta(networkId, protocol, port);
    long[] s = slots;
    int m = mask;
    int i = (int) Hashing.mix(addressHigh, addressLow, meta) & m;
    while (true) {
      int base = i * STRIDE;
      long found = s[base + 2];
      if (found == meta && s[base] == addressHigh && s[base + 1] == addressLow) {
        return values[i];
      }
      if (found == 0) {
        return null;
      }
      i = (i + 1) & m;
    }
  }

  /** {@link #lookup(int, long, long, Protocol, int)} for an address object. */
  public @Nullable ServiceEntry lookup(
      int networkId, IpAddress address, Protocol protocol, int port) {
    requireNonNull(address, "address");
    requireNonNull(protocol, "protocol");
    return lookup(networkId, address.high(), address.low(), protocol, port);
  }

  /** The cluster-IP entry of a service port, or null. */
  public @Nullable ServiceEntry entry(ServicePortKey key) {
    PortState s = ports.get(requireNonNull(key, "key"));
    return s == null ? null : s.internal;
  }

  /**
   * The external entry of a service port (its NodePort, external and load-balancer addresses;
   * external traffic policy), or null when it has none of them.
   */
  public @Nullable ServiceEntry externalEntry(ServicePortKey key) {
    PortState s = ports.get(requireNonNull(key, "key"));
    return s == null ? null : s.external;
  }

  public @Nullable ServicePort servicePort(ServicePortKey key) {
    PortState s = ports.get(requireNonNull(key, "key"));
    return s == null ? null : s.servicePort;
  }

  /** Every accepted service port. */
  public Collection<ServicePort> servicePorts() {
    var out = new ArrayList<ServicePort>(ports.size());
    for (PortState s : ports.values()) {
      out.add(s.servicePort);
    }
    return out;
  }

  /** What {@link #forEachPort} hands over for each service port. */
  @FunctionalInterface
  public interface PortVisitor {
    void visit(ServicePort port, ServiceEntry internal, @Nullable ServiceEntry external);
  }

  /** Every accepted service port with its entries, without copying or looking anything up. */
  public void forEachPort(PortVisitor visitor) {
    requireNonNull(visitor, "visitor");
    for (PortState s : ports.values()) {
      visitor.visit(s.servicePort, s.internal, s.external);
    }
  }

  /** How many service ports the table holds. */
  public int size() {
    return ports.size();
  }

  /** How many addresses are indexed: cluster IPs plus external addresses. */
  public int indexedKeys() {
    return indexed;
  }

  public NodeInfo node() {
    return node;
  }

  public Map<Integer, Network> networks() {
    return networks;
  }

  /** What the build left out, and why; the caller turns these into Events, logs and metrics. */
  public List<Rejection> rejections() {
    return rejections;
  }

  /**
   * Exactly the service ports added, removed and changed from {@code previous} to {@code next}:
   * empty when a rebuild changed nothing.
   */
  public static TableDiff diff(ServiceTable previous, ServiceTable next) {
    requireNonNull(previous, "previous");
    requireNonNull(next, "next");
    var added = new ArrayList<ServicePortKey>();
    var changed = new ArrayList<ServicePortKey>();
    var removed = new ArrayList<ServicePortKey>();
    for (Map.Entry<ServicePortKey, PortState> e : next.ports.entrySet()) {
      PortState before = previous.ports.get(e.getKey());
      if (before == null) {
        added.add(e.getKey());
      } else if (!before.sameAs(e.getValue())) {
        changed.add(e.getKey());
      }
    }
    for (ServicePortKey k : previous.ports.keySet()) {
      if (!next.ports.containsKey(k)) {
        removed.add(k);
      }
    }
    added.sort(null);
    changed.sort(null);
    removed.sort(null);
    return new TableDiff(added, removed, changed);
  }

  /** One service port as this node serves it. */
  private record PortState(
      ServicePort servicePort, ServiceEntry internal, @Nullable ServiceEntry external) {

    @SuppressWarnings("ReferenceEquality") // identity first: reused entries skip the deep compare
    boolean sameAs(PortState o) {
      ServiceEntry ext = external;
      ServiceEntry otherExt = o.external;
      return this == o
          || (internal.sameAs(o.internal)
              && (ext == null ? otherExt == null : otherExt != null && ext.sameAs(otherExt)));
    }
  }

  /**
   * Collects service ports for one node. Invalid input is rejected port by port with a reason; the
   * rest of the table is built regardless.
   */
  public static final class Builder {
    private final NodeInfo node;
    private final Map<Integer, Network> networks = new TreeMap<>();
    private final Map<ServicePortKey, PortState> ports = new HashMap<>();
    private final Map<ServicePortKey, ServicePortKey> externalKeys = new HashMap<>();
    private final List<Rejection> rejections = new ArrayList<>();
    private @Nullable ServiceTable previous;
    private boolean built;

    private Builder(NodeInfo node) {
      this.node = requireNonNull(node, "node");
      networks.put(Network.DEFAULT_ID, Network.DEFAULT);
    }

    /** Adds a network; ids and names must be unique. */
    public Builder network(Network network) {
      requireNonNull(network, "network");
      if (network.isDefault()) {
        return this;
      }
      Network existing = networks.get(network.id());
      if (existing != null && !existing.equals(network)) {
        throw new IllegalArgumentException(
            "network: "
                + network.name()
                + " id "
                + network.id()
                + " (expected: unique id; "
                + existing.name()
                + " has it)");
      }
      for (Network n : networks.values()) {
        if (n.name().equals(network.name()) && n.id() != network.id()) {
          throw new IllegalArgumentException(
              "network: " + network.name() + " (expected: unique name; id " + n.id() + " has it)");
        }
      }
      networks.put(network.id(), network);
      return this;
    }

    /**
     * The table this one replaces: service ports that did not change reuse its entries (and their
     * Maglev tables) instead of being rebuilt.
     */
    public Builder previous(@Nullable ServiceTable previous) {
      this.previous = previous;
      return this;
    }

    /** Adds a service port; returns false and records a {@link Rejection} when it is invalid. */
    public boolean add(ServicePort port) {
      requireNonNull(port, "port");
      if (built) {
        throw new IllegalStateException("add: after build (expected: a new builder)");
      }
      ServicePortKey key = port.key();
      Network network = networks.get(key.networkId());
      if (network == null) {
        return reject(
            port, "network: " + key.networkId() + " (expected: one of " + networks.keySet() + ")");
      }
      if (!network.isServiceAddress(key.address())) {
        return reject(
            port,
            "address: "
                + key.address()
                + " (expected: within network "
                + network.name()
                + "'s service CIDRs "
                + network.serviceCidrs()
                + ")");
      }
      String clash = clash(key);
      if (clash != null) {
        return reject(port, "key: " + key + " (expected: unique; " + clash + ")");
      }
      for (IpAddress a : port.externalAddresses()) {
        var ext = new ServicePortKey(key.networkId(), a, key.protocol(), key.port());
        String extClash = clash(ext);
        if (extClash != null) {
          return reject(port, "externalAddresses: " + a + " (expected: unique; " + extClash + ")");
        }
      }
      ServicePort accepted = dropForeignEndpoints(port, network);
      PortState state = reuse(accepted);
      if (state == null) {
        EndpointCategories c = EndpointSelection.categorize(accepted, node);
        boolean any = c.hasAnyEndpoints();
        PortState old = previous == null ? null : previous.ports.get(key);
        ServiceEntry internal =
            new ServiceEntry(
                key,
                accepted,
                false,
                c.forInternal(accepted.policy()),
                any,
                old == null ? 0 : old.internal.maglevTableSize());
        ServiceEntry oldExternal = old == null ? null : old.external;
        // A NodePort is external traffic too: it needs the external entry even when the port
        // has no external or load-balancer addresses.
        ServiceEntry external =
            !accepted.externallyAccessible()
                ? null
                : new ServiceEntry(
                    key,
                    accepted,
                    true,
                    c.forExternal(accepted.policy()),
                    any,
                    oldExternal == null ? 0 : oldExternal.maglevTableSize());
        state = new PortState(accepted, internal, external);
      }
      ports.put(key, state);
      for (IpAddress a : accepted.externalAddresses()) {
        externalKeys.put(new ServicePortKey(key.networkId(), a, key.protocol(), key.port()), key);
      }
      return true;
    }

    /** The table; the builder is spent afterwards (its map becomes the table's, uncopied). */
    public ServiceTable build() {
      if (built) {
        throw new IllegalStateException("build: called twice (expected: one table per builder)");
      }
      built = true;
      return new ServiceTable(node, new TreeMap<>(networks), ports, rejections);
    }

    @SuppressWarnings("ReferenceEquality") // identity first: the common unchanged case is cheap
    private @Nullable PortState reuse(ServicePort port) {
      ServiceTable prev = previous;
      if (prev == null || !prev.node.equals(node)) {
        return null;
      }
      PortState s = prev.ports.get(port.key());
      return s != null && (s.servicePort == port || s.servicePort.equals(port)) ? s : null;
    }

    private @Nullable String clash(ServicePortKey key) {
      PortState existing = ports.get(key);
      if (existing != null) {
        return "service " + existing.servicePort.name() + " has it";
      }
      ServicePortKey owner = externalKeys.get(key);
      if (owner != null) {
        PortState o = ports.get(owner);
        return "service " + (o == null ? owner : o.servicePort.name()) + " has it as external";
      }
      return null;
    }

    private ServicePort dropForeignEndpoints(ServicePort port, Network network) {
      if (network.podCidrs().isEmpty()) {
        return port;
      }
      List<Endpoint> kept = new ArrayList<>(port.endpoints().size());
      for (Endpoint e : port.endpoints()) {
        if (network.isPodAddress(e.address())) {
          kept.add(e);
        } else {
          rejections.add(
              new Rejection(
                  port.name(),
                  "endpoint: "
                      + e.hostPort()
                      + " (expected: within network "
                      + network.name()
                      + "'s pod CIDRs "
                      + network.podCidrs()
                      + ")"));
        }
      }
      return kept.size() == port.endpoints().size() ? port : port.withEndpoints(kept);
    }

    private boolean reject(ServicePort port, String reason) {
      rejections.add(new Rejection(port.name(), reason));
      return false;
    }
  }
}
