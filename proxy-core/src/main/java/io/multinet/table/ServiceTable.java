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
import java.util.Arrays;
import java.util.Collection;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicLong;
import org.jspecify.annotations.Nullable;

/**
 * An immutable snapshot of every service port one node serves, across all networks, with the hot
 * lookup path: (network id, destination address, protocol, port) → {@link ServiceEntry}, then
 * {@link ServiceEntry#select(int)} → backend.
 *
 * <p>Design. The index is open addressing with linear probing over pages of {@code long}s holding
 * three words a slot (address high, address low, and network id | protocol | port with an occupied
 * bit), so a probe reads one or two cache lines of one page and compares primitives; the entries
 * sit in parallel pages. The load factor is at most 1/2, so a miss ends at an empty slot after a
 * short run. Nothing on the lookup path allocates, locks or writes: a snapshot is read-only once
 * built and reaches readers through one volatile reference ({@link ServiceTableHolder}), so a
 * reader sees either the old table or the new one, whole.
 *
 * <p>The index is also the table's map of service ports: a cluster IP's slot holds the port's
 * internal entry (whose {@link ServiceEntry#servicePort()} is the port) and, in a third page array,
 * its external entry. {@link #patch} starts a table from another one sharing every page and copies
 * a page only when it writes to it, so a sync that changes k ports costs O(k) pages plus one copy
 * of the page arrays (a few hundred references at 100k ports), and {@link #diff} of a patched table
 * against the one it was patched from reads only the keys the patch touched.
 *
 * <p>Each service port is indexed under its cluster IP (internal traffic policy) and under each
 * external or load-balancer address (external traffic policy). NodePorts share the external entry
 * but are keyed by node address, which is the dataplane's business, not this index's.
 */
public final class ServiceTable {

  private static final long OCCUPIED = 1L << 62;
  private static final int STRIDE = 3;
  // 512 slots a page: 12 KiB of words and 2 KiB of references, so a one-port patch copies a few
  // KiB, and 100k ports (512k slots at most) need 1,024 pages.
  private static final int PAGE_BITS = 9;
  private static final int MIN_CAPACITY = 4;
  private static final AtomicLong IDS = new AtomicLong();

  private final long id;
  private final NodeInfo node;
  private final Map<Integer, Network> networks;
  private final List<Rejected> rejected;
  private final List<Rejection> rejections;
  private final long[][] slots;
  private final @Nullable ServiceEntry[][] values;
  private final @Nullable ServiceEntry[][] externals;
  private final int mask;
  private final int shift;
  private final int pageMask;
  private final int indexed;
  private final int size;
  // The table this one was patched from (0: none) and the cluster keys the patch touched.
  private final long baseId;
  private final ServicePortKey[] touched;

  private ServiceTable(
      NodeInfo node,
      Map<Integer, Network> networks,
      Index index,
      List<Rejected> rejected,
      long baseId,
      ServicePortKey[] touched) {
    this.id = IDS.incrementAndGet();
    this.node = node;
    this.networks = Collections.unmodifiableMap(networks);
    this.rejected = List.copyOf(rejected);
    var list = new ArrayList<Rejection>(rejected.size());
    for (Rejected r : rejected) {
      list.add(r.rejection);
    }
    this.rejections = Collections.unmodifiableList(list);
    this.slots = index.slots;
    this.values = index.values;
    this.externals = index.externals;
    this.mask = index.mask;
    this.shift = index.shift;
    this.pageMask = index.pageMask;
    this.indexed = index.indexed;
    this.size = index.size;
    this.baseId = baseId;
    this.touched = touched;
  }

  /** A builder for {@code node}; the default network is always known. */
  public static Builder builder(NodeInfo node) {
    return new Builder(node, null);
  }

  /**
   * A builder that starts from {@code base}: its node, networks, service ports and rejections.
   * {@link Builder#remove} takes ports out and {@link Builder#add} puts ports in; unchanged ports
   * keep their entries, and the pages of the index nobody writes to are shared with {@code base}.
   * Ports added again equal to their previous version keep their entries, as with {@link
   * Builder#previous}.
   */
  public static Builder patch(ServiceTable base) {
    return new Builder(requireNonNull(base, "base").node, base);
  }

  /** An empty table: what a node serves before its first sync. */
  public static ServiceTable empty(NodeInfo node) {
    return builder(node).build();
  }

  // Network id (16 bits), IP protocol number (8 bits) and port (16 bits) share one word.
  private static long meta(int networkId, Protocol protocol, int port) {
    return OCCUPIED | (long) networkId << 24 | (long) protocol.number() << 16 | port;
  }

  private static long meta(ServicePortKey k) {
    return meta(k.networkId(), k.protocol(), k.port());
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
    long[][] s = slots;
    int m = mask;
    int sh = shift;
    int pm = pageMask;
    int i = (int) Hashing.mix(addressHigh, addressLow, meta) & m;
    while (true) {
      long[] page = s[i >>> sh];
      int base = (i & pm) * STRIDE;
      long found = page[base + 2];
      if (found == meta && page[base] == addressHigh && page[base + 1] == addressLow) {
        return values[i >>> sh][i & pm];
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

  /** The slot holding {@code key}'s cluster IP entry, or -1. */
  private int portSlot(ServicePortKey key) {
    int i = Index.find(slots, mask, shift, pageMask, key.address(), meta(key));
    return i >= 0 && !values[i >>> shift][i & pageMask].isExternal() ? i : -1;
  }

  /** The cluster-IP entry of a service port, or null. */
  public @Nullable ServiceEntry entry(ServicePortKey key) {
    int i = portSlot(requireNonNull(key, "key"));
    return i < 0 ? null : values[i >>> shift][i & pageMask];
  }

  /**
   * The external entry of a service port (its NodePort, external and load-balancer addresses;
   * external traffic policy), or null when it has none of them.
   */
  public @Nullable ServiceEntry externalEntry(ServicePortKey key) {
    int i = portSlot(requireNonNull(key, "key"));
    return i < 0 ? null : externals[i >>> shift][i & pageMask];
  }

  public @Nullable ServicePort servicePort(ServicePortKey key) {
    ServiceEntry e = entry(key);
    return e == null ? null : e.servicePort();
  }

  /** Every accepted service port. */
  public Collection<ServicePort> servicePorts() {
    var out = new ArrayList<ServicePort>(size);
    forEachPort((sp, internal, external) -> out.add(sp));
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
    for (int p = 0; p < values.length; p++) {
      @Nullable ServiceEntry[] page = values[p];
      @Nullable ServiceEntry[] ext = externals[p];
      for (int j = 0; j < page.length; j++) {
        ServiceEntry e = page[j];
        if (e != null && !e.isExternal()) {
          visitor.visit(e.servicePort(), e, ext[j]);
        }
      }
    }
  }

  /** How many service ports the table holds. */
  public int size() {
    return size;
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
   * The service port keys (cluster IPs) whose ports or entries may differ from {@code previous}'s,
   * when this table was patched from {@code previous} ({@link #patch}); null when it was not, and
   * then any port may differ. Every other port has {@code previous}'s entries, the same objects.
   */
  public @Nullable List<ServicePortKey> touchedSince(ServiceTable previous) {
    requireNonNull(previous, "previous");
    return baseId == previous.id ? Collections.unmodifiableList(Arrays.asList(touched)) : null;
  }

  /**
   * Exactly the service ports added, removed and changed from {@code previous} to {@code next}:
   * empty when a rebuild changed nothing. When {@code next} was patched from {@code previous}
   * ({@link #patch}), only the ports the patch touched are compared.
   */
  public static TableDiff diff(ServiceTable previous, ServiceTable next) {
    requireNonNull(previous, "previous");
    requireNonNull(next, "next");
    var added = new ArrayList<ServicePortKey>();
    var changed = new ArrayList<ServicePortKey>();
    var removed = new ArrayList<ServicePortKey>();
    if (next.baseId == previous.id) {
      for (ServicePortKey k : next.touched) {
        ServiceEntry before = previous.entry(k);
        ServiceEntry after = next.entry(k);
        if (before == null) {
          if (after != null) {
            added.add(k);
          }
        } else if (after == null) {
          removed.add(k);
        } else if (!sameAs(before, previous.externalEntry(k), after, next.externalEntry(k))) {
          changed.add(k);
        }
      }
    } else {
      next.forEachPort(
          (sp, internal, external) -> {
            ServicePortKey k = sp.key();
            int i = previous.portSlot(k);
            if (i < 0) {
              added.add(k);
            } else if (!sameAs(
                previous.values[i >>> previous.shift][i & previous.pageMask],
                previous.externals[i >>> previous.shift][i & previous.pageMask],
                internal,
                external)) {
              changed.add(k);
            }
          });
      previous.forEachPort(
          (sp, internal, external) -> {
            if (next.portSlot(sp.key()) < 0) {
              removed.add(sp.key());
            }
          });
    }
    added.sort(null);
    changed.sort(null);
    removed.sort(null);
    return new TableDiff(added, removed, changed);
  }

  @SuppressWarnings("ReferenceEquality") // identity first: reused entries skip the deep compare
  private static boolean sameAs(
      ServiceEntry internal,
      @Nullable ServiceEntry external,
      ServiceEntry otherInternal,
      @Nullable ServiceEntry otherExternal) {
    return (internal == otherInternal && external == otherExternal)
        || (internal.sameAs(otherInternal)
            && (external == null
                ? otherExternal == null
                : otherExternal != null && external.sameAs(otherExternal)));
  }

  /**
   * A rejection with what it belongs to: the port ({@code name}, {@code key}) it was made for, and
   * for a port rejected because another one holds one of its keys, every key it claimed.
   */
  private record Rejected(Rejection rejection, ServicePortKey key, List<ServicePortKey> claims) {}

  /**
   * The index while a builder writes it: page arrays copied from the base table, pages copied on
   * their first write ({@code owned}), grown (rehashed) when more than half full.
   */
  private static final class Index {
    long[][] slots;
    @Nullable ServiceEntry[][] values;
    @Nullable ServiceEntry[][] externals;
    boolean[] owned;
    int mask;
    int shift;
    int pageMask;
    int indexed;
    int size;

    /** An empty index of {@code capacity} slots (a power of two). */
    Index(int capacity) {
      allocate(capacity);
    }

    /** {@code base}'s index, sharing its pages until they are written. */
    Index(ServiceTable base) {
      slots = base.slots.clone();
      values = base.values.clone();
      externals = base.externals.clone();
      owned = new boolean[slots.length];
      mask = base.mask;
      shift = base.shift;
      pageMask = base.pageMask;
      indexed = base.indexed;
      size = base.size;
    }

    private void allocate(int capacity) {
      int pageSlots = Math.min(capacity, 1 << PAGE_BITS);
      int pages = capacity / pageSlots;
      slots = new long[pages][pageSlots * STRIDE];
      values = new ServiceEntry[pages][pageSlots];
      externals = new ServiceEntry[pages][pageSlots];
      owned = new boolean[pages];
      Arrays.fill(owned, true);
      mask = capacity - 1;
      shift = Integer.numberOfTrailingZeros(pageSlots);
      pageMask = pageSlots - 1;
    }

    static int find(long[][] slots, int mask, int shift, int pageMask, IpAddress a, long meta) {
      long high = a.high();
      long low = a.low();
      int i = (int) Hashing.mix(high, low, meta) & mask;
      while (true) {
        long[] page = slots[i >>> shift];
        int base = (i & pageMask) * STRIDE;
        long found = page[base + 2];
        if (found == meta && page[base] == high && page[base + 1] == low) {
          return i;
        }
        if (found == 0) {
          return -1;
        }
        i = (i + 1) & mask;
      }
    }

    int find(IpAddress a, long meta) {
      return find(slots, mask, shift, pageMask, a, meta);
    }

    ServiceEntry value(int i) {
      return values[i >>> shift][i & pageMask];
    }

    @Nullable ServiceEntry external(int i) {
      return externals[i >>> shift][i & pageMask];
    }

    private void own(int page) {
      if (!owned[page]) {
        slots[page] = slots[page].clone();
        values[page] = values[page].clone();
        externals[page] = externals[page].clone();
        owned[page] = true;
      }
    }

    /** Makes room for {@code more} keys beyond those indexed, keeping the load at most 1/2. */
    void reserve(int more) {
      int capacity = mask + 1;
      if ((long) (indexed + more) * 2 > capacity) {
        rehash(capacityFor(indexed + more));
      }
    }

    /** Shrinks a table that lost most of its keys, so a scan stays proportional to its size. */
    void trim() {
      int capacity = mask + 1;
      if (capacity > MIN_CAPACITY && (long) indexed * 8 < capacity) {
        rehash(capacityFor(indexed));
      }
    }

    private static int capacityFor(int keys) {
      return Math.max(MIN_CAPACITY, Integer.highestOneBit(Math.max(2, keys) * 2 - 1) << 1);
    }

    private void rehash(int capacity) {
      long[][] oldSlots = slots;
      @Nullable ServiceEntry[][] oldValues = values;
      @Nullable ServiceEntry[][] oldExternals = externals;
      allocate(capacity);
      for (int p = 0; p < oldSlots.length; p++) {
        long[] page = oldSlots[p];
        for (int j = 0; j < oldValues[p].length; j++) {
          long meta = page[j * STRIDE + 2];
          if (meta != 0) {
            int i = insert(page[j * STRIDE], page[j * STRIDE + 1], meta, oldValues[p][j]);
            setExternal(i, oldExternals[p][j]);
          }
        }
      }
    }

    /** Writes a key known to be absent; returns its slot. Call {@link #reserve} first. */
    int insert(long high, long low, long meta, ServiceEntry entry) {
      int i = (int) Hashing.mix(high, low, meta) & mask;
      while (slots[i >>> shift][(i & pageMask) * STRIDE + 2] != 0) {
        i = (i + 1) & mask;
      }
      int p = i >>> shift;
      own(p);
      int base = (i & pageMask) * STRIDE;
      slots[p][base] = high;
      slots[p][base + 1] = low;
      slots[p][base + 2] = meta;
      values[p][i & pageMask] = entry;
      return i;
    }

    void setExternal(int i, @Nullable ServiceEntry external) {
      int p = i >>> shift;
      if (externals[p][i & pageMask] != external) {
        own(p);
        externals[p][i & pageMask] = external;
      }
    }

    /**
     * Empties slot {@code i}, moving later keys of its run back so that every key stays reachable
     * from its home slot (deletion without tombstones).
     */
    void delete(int i) {
      int hole = i;
      int j = i;
      while (true) {
        j = (j + 1) & mask;
        long[] page = slots[j >>> shift];
        int base = (j & pageMask) * STRIDE;
        long meta = page[base + 2];
        if (meta == 0) {
          break;
        }
        int home = (int) Hashing.mix(page[base], page[base + 1], meta) & mask;
        // The key at j may fill the hole unless its home lies cyclically in (hole, j].
        boolean stays = hole <= j ? hole < home && home <= j : hole < home || home <= j;
        if (!stays) {
          move(j, hole);
          hole = j;
        }
      }
      clear(hole);
    }

    private void move(int from, int to) {
      int fp = from >>> shift;
      int tp = to >>> shift;
      own(tp);
      int fb = (from & pageMask) * STRIDE;
      int tb = (to & pageMask) * STRIDE;
      System.arraycopy(slots[fp], fb, slots[tp], tb, STRIDE);
      values[tp][to & pageMask] = values[fp][from & pageMask];
      externals[tp][to & pageMask] = externals[fp][from & pageMask];
    }

    private void clear(int i) {
      int p = i >>> shift;
      own(p);
      int base = (i & pageMask) * STRIDE;
      slots[p][base] = 0;
      slots[p][base + 1] = 0;
      slots[p][base + 2] = 0;
      values[p][i & pageMask] = null;
      externals[p][i & pageMask] = null;
    }
  }

  /**
   * Collects service ports for one node. Invalid input is rejected port by port with a reason; the
   * rest of the table is built regardless. A port is rejected when one of its keys (cluster IP or
   * external address, with network, protocol and port) is already another port's: the first one
   * added wins.
   */
  public static final class Builder {
    private final NodeInfo node;
    private final Map<Integer, Network> networks = new TreeMap<>();
    private final Index index;
    private final List<Rejected> rejected;
    private final @Nullable ServiceTable base;
    private final Set<ServicePortKey> touched = new HashSet<>();
    private @Nullable ServiceTable previous;
    private boolean clashed;
    private boolean built;

    private Builder(NodeInfo node, @Nullable ServiceTable base) {
      this.node = requireNonNull(node, "node");
      this.base = base;
      networks.put(Network.DEFAULT_ID, Network.DEFAULT);
      if (base == null) {
        index = new Index(MIN_CAPACITY);
        rejected = new ArrayList<>();
      } else {
        networks.putAll(base.networks);
        index = new Index(base);
        rejected = new ArrayList<>(base.rejected);
        previous = base;
      }
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
     * Maglev tables) instead of being rebuilt. A {@link #patch} builder's is its base.
     */
    public Builder previous(@Nullable ServiceTable previous) {
      this.previous = previous;
      return this;
    }

    /**
     * Takes out {@code port}, as it was once {@link #add added}: the port it became, if it was
     * accepted, and the rejections it caused. Returns whether the table held it.
     */
    @SuppressWarnings("ReferenceEquality") // an external slot is the port's when it holds its entry
    public boolean remove(ServicePort port) {
      requireNonNull(port, "port");
      checkNotBuilt("remove");
      ServicePortKey key = port.key();
      touch(key);
      for (int r = rejected.size() - 1; r >= 0; r--) {
        Rejected rej = rejected.get(r);
        // A rejected port holds no key, so taking it out changes no other port.
        if (rej.key.equals(key) && rej.rejection.name().equals(port.name())) {
          rejected.remove(r);
        }
      }
      int i = index.find(key.address(), meta(key));
      if (i < 0) {
        return false;
      }
      ServiceEntry internal = index.value(i);
      if (internal.isExternal() || !internal.servicePort().name().equals(port.name())) {
        return false; // another port's key: this one was rejected
      }
      ServiceEntry external = index.external(i);
      ServicePort held = internal.servicePort();
      claimedByRejected(key);
      index.delete(i);
      index.indexed--;
      index.size--;
      if (external != null) {
        for (IpAddress a : held.externalAddresses()) {
          var ext = new ServicePortKey(key.networkId(), a, key.protocol(), key.port());
          int e = index.find(a, meta(ext));
          if (e >= 0 && index.value(e) == external) {
            claimedByRejected(ext);
            index.delete(e);
            index.indexed--;
          }
        }
      }
      return true;
    }

    private void touch(ServicePortKey key) {
      if (base != null) {
        touched.add(key);
      }
    }

    private void claimedByRejected(ServicePortKey key) {
      if (clashed) {
        return;
      }
      for (Rejected r : rejected) {
        if (r.claims.contains(key)) {
          clashed = true;
          return;
        }
      }
    }

    /** Adds a service port; returns false and records a {@link Rejection} when it is invalid. */
    public boolean add(ServicePort port) {
      requireNonNull(port, "port");
      checkNotBuilt("add");
      ServicePortKey key = port.key();
      touch(key);
      Network network = networks.get(key.networkId());
      if (network == null) {
        return reject(
            port,
            "network: " + key.networkId() + " (expected: one of " + networks.keySet() + ")",
            false);
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
                + ")",
            false);
      }
      String clash = clash(key);
      if (clash != null) {
        return reject(port, "key: " + key + " (expected: unique; " + clash + ")", true);
      }
      for (IpAddress a : port.externalAddresses()) {
        var ext = new ServicePortKey(key.networkId(), a, key.protocol(), key.port());
        String extClash = clash(ext);
        if (extClash != null) {
          return reject(
              port, "externalAddresses: " + a + " (expected: unique; " + extClash + ")", true);
        }
      }
      ServicePort accepted = dropForeignEndpoints(port, network);
      ServiceTable prev = previous;
      int old = prev == null ? -1 : prev.portSlot(key);
      ServiceEntry oldInternal =
          prev == null || old < 0 ? null : prev.values[old >>> prev.shift][old & prev.pageMask];
      ServiceEntry oldExternal =
          prev == null || old < 0 ? null : prev.externals[old >>> prev.shift][old & prev.pageMask];
      ServiceEntry internal;
      ServiceEntry external;
      // Entries depend on the node (local endpoints, zone hints): reused only on the same node.
      if (oldInternal != null
          && prev != null
          && prev.node.equals(node)
          && same(oldInternal.servicePort(), accepted)) {
        internal = oldInternal;
        external = oldExternal;
      } else {
        EndpointCategories c = EndpointSelection.categorize(accepted, node);
        boolean any = c.hasAnyEndpoints();
        internal =
            new ServiceEntry(
                key,
                accepted,
                false,
                c.forInternal(accepted.policy()),
                any,
                oldInternal == null ? 0 : oldInternal.maglevTableSize());
        // A NodePort is external traffic too: it needs the external entry even when the port
        // has no external or load-balancer addresses.
        external =
            !accepted.externallyAccessible()
                ? null
                : new ServiceEntry(
                    key,
                    accepted,
                    true,
                    c.forExternal(accepted.policy()),
                    any,
                    oldExternal == null ? 0 : oldExternal.maglevTableSize());
      }
      index.reserve(1 + accepted.externalAddresses().size());
      IpAddress a0 = key.address();
      int i = index.insert(a0.high(), a0.low(), meta(key), internal);
      index.setExternal(i, external);
      index.indexed++;
      index.size++;
      if (external != null) {
        for (IpAddress a : accepted.externalAddresses()) {
          long meta = meta(key);
          if (index.find(a, meta) < 0) { // a port naming one address twice indexes it once
            index.insert(a.high(), a.low(), meta, external);
            index.indexed++;
          }
        }
      }
      return true;
    }

    @SuppressWarnings("ReferenceEquality") // identity first: the common unchanged case is cheap
    private static boolean same(ServicePort a, ServicePort b) {
      return a == b || a.equals(b);
    }

    /**
     * Whether this builder rejected a port for a key another port holds, or took out a port such a
     * rejection was about: which port wins then depends on the order of {@link #add} calls, so a
     * caller that patches a table built in some order rebuilds it in that order instead.
     */
    public boolean clashed() {
      return clashed;
    }

    /** The table; the builder is spent afterwards. */
    public ServiceTable build() {
      checkNotBuilt("build");
      built = true;
      index.trim();
      ServiceTable b = base;
      return new ServiceTable(
          node,
          new TreeMap<>(networks),
          index,
          rejected,
          b == null ? 0 : b.id,
          b == null ? new ServicePortKey[0] : touched.toArray(new ServicePortKey[0]));
    }

    private void checkNotBuilt(String method) {
      if (built) {
        throw new IllegalStateException(method + ": after build (expected: a new builder)");
      }
    }

    private @Nullable String clash(ServicePortKey key) {
      int i = index.find(key.address(), meta(key));
      if (i < 0) {
        return null;
      }
      ServiceEntry e = index.value(i);
      return "service "
          + e.servicePort().name()
          + " has it"
          + (e.isExternal() ? " as external" : "");
    }

    private ServicePort dropForeignEndpoints(ServicePort port, Network network) {
      // A node-local port's endpoint is the node's own listener, in no network's pod range.
      if (network.podCidrs().isEmpty() || port.name().isNodeLocal()) {
        return port;
      }
      List<Endpoint> kept = new ArrayList<>(port.endpoints().size());
      for (Endpoint e : port.endpoints()) {
        if (network.isPodAddress(e.address())) {
          kept.add(e);
        } else {
          rejected.add(
              new Rejected(
                  new Rejection(
                      port.name(),
                      "endpoint: "
                          + e.hostPort()
                          + " (expected: within network "
                          + network.name()
                          + "'s pod CIDRs "
                          + network.podCidrs()
                          + ")"),
                  port.key(),
                  List.of()));
        }
      }
      return kept.size() == port.endpoints().size() ? port : port.withEndpoints(kept);
    }

    private boolean reject(ServicePort port, String reason, boolean clash) {
      List<ServicePortKey> claims = List.of();
      if (clash) {
        clashed = true;
        var keys = new ArrayList<ServicePortKey>();
        ServicePortKey k = port.key();
        keys.add(k);
        for (IpAddress a : port.externalAddresses()) {
          keys.add(new ServicePortKey(k.networkId(), a, k.protocol(), k.port()));
        }
        claims = keys;
      }
      rejected.add(new Rejected(new Rejection(port.name(), reason), port.key(), claims));
      return false;
    }
  }
}
