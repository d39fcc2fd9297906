package io.multinet.dataplane.kernel;

import io.multinet.dataplane.DataplaneBackend;
import io.multinet.dataplane.DataplaneException;
import io.multinet.dataplane.StateModel;
import io.multinet.dataplane.kernel.KernelPlan.Hairpin;
import io.multinet.dataplane.kernel.KernelPlan.Instance;
import io.multinet.dataplane.kernel.KernelPlan.Listener;
import io.multinet.dataplane.kernel.KernelPlan.Port;
import io.multinet.dataplane.kernel.KernelPlan.SharedChain;
import io.multinet.dataplane.kernel.KernelPlan.TableSet;
import io.multinet.dataplane.v1.Delta;
import io.multinet.dataplane.v1.DesiredState;
import io.multinet.dataplane.v1.NetworkSpec;
import io.multinet.dataplane.v1.NodeFacts;
import io.multinet.dataplane.v1.ServicePort;
import io.multinet.network.IpAddress;
import java.io.IOException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SortedSet;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.Consumer;
import java.util.function.Supplier;
import java.util.logging.Level;
import java.util.logging.Logger;
import org.jspecify.annotations.Nullable;

/**
 * The Linux kernel dataplane: the table {@link KernelPlanner} plans, programmed through in-process
 * libnftables ({@link NftRenderer}) and netlink element batches ({@link ElementOps}), plus {@link
 * PolicyRouting}. It remembers what it applied, so a delta is computed in memory and sent as one
 * batch of element updates, never by listing the ruleset.
 *
 * <p>A full sync writes the service and endpoint maps in bounded netlink transactions of whole
 * service ports ({@link BulkSync}, at most {@code batchElements} elements each), so that it never
 * holds the kernel's nfnl lock for long and each commit leaves a consistent ruleset; over an
 * existing table (a restart) it writes only what differs from what the kernel holds. Replacing the
 * table (a map that must be resized) stays one transaction: the new table must appear at once.
 */
public final class KernelBackend implements DataplaneBackend {

  private static final Logger LOG = Logger.getLogger(KernelBackend.class.getName());

  /** The default limit of elements per netlink transaction of a full sync. */
  public static final int DEFAULT_BATCH_ELEMENTS = BulkSync.DEFAULT_BATCH_ELEMENTS;

  /** The largest limit {@link #KernelBackend(String, int)} takes. */
  public static final int MAX_BATCH_ELEMENTS = BulkSync.MAX_BATCH_ELEMENTS;

  /**
   * One kernel transaction of a full sync.
   *
   * @param what {@code "skeleton"}, {@code "overlay"} or {@code "stale"} (nft text around the
   *     elements), {@code "elements"} (a netlink batch of service and endpoint elements) or {@code
   *     "replace"} (the whole table as one nft text)
   * @param elements service and endpoint elements the transaction wrote (added or deleted); 0 for
   *     nft text
   * @param nanos from sending the transaction to the kernel's answer
   * @param ports the service port keys whose elements it wrote, in order (a netlink batch; empty
   *     for the deletion of stale ports, and for nft text)
   */
  public record Transaction(String what, int elements, long nanos, List<String> ports) {
    public Transaction {
      java.util.Objects.requireNonNull(what, "what");
      ports = List.copyOf(ports);
    }
  }

  /**
   * What the last full sync sent to the kernel.
   *
   * @param transactions kernel transactions (nft text and netlink batches)
   * @param elements service and endpoint elements written through netlink (added or deleted)
   * @param longestTransactionNanos the longest single transaction
   */
  public record FullSync(int transactions, long elements, long longestTransactionNanos) {}

  /** Sets and maps above this element limit are created in transactions of their own. */
  private static final int LARGE_SET = 1 << 16;

  private final int batchElements;
  private volatile @Nullable Consumer<Transaction> transactionListener;
  private volatile @Nullable FullSync lastFullSync;

  // The current full sync's tally.
  private int syncTransactions;
  private long syncElements;
  private long syncLongest;

  private final NftExecutor nft;
  private final PolicyRouting routing;
  private final LoopbackAddresses loopback;
  private @Nullable StateModel applied;

  /** What the kernel serves per service port key, as last applied. */
  private Map<String, Port> ports = new HashMap<>();

  /** The node-local listeners in the table. */
  private SortedSet<Listener> listeners = new TreeSet<>();

  /** The shared chains in the table. */
  private Set<SharedChain> chains = new HashSet<>();

  /** The element limits the last full sync gave the service and endpoint maps. */
  private int serviceMapSize;

  private int endpointMapSize;

  private int hairpinSetSize;

  /** Instances and endpoint slots programmed, kept as totals so a delta need not count them. */
  private int instanceTotal;

  private int slotTotal;

  /** Hairpin elements by how many instances need them: services share backends. */
  private Map<Hairpin, Integer> hairpinRefs = new HashMap<>();

  private Supplier<String> lastBatch = () -> "";
  private final @Nullable String netns;
  private @Nullable NfNetlink netlink;

  /**
   * Why the kernel dataplane cannot be programmed from this JVM (libnftables is not installed), or
   * null when it can.
   */
  public static @Nullable String unavailableReason() {
    return Libnftables.unavailableReason();
  }

  /**
   * A backend for {@code netns} (null: the agent's own namespace).
   *
   * @throws NftablesUnavailableException when libnftables is not installed
   */
  public KernelBackend(@Nullable String netns) {
    this(netns, DEFAULT_BATCH_ELEMENTS);
  }

  /**
   * A backend for {@code netns} (null: the agent's own namespace) whose full syncs write at most
   * {@code batchElements} service and endpoint elements per netlink transaction.
   *
   * @throws IllegalArgumentException when {@code batchElements} is not 1-{@value
   *     #MAX_BATCH_ELEMENTS}
   * @throws NftablesUnavailableException when libnftables is not installed
   */
  public KernelBackend(@Nullable String netns, int batchElements) {
    this.batchElements = BulkSync.checkBatchElements(batchElements);
    this.netns = netns;
    this.nft = new NftExecutor(netns);
    this.routing = new PolicyRouting(netns);
    this.loopback = new LoopbackAddresses(netns);
  }

  @Override
  public String name() {
    return "kernel";
  }

  @Override
  public void applyFull(DesiredState state) throws DataplaneException {
    StateModel model;
    KernelPlan plan;
    try {
      model = StateModel.of(state);
      plan = KernelPlanner.plan(model.toState());
    } catch (IllegalArgumentException e) {
      throw new DataplaneException("state: " + e.getMessage(), true, e);
    }
    List<Instance> all = plan.instances();
    SortedSet<IpAddress> addresses = KernelPlanner.localAddresses(model.node());
    syncTransactions = 0;
    syncElements = 0;
    syncLongest = 0;
    try {
      loopback.add(addresses); // before the rules that DNAT to them
      TableShape kernel = kernelShape();
      if (kernel == null) {
        coldStart(plan);
      }
      if (kernel == null || resync(kernel, plan)) {
        // The same state as one text, rendered only if asked for (benchmarks compare `nft -f`).
        lastBatch = () -> NftRenderer.full(plan);
      } else {
        String text = NftRenderer.full(plan);
        runNft("replace", text);
        lastBatch = () -> text;
      }
      lastFullSync = new FullSync(syncTransactions, syncElements, syncLongest);
      routing.sync(tables(model));
      loopback.removeExcept(addresses); // once no rule DNATs to them
    } catch (NftException | NfNetlinkException | IOException e) {
      applied = null; // the next call must be a full one
      throw new DataplaneException("full sync: " + e.getMessage(), true, e);
    }
    applied = model;
    ports = new HashMap<>(plan.ports());
    listeners = new TreeSet<>(plan.listeners());
    instanceTotal = all.size();
    slotTotal = KernelPlan.slotCount(all);
    serviceMapSize = KernelPlan.serviceMapSize(instanceTotal);
    endpointMapSize = KernelPlan.endpointMapSize(slotTotal);
    chains = new HashSet<>(plan.sharedChains());
    hairpinRefs = new HashMap<>();
    all.forEach(i -> count(hairpinRefs, i, 1, new HashSet<>()));
    hairpinSetSize = KernelPlan.serviceMapSize(hairpinRefs.size());
  }

  /**
   * Nothing to replace, so no need for one transaction: the table with empty service maps first
   * (traffic passes untouched, as before any proxy; each map with a large limit created in a
   * transaction of its own, then the rest of the table), then the svc and endpoint elements in
   * netlink transactions of whole service ports ({@link BulkSync}), which skip libnftables' parser
   * (≈ 13 µs an element); each service appears with all its backends at once.
   */
  private void coldStart(KernelPlan plan) throws NftException, NfNetlinkException {
    // The maps with large limits first, one transaction each (their creation is what costs), then
    // the rest of the table declared over them.
    String prefix = NftRenderer.deleteTable();
    for (TableSet set : plan.sets()) {
      if (set.size() > LARGE_SET) {
        runNft("skeleton", prefix + NftRenderer.declareAlone(set));
        prefix = "";
      }
    }
    runNft("skeleton", prefix.isEmpty() ? NftRenderer.overlay(plan) : NftRenderer.skeleton(plan));
    var bulk = bulkSync();
    try {
      bulk.writeAll(plan);
    } finally {
      bulk.close();
    }
  }

  private BulkSync bulkSync() throws NfNetlinkException {
    return new BulkSync(
        netlink(), batchElements, (n, nanos, ports) -> tally("elements", n, nanos, ports));
  }

  /** Runs nft text as one transaction, counted in the full sync's tally. */
  private void runNft(String what, String text) throws NftException {
    long start = System.nanoTime();
    nft.run(text);
    tally(what, 0, System.nanoTime() - start, List.of());
  }

  private void tally(String what, int elements, long nanos, List<String> ports) {
    syncTransactions++;
    syncElements += elements;
    syncLongest = Math.max(syncLongest, nanos);
    Consumer<Transaction> l = transactionListener;
    if (l != null) {
      l.accept(new Transaction(what, elements, nanos, ports));
    }
  }

  /**
   * A full sync over an existing table without replacing it, for restarts and resyncs: parsing
   * every element as nft text costs seconds at 10k services, which a restart cannot afford.
   * Transactions that each leave traffic a complete ruleset: (1) nft text flushes the chains and
   * element sets it declares again, then declares the whole table but the bulk maps' elements; (2)
   * the bulk maps are read back (a netlink dump) and only what differs is written, in bounded
   * netlink batches of whole service ports, stale ports last ({@link BulkSync#writeDiff}); (3) nft
   * text deletes the chains and sets no longer wanted, which nothing references by then. Until (2)
   * is done the old service elements still point at chains that exist: stale chains keep their
   * rules until (3). Affinity maps (elements with timeouts) keep their entries, so clients keep
   * their backends.
   *
   * <p>Returns false, having changed nothing that matters, when the table cannot take the state
   * this way: a map of another size (the full replacement sizes anew) or any step refused (a table
   * written by another version, say); the caller then replaces the table in one transaction.
   */
  private boolean resync(TableShape kernel, KernelPlan plan) {
    TableShape wanted = TableShape.of(plan);
    for (var e : wanted.sets().entrySet()) {
      TableShape.SetShape now = kernel.sets().get(e.getKey());
      if (now != null && now.size() != e.getValue().size()) {
        LOG.fine(() -> "resync: " + e.getKey() + " has size " + now.size() + ", replacing");
        return false;
      }
    }
    List<String> flushChains = new ArrayList<>();
    for (String chain : wanted.chains()) {
      if (kernel.chains().contains(chain)) {
        flushChains.add(chain);
      }
    }
    Set<String> bulkNames = new HashSet<>(BulkSync.bulkMapNames());
    var flushSets = new LinkedHashMap<String, TableShape.SetShape>();
    for (var e : kernel.sets().entrySet()) {
      if (wanted.sets().containsKey(e.getKey())
          && !e.getValue().timeout()
          && !bulkNames.contains(e.getKey())) {
        flushSets.put(e.getKey(), e.getValue());
      }
    }
    String first = NftRenderer.flush(flushChains, flushSets) + NftRenderer.overlay(plan);
    String last = NftRenderer.delete(kernel.staleChains(wanted), kernel.staleSets(wanted));
    try {
      runNft("overlay", first);
      if (bulkElements(plan) > diffRestartElements) {
        rewriteBulk(plan);
      } else {
        BulkSync.Existing existing = BulkSync.readBack(netlink());
        var bulk = bulkSync();
        try {
          bulk.writeDiff(plan, existing);
        } finally {
          bulk.close();
        }
      }
      if (!last.isEmpty()) {
        runNft("stale", last);
      }
    } catch (NftException | NfNetlinkException e) {
      LOG.log(Level.INFO, "resync over the existing table failed, replacing it: " + e.getMessage());
      return false;
    }
    return true;
  }

  /**
   * Above this many bulk elements a resync rewrites the bulk maps in one transaction instead of
   * reading them back: the kernel's set dump restarts its walk from the first element for every
   * reply of at most 32 KiB ({@code nft_hash_walk}), so reading back 1.1M elements (100k services ×
   * 10 endpoints) took 72 s, where the one transaction takes about a second.
   */
  static final int DIFF_RESTART_ELEMENTS = 250_000;

  /** {@link #DIFF_RESTART_ELEMENTS}; tests lower it. */
  int diffRestartElements = DIFF_RESTART_ELEMENTS;

  private static int bulkElements(KernelPlan plan) {
    int n = 0;
    for (var p : plan.ports().values()) {
      for (var i : p.instances()) {
        n += 1 + i.slots().size();
      }
    }
    return n;
  }

  /** Flushes the bulk maps and writes them whole, in one transaction: traffic sees old or new. */
  private void rewriteBulk(KernelPlan plan) throws NfNetlinkException {
    long start = System.nanoTime();
    int elements = bulkElements(plan);
    try (var batch = new SetElementBatch(KernelPlan.TABLE_NAME)) {
      BulkSync.bulkMapNames().forEach(batch::flush);
      for (var p : plan.ports().values()) {
        ElementOps.write(ElementOps.bulk(p.instances()), batch);
      }
      netlink().commit(batch);
    }
    tally("elements", elements, System.nanoTime() - start, List.of());
  }

  /**
   * The shape of {@code inet multinet} in the kernel, or null if it has neither chains nor sets
   * (absent, or as good as). Only terse listings of chains and sets: any listing that involves
   * rules, even {@code list tables}, makes nft load every element first (1.4 s at 100k elements).
   */
  private @Nullable TableShape kernelShape() throws NftException {
    TableShape shape =
        TableShape.fromTerseJson(
            KernelPlan.TABLE_NAME,
            nft.listTerseJson("list chains inet"),
            nft.listTerseJson("list sets inet"),
            nft.listTerseJson("list maps inet"));
    return shape.chains().isEmpty() && shape.sets().isEmpty() ? null : shape;
  }

  private NfNetlink netlink() throws NfNetlinkException {
    NfNetlink n = netlink;
    if (n == null) {
      n = NfNetlink.open(netns);
      netlink = n;
    }
    return n;
  }

  private static void count(Map<Hairpin, Integer> refs, Instance i, int by, Set<Hairpin> touched) {
    for (Hairpin e : i.hairpins()) {
      refs.merge(e, by, (a, b) -> a + b == 0 ? null : a + b);
      touched.add(e);
    }
  }

  @Override
  public void applyDelta(Delta delta) throws DataplaneException {
    StateModel before = applied;
    if (before == null) {
      throw new DataplaneException("delta before any full state", true, null);
    }
    StateModel after;
    try {
      after = before.apply(delta);
    } catch (IllegalArgumentException e) {
      throw new DataplaneException("delta: " + e.getMessage(), false, e);
    }
    if (!delta.getRemoveNetworksList().isEmpty()
        || !listenersOnly(before, delta)
        || (delta.hasNode() && !addressesOnly(before.node(), delta.getNode()))) {
      // Networks and node facts shape the table itself: rebuild it, still in one transaction.
      applyFull(after.toState());
      return;
    }
    List<ElementOps.Op> ops = new ArrayList<>();
    // A network whose listeners alone changed: elements of the listener sets.
    var nextListeners = new TreeSet<>(listeners);
    for (NetworkSpec n : delta.getUpsertNetworksList()) {
      nextListeners.removeIf(l -> l.zone() == n.getId());
      nextListeners.addAll(KernelPlanner.listeners(n));
    }
    ops.addAll(ElementOps.listeners(listeners, nextListeners));
    SortedSet<IpAddress> addresses = KernelPlanner.localAddresses(after.node());
    boolean newAddresses =
        delta.hasNode() && !addresses.equals(KernelPlanner.localAddresses(before.node()));
    // The maps are written in place with an undo log: a delta costs what it touches, not a copy of
    // every port, and one that fails leaves them exactly as they were.
    var undo = new ArrayList<Runnable>();
    // Each touched hairpin's count before this delta (null: it had none).
    var refsBefore = new HashMap<Hairpin, @Nullable Integer>();
    int instancesAfter = instanceTotal;
    int slotsAfter = slotTotal;
    try {
      try {
        for (var k : delta.getRemoveServicePortsList()) {
          String key = KernelPlanner.key(k);
          Port old = ports.remove(key);
          if (old != null) {
            undo.add(() -> ports.put(key, old));
            ops.addAll(ElementOps.nodePort(old.nodePort(), null));
            old.instances().forEach(i -> ops.addAll(ElementOps.delete(i)));
            old.instances().forEach(i -> count(i, -1, refsBefore));
            instancesAfter -= old.instances().size();
            slotsAfter -= KernelPlan.slotCount(old.instances());
          }
        }
        for (ServicePort sp : delta.getUpsertServicePortsList()) {
          Port fresh = KernelPlanner.port(sp);
          String key = KernelPlanner.key(sp);
          Port old = ports.put(key, fresh);
          undo.add(old == null ? () -> ports.remove(key) : () -> ports.put(key, old));
          List<Instance> oldInstances = old == null ? List.of() : old.instances();
          oldInstances.forEach(i -> count(i, -1, refsBefore));
          instancesAfter -= oldInstances.size();
          slotsAfter -= KernelPlan.slotCount(oldInstances);
          fresh.instances().forEach(i -> count(i, 1, refsBefore));
          instancesAfter += fresh.instances().size();
          slotsAfter += KernelPlan.slotCount(fresh.instances());
          ops.addAll(ElementOps.nodePort(old == null ? null : old.nodePort(), fresh.nodePort()));
          for (SharedChain chain : KernelPlan.sharedChains(fresh.instances())) {
            if (chains.add(chain)) {
              undo.add(() -> chains.remove(chain));
              ops.add(new ElementOps.DefineShared(chain));
            }
          }
          ops.addAll(ElementOps.change(oldInstances, fresh.instances()));
        }
      } catch (IllegalArgumentException e) {
        throw new DataplaneException("delta: " + e.getMessage(), false, e);
      }
      if (!fits(instancesAfter, slotsAfter, hairpinRefs.size())) {
        // The maps were sized at the last full sync; past their limits the kernel refuses elements.
        rollback(undo, refsBefore);
        applyFull(after.toState());
        return;
      }
      var gone = new TreeSet<Hairpin>();
      var fresh = new TreeSet<Hairpin>();
      for (var e : refsBefore.entrySet()) {
        boolean was = e.getValue() != null;
        boolean is = hairpinRefs.containsKey(e.getKey());
        if (was && !is) {
          gone.add(e.getKey());
        } else if (is && !was) {
          fresh.add(e.getKey());
        }
      }
      ops.addAll(ElementOps.hairpin(gone, fresh));
      String text = NftRenderer.render(ops);
      try {
        if (newAddresses) {
          loopback.add(addresses);
        }
        if (!text.isEmpty()) {
          nft.run(text);
          lastBatch = () -> text;
        }
        if (newAddresses) {
          loopback.removeExcept(addresses);
        }
      } catch (NftException | IOException e) {
        throw new DataplaneException("delta: " + e.getMessage(), true, e);
      }
    } catch (DataplaneException | RuntimeException e) {
      rollback(undo, refsBefore);
      throw e;
    }
    applied = after;
    listeners = nextListeners;
    instanceTotal = instancesAfter;
    slotTotal = slotsAfter;
  }

  /** Counts {@code i}'s hairpins up or down, noting each one's count before this delta first. */
  private void count(Instance i, int by, Map<Hairpin, @Nullable Integer> before) {
    for (Hairpin e : i.hairpins()) {
      if (!before.containsKey(e)) {
        before.put(e, hairpinRefs.get(e));
      }
      hairpinRefs.merge(e, by, (a, b) -> a + b == 0 ? null : a + b);
    }
  }

  /** Undoes a delta's writes to the maps, newest first. */
  private void rollback(List<Runnable> undo, Map<Hairpin, @Nullable Integer> refsBefore) {
    for (int i = undo.size() - 1; i >= 0; i--) {
      undo.get(i).run();
    }
    undo.clear();
    refsBefore.forEach(
        (e, n) -> {
          if (n == null) {
            hairpinRefs.remove(e);
          } else {
            hairpinRefs.put(e, n);
          }
        });
    refsBefore.clear();
  }

  /**
   * Whether every network {@code delta} upserts is one the state has, changed in its local
   * listeners at most: those are elements of two sets, not the table's shape.
   */
  private static boolean listenersOnly(StateModel before, Delta delta) {
    for (NetworkSpec n : delta.getUpsertNetworksList()) {
      NetworkSpec old = before.networks().get(n.getId());
      if (old == null
          || !old.toBuilder()
              .clearLocalListeners()
              .build()
              .equals(n.toBuilder().clearLocalListeners().build())) {
        return false;
      }
    }
    return true;
  }

  /** Whether node facts differ in their local addresses at most, which no rule depends on. */
  private static boolean addressesOnly(NodeFacts before, NodeFacts after) {
    return before.toBuilder()
        .clearLocalAddresses()
        .build()
        .equals(after.toBuilder().clearLocalAddresses().build());
  }

  /** Whether a state still fits the map sizes of the last full sync. */
  private boolean fits(int instanceCount, int slots, int hairpins) {
    return KernelPlan.serviceMapSize(instanceCount) <= serviceMapSize
        && KernelPlan.serviceMapSize(hairpins) <= hairpinSetSize
        && KernelPlan.endpointMapSize(slots) <= endpointMapSize;
  }

  /** What the last successful full sync sent to the kernel, or null before one. */
  public @Nullable FullSync lastFullSync() {
    return lastFullSync;
  }

  /**
   * Tells {@code listener} (null: no one) of every kernel transaction of a full sync, on the
   * syncing thread, right after the kernel committed it: for tests and benchmarks.
   */
  public void transactionListener(@Nullable Consumer<Transaction> listener) {
    this.transactionListener = listener;
  }

  /** The text of the last batch sent to the kernel: for benchmarks and debugging. */
  public String lastBatch() {
    return lastBatch.get();
  }

  @Override
  public DesiredState observe() throws DataplaneException {
    try {
      String json = nft.listJson("list table " + KernelPlan.TABLE);
      return KernelObserver.read(json);
    } catch (NftException e) {
      if (e.getMessage() != null && e.getMessage().contains("No such file or directory")) {
        return DesiredState.getDefaultInstance();
      }
      throw new DataplaneException("observe: " + e.getMessage(), false, e);
    } catch (RuntimeException e) {
      throw new DataplaneException("observe: unreadable nft listing: " + e.getMessage(), false, e);
    }
  }

  /**
   * The shape of the nftables table (its chains, sets and maps with their limits), from terse
   * listings: elements are not loaded, so this stays cheap at any size.
   */
  @Override
  public List<String> describe() throws DataplaneException {
    try {
      TableShape shape = kernelShape();
      if (shape == null) {
        return List.of("table " + KernelPlan.TABLE + ": absent");
      }
      List<String> out = new ArrayList<>();
      out.add(
          "table "
              + KernelPlan.TABLE
              + ": "
              + shape.chains().size()
              + " chains, "
              + shape.sets().size()
              + " sets and maps");
      for (var e : new TreeMap<>(shape.sets()).entrySet()) {
        TableShape.SetShape s = e.getValue();
        out.add(
            (s.map() ? "map " : "set ")
                + e.getKey()
                + (s.size() > 0 ? " size " + s.size() : "")
                + (s.timeout() ? " timeout" : ""));
      }
      return out;
    } catch (NftException e) {
      throw new DataplaneException("describe: " + e.getMessage(), false, e);
    }
  }

  @Override
  public void cleanup() throws DataplaneException {
    try {
      nft.run(NftRenderer.deleteTable());
      routing.clear();
      loopback.removeExcept(Set.of());
    } catch (NftException | IOException e) {
      throw new DataplaneException("cleanup: " + e.getMessage(), false, e);
    }
    applied = null;
    ports = new HashMap<>();
    listeners = new TreeSet<>();
    chains = new HashSet<>();
    hairpinRefs = new HashMap<>();
  }

  /** The last applied state, or null before the first full state. */
  public @Nullable StateModel applied() {
    return applied;
  }

  @Override
  public void close() {
    nft.close();
    NfNetlink n = netlink;
    if (n != null) {
      n.close();
    }
  }

  private static Map<Integer, Integer> tables(StateModel model) {
    var out = new HashMap<Integer, Integer>();
    for (NetworkSpec n : model.networks().values()) {
      if (n.getId() != 0) {
        out.put(n.getId(), n.getKernel().getRoutingTable());
      }
    }
    return out;
  }
}
