package io.multinet.dataplane.kernel;

import static java.util.Objects.requireNonNull;

import io.multinet.dataplane.kernel.KernelPlan.Instance;
import io.multinet.dataplane.kernel.KernelPlan.Port;
import io.multinet.dataplane.v1.Protocol;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * The {@code svc} and endpoint-map elements of a full sync ({@link ElementOps#bulk}), written in
 * netlink transactions of at most {@code batchElements} elements each instead of one: the kernel
 * holds its nfnl commit lock for one transaction at a time, and one of a million elements holds it
 * for seconds (kubernetes/kubernetes #139328). A transaction always carries whole service ports, so
 * every commit leaves a ruleset in which a VIP is either absent or complete with all its backends;
 * a port with more elements than the limit goes alone, in a transaction of its own.
 *
 * <p>Over an existing table ({@link #writeDiff}) only what differs from the kernel's elements (read
 * back with a netlink dump, {@link #readBack}) is written, port by port in key order; elements of
 * ports no longer wanted are deleted last, their {@code svc} element in the same transaction as
 * their endpoints. Not thread-safe.
 */
final class BulkSync {

  static final int DEFAULT_BATCH_ELEMENTS = 10_000;
  static final int MAX_BATCH_ELEMENTS = 1_000_000;

  /** Told of every transaction committed. */
  interface Committed {
    /**
     * One transaction committed.
     *
     * @param elements elements written (added or deleted)
     * @param nanos the commit's time, from send to the kernel's answer
     * @param ports the service port keys of the elements, in order (empty for stale ones)
     */
    void committed(int elements, long nanos, List<String> ports);
  }

  /** The kernel's elements by set, then key; {@link #writeDiff} takes out what it keeps. */
  static final class Existing {
    final Map<String, Map<Bytes, byte[]>> sets = new LinkedHashMap<>();

    int size() {
      int n = 0;
      for (var m : sets.values()) {
        n += m.size();
      }
      return n;
    }
  }

  private final NfNetlink netlink;
  private final int batchElements;
  private final Committed committed;
  private final SetElementBatch batch = new SetElementBatch(KernelPlan.TABLE_NAME);
  private final List<String> batchPorts = new ArrayList<>();

  BulkSync(NfNetlink netlink, int batchElements, Committed committed) {
    this.netlink = requireNonNull(netlink, "netlink");
    this.batchElements = checkBatchElements(batchElements);
    this.committed = requireNonNull(committed, "committed");
  }

  static int checkBatchElements(int n) {
    if (n < 1 || n > MAX_BATCH_ELEMENTS) {
      throw new IllegalArgumentException(
          "batchElements: " + n + " (expected: 1-" + MAX_BATCH_ELEMENTS + ")");
    }
    return n;
  }

  /** The maps {@link ElementOps#bulk} fills, by name. */
  static List<String> bulkMapNames() {
    List<String> out = new ArrayList<>();
    out.add(new KernelPlan.ServiceMap(true, false, 0).name());
    out.add(new KernelPlan.ServiceMap(false, false, 0).name());
    for (boolean v4 : List.of(true, false)) {
      for (Protocol p : KernelPlan.PROTOCOLS) {
        out.add(new KernelPlan.EndpointMap(v4, p, 0).name());
      }
    }
    return out;
  }

  /** Reads the bulk maps' elements back from the kernel; a map that is missing reads as empty. */
  static Existing readBack(NfNetlink netlink) throws NfNetlinkException {
    var out = new Existing();
    for (String set : bulkMapNames()) {
      Map<Bytes, byte[]> elements = new HashMap<>();
      try {
        netlink.dump(
            KernelPlan.TABLE_NAME, set, (s, key, data) -> elements.put(new Bytes(key), data));
      } catch (NfNetlinkException e) {
        if (e.errno() != 2) { // ENOENT: the overlay declares it, empty
          throw e;
        }
      }
      out.sets.put(set, elements);
    }
    return out;
  }

  /** Writes every port's elements into maps that hold none (a cold start). */
  void writeAll(KernelPlan plan) throws NfNetlinkException {
    for (var e : plan.ports().entrySet()) {
      List<Instance> instances = e.getValue().instances();
      if (instances.isEmpty()) {
        continue;
      }
      int n = 0;
      for (Instance i : instances) {
        n += 1 + i.slots().size();
      }
      room(n);
      ElementOps.write(ElementOps.bulk(instances), batch);
      batchPorts.add(e.getKey());
    }
    flush();
  }

  /**
   * Writes what takes the kernel's elements ({@code existing}, emptied of what is kept) to the
   * plan's: per port, its changed elements (a changed one deleted and added again in the same
   * transaction: the kernel refuses an add over an element with other data), then the elements no
   * port wants any more.
   */
  void writeDiff(KernelPlan plan, Existing existing) throws NfNetlinkException {
    var scratch = new SetElementBatch(KernelPlan.TABLE_NAME);
    List<Raw> deletes = new ArrayList<>();
    List<Raw> adds = new ArrayList<>();
    for (var e : plan.ports().entrySet()) {
      Port port = e.getValue();
      if (port.instances().isEmpty()) {
        continue;
      }
      scratch.reset();
      ElementOps.write(ElementOps.bulk(port.instances()), scratch);
      deletes.clear();
      adds.clear();
      scratch.forEachElement(
          (set, key, data) -> {
            Map<Bytes, byte[]> kernel = existing.sets.get(set);
            byte[] old = kernel == null ? null : kernel.remove(new Bytes(key));
            if (old != null && Arrays.equals(old, data)) {
              return;
            }
            if (old != null) {
              deletes.add(new Raw(set, key, new byte[0]));
            }
            adds.add(new Raw(set, key, data));
          });
      if (deletes.isEmpty() && adds.isEmpty()) {
        continue;
      }
      room(deletes.size() + adds.size());
      deletes.forEach(d -> write(true, d));
      adds.forEach(a -> write(false, a));
      batchPorts.add(e.getKey());
    }
    // What is left belongs to no wanted element: stale ports (and slots past a port's new size,
    // which its balancing no longer reaches), grouped by instance.
    var stale = new LinkedHashMap<Bytes, List<Raw>>();
    for (var s : existing.sets.entrySet()) {
      for (Bytes key : s.getValue().keySet()) {
        stale
            .computeIfAbsent(instance(s.getKey(), key.bytes), k -> new ArrayList<>())
            .add(new Raw(s.getKey(), key.bytes, new byte[0]));
      }
    }
    for (List<Raw> elements : stale.values()) {
      room(elements.size());
      elements.forEach(d -> write(true, d));
    }
    flush();
  }

  /**
   * The instance an element of a bulk map belongs to: family, zone and VIP, protocol and port, from
   * a {@code svc} key (zone . vip . proto . port) or an endpoint-map key (zone . vip . port . slot,
   * the protocol in the map's name).
   */
  static Bytes instance(String set, byte[] key) {
    int n = key.length;
    byte[] out = new byte[n - 8 + 3];
    System.arraycopy(key, 0, out, 0, n - 8);
    if (set.startsWith("svc")) {
      out[n - 8] = key[n - 8];
      out[n - 7] = key[n - 4];
      out[n - 6] = key[n - 3];
    } else {
      String proto = set.substring(set.indexOf('_') + 1);
      out[n - 8] =
          (byte)
              ElementOps.protocolNumber(Protocol.valueOf(proto.toUpperCase(java.util.Locale.ROOT)));
      out[n - 7] = key[n - 8];
      out[n - 6] = key[n - 7];
    }
    return new Bytes(out);
  }

  /** A key (or an instance's identity), compared by content. */
  static final class Bytes {
    final byte[] bytes;

    Bytes(byte[] bytes) {
      this.bytes = bytes;
    }

    @Override
    public boolean equals(@Nullable Object o) {
      return o instanceof Bytes b && Arrays.equals(bytes, b.bytes);
    }

    @Override
    public int hashCode() {
      return Arrays.hashCode(bytes);
    }
  }

  /** An element as {@link NfNetlink#parseElements} decodes it. */
  private static final class Raw {
    final String set;
    final byte[] key;
    final byte[] data;

    Raw(String set, byte[] key, byte[] data) {
      this.set = set;
      this.key = key;
      this.data = data;
    }
  }

  private void write(boolean delete, Raw e) {
    String set = e.set;
    byte[] data = e.data;
    ElementKey k = (delete ? batch.delete(set) : batch.add(set)).raw(e.key);
    if (delete || data.length == 0) {
      k.end();
    } else if (data[0] == NfNetlink.DATA_VALUE) {
      k.data().raw(Arrays.copyOfRange(data, 1, data.length)).end();
    } else {
      int code =
          (data[1] & 0xff) << 24
              | (data[2] & 0xff) << 16
              | (data[3] & 0xff) << 8
              | (data[4] & 0xff);
      batch.verdict(code, new String(data, 5, data.length - 5, StandardCharsets.US_ASCII));
    }
  }

  /** Commits the batch first if {@code n} more elements would take it past the limit. */
  private void room(int n) throws NfNetlinkException {
    if (batch.elements() > 0 && batch.elements() + n > batchElements) {
      flush();
    }
  }

  private void flush() throws NfNetlinkException {
    int n = batch.elements();
    if (n == 0) {
      return;
    }
    long start = System.nanoTime();
    netlink.commit(batch);
    long nanos = System.nanoTime() - start;
    List<String> ports = List.copyOf(batchPorts);
    batch.reset();
    batchPorts.clear();
    committed.committed(n, nanos, ports);
  }

  /** Frees the batch's buffer. */
  void close() {
    batch.close();
  }
}
