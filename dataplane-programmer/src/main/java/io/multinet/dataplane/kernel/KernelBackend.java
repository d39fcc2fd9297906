package io.multinet.dataplane.kernel;

import io.multinet.dataplane.DataplaneBackend;
import io.multinet.dataplane.DataplaneException;
import io.multinet.dataplane.StateModel;
import io.multinet.dataplane.v1.Delta;
import io.multinet.dataplane.v1.DesiredState;
import io.multinet.dataplane.v1.NetworkSpec;
import io.multinet.dataplane.v1.ServicePort;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.function.Supplier;
import java.util.logging.Level;
import java.util.logging.Logger;
import org.jspecify.annotations.Nullable;

/**
 * The Linux kernel dataplane: {@link KernelRuleset}'s table programmed through in-process
 * libnftables, plus {@link PolicyRouting}. It remembers what it applied, so a delta is computed in
 * memory and sent as one batch of element updates, never by listing the ruleset.
 */
public final class KernelBackend implements DataplaneBackend {

  private static final Logger LOG = Logger.getLogger(KernelBackend.class.getName());

  private final NftExecutor nft;
  private final PolicyRouting routing;
  private @Nullable StateModel applied;
  private Map<String, List<KernelRuleset.Instance>> instances = new HashMap<>();
  private Set<String> chains = new TreeSet<>();

  /** The element limits the last full sync gave the service and endpoint maps. */
  private int serviceMapSize;

  private int endpointMapSize;

  private int hairpinSetSize;

  /** Instances and endpoint slots programmed, kept as totals so a delta need not count them. */
  private int instanceTotal;

  private int slotTotal;

  /** Hairpin elements by how many instances need them: services share backends. */
  private Map<String, Integer> hairpinRefs = new HashMap<>();

  private Map<String, KernelRuleset.NodePort> nodePorts = new HashMap<>();
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
    this.netns = netns;
    this.nft = new NftExecutor(netns);
    this.routing = new PolicyRouting(netns);
  }

  @Override
  public String name() {
    return "kernel";
  }

  @Override
  public void applyFull(DesiredState state) throws DataplaneException {
    StateModel model;
    Map<String, List<KernelRuleset.Instance>> next;
    try {
      model = StateModel.of(state);
      next = instances(model.ports().values());
    } catch (IllegalArgumentException e) {
      throw new DataplaneException("state: " + e.getMessage(), true, e);
    }
    List<KernelRuleset.Instance> all = new ArrayList<>();
    next.values().forEach(all::addAll);
    try {
      List<ServicePort> usable = new ArrayList<>();
      for (ServicePort sp : model.ports().values()) {
        if (next.containsKey(KernelRuleset.key(sp))) {
          usable.add(sp);
        }
      }
      DesiredState desired = model.toState();
      List<KernelRuleset.NodePort> nps = KernelRuleset.nodePorts(usable);
      TableShape kernel = kernelShape();
      if (kernel == null) {
        coldStart(desired, next, nps, all);
      }
      if (kernel == null || resync(kernel, desired, next, nps, all)) {
        // The same state as one text, rendered only if asked for (benchmarks compare `nft -f`).
        lastBatch = () -> KernelRuleset.full(desired, next, nps);
      } else {
        String text = KernelRuleset.full(desired, next, nps);
        nft.run(text);
        lastBatch = () -> text;
      }
      routing.sync(tables(model));
    } catch (NftException | NfNetlinkException | IOException e) {
      applied = null; // the next call must be a full one
      throw new DataplaneException("full sync: " + e.getMessage(), true, e);
    }
    applied = model;
    instances = next;
    instanceTotal = all.size();
    slotTotal = KernelRuleset.slotCount(all);
    serviceMapSize = KernelRuleset.serviceMapSize(instanceTotal);
    endpointMapSize = KernelRuleset.endpointMapSize(slotTotal);

    chains = new TreeSet<>(KernelRuleset.chainsFor(all));
    hairpinRefs = new HashMap<>();
    all.forEach(i -> count(hairpinRefs, i, 1));
    hairpinSetSize = KernelRuleset.serviceMapSize(hairpinRefs.size());
    nodePorts = new HashMap<>();
    for (ServicePort sp : model.ports().values()) {
      KernelRuleset.NodePort np =
          next.containsKey(KernelRuleset.key(sp)) ? KernelRuleset.nodePort(sp) : null;
      if (np != null) {
        nodePorts.put(KernelRuleset.key(sp), np);
      }
    }
  }

  /**
   * Nothing to replace, so no need for one transaction: the table with empty service maps first
   * (traffic passes untouched, as before any proxy), then every svc and endpoint element in one
   * netlink transaction, which skips libnftables' parser (≈ 13 µs an element) and makes every
   * service appear at once.
   */
  private void coldStart(
      DesiredState desired,
      Map<String, List<KernelRuleset.Instance>> next,
      List<KernelRuleset.NodePort> nps,
      List<KernelRuleset.Instance> all)
      throws NftException, NfNetlinkException {
    nft.run(KernelRuleset.full(desired, next, nps, false));
    try (var batch = new SetElementBatch(KernelRuleset.TABLE_NAME)) {
      KernelRuleset.bulkElements(all, batch);
      netlink().commit(batch);
    }
  }

  /**
   * A full sync over an existing table without replacing it, for restarts and resyncs: parsing
   * every element as nft text costs seconds at 10k services, which a restart cannot afford. Three
   * transactions, each leaving traffic a complete ruleset: (1) nft text flushes the chains and
   * element sets it declares again, then declares the whole table but the bulk maps' elements; (2)
   * one netlink batch flushes the bulk maps and fills them; (3) nft text deletes the chains and
   * sets no longer wanted, which nothing references by then. Between (1) and (2) the old service
   * elements still point at chains that exist: stale chains keep their rules until (3). Affinity
   * maps (elements with timeouts) keep their entries, so clients keep their backends.
   *
   * <p>Returns false, having changed nothing that matters, when the table cannot take the state
   * this way: a map of another size (the full replacement sizes anew) or any step refused (a table
   * written by another version, say); the caller then replaces the table in one transaction.
   */
  private boolean resync(
      TableShape kernel,
      DesiredState desired,
      Map<String, List<KernelRuleset.Instance>> next,
      List<KernelRuleset.NodePort> nps,
      List<KernelRuleset.Instance> all) {
    String overlay = KernelRuleset.overlay(desired, next, nps);
    TableShape wanted = TableShape.declaredBy(overlay);
    for (var e : wanted.sets().entrySet()) {
      TableShape.SetShape now = kernel.sets().get(e.getKey());
      if (now != null && now.size() != e.getValue().size()) {
        LOG.fine(() -> "resync: " + e.getKey() + " has size " + now.size() + ", replacing");
        return false;
      }
    }
    var first = new StringBuilder();
    for (String chain : wanted.chains()) {
      if (kernel.chains().contains(chain)) {
        first.append("flush chain ").append(KernelRuleset.TABLE).append(' ').append(chain);
        first.append('\n');
      }
    }
    for (var e : kernel.sets().entrySet()) {
      if (wanted.sets().containsKey(e.getKey())
          && !e.getValue().timeout()
          && !KernelRuleset.BULK_MAPS.contains(e.getKey())) {
        first.append(e.getValue().map() ? "flush map " : "flush set ");
        first.append(KernelRuleset.TABLE).append(' ').append(e.getKey()).append('\n');
      }
    }
    first.append(overlay);
    var last = new StringBuilder();
    // Stale chains may jump to each other: flushed first, no rule references any of them.
    for (String verb : List.of("flush chain ", "delete chain ")) {
      for (String chain : kernel.staleChains(wanted)) {
        last.append(verb).append(KernelRuleset.TABLE).append(' ').append(chain).append('\n');
      }
    }
    for (var e : kernel.staleSets(wanted).entrySet()) {
      last.append(e.getValue().map() ? "delete map " : "delete set ");
      last.append(KernelRuleset.TABLE).append(' ').append(e.getKey()).append('\n');
    }
    try {
      nft.run(first.toString());
      try (var batch = new SetElementBatch(KernelRuleset.TABLE_NAME)) {
        KernelRuleset.BULK_MAPS.forEach(batch::flush);
        KernelRuleset.bulkElements(all, batch);
        netlink().commit(batch);
      }
      if (!last.isEmpty()) {
        nft.run(last.toString());
      }
    } catch (NftException | NfNetlinkException e) {
      LOG.log(Level.INFO, "resync over the existing table failed, replacing it: " + e.getMessage());
      return false;
    }
    return true;
  }

  /**
   * The shape of {@code inet multinet} in the kernel, or null if it has neither chains nor sets
   * (absent, or as good as). Only terse listings of chains and sets: any listing that involves
   * rules, even {@code list tables}, makes nft load every element first (1.4 s at 100k elements).
   */
  private @Nullable TableShape kernelShape() throws NftException {
    TableShape shape =
        TableShape.fromTerseJson(
            KernelRuleset.TABLE_NAME,
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

  private static void count(Map<String, Integer> refs, KernelRuleset.Instance i, int by) {
    count(refs, i, by, new HashSet<>());
  }

  private static void count(
      Map<String, Integer> refs, KernelRuleset.Instance i, int by, Set<String> touched) {
    for (String e : KernelRuleset.hairpinElements(i)) {
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
    if (!delta.getUpsertNetworksList().isEmpty()
        || !delta.getRemoveNetworksList().isEmpty()
        || delta.hasNode()) {
      // Networks and node facts shape the table itself: rebuild it, still in one transaction.
      applyFull(after.toState());
      return;
    }
    var batch = new StringBuilder();
    var nextInstances = new HashMap<>(instances);
    var nextChains = new TreeSet<>(chains);
    var nextRefs = new HashMap<>(hairpinRefs);
    var nextNodePorts = new HashMap<>(nodePorts);
    List<String> removed = new ArrayList<>();
    // Only what this delta touches is counted or compared: the rest of the state is not walked.
    var touched = new HashSet<String>();
    int instancesAfter = instanceTotal;
    int slotsAfter = slotTotal;
    for (var k : delta.getRemoveServicePortsList()) {
      String key =
          k.getNetworkId()
              + "/"
              + k.getAddress()
              + "/"
              + KernelRuleset.proto(k.getProtocol())
              + "/"
              + k.getPort();
      removed.add(key);
    }
    try {
      for (String key : removed) {
        nodePort(batch, nextNodePorts.remove(key), null);
        List<KernelRuleset.Instance> old = nextInstances.remove(key);
        if (old != null) {
          old.forEach(i -> batch.append(KernelRuleset.delete(i)));
          old.forEach(i -> count(nextRefs, i, -1, touched));
          instancesAfter -= old.size();
          slotsAfter -= KernelRuleset.slotCount(old);
        }
      }
      for (ServicePort sp : delta.getUpsertServicePortsList()) {
        String key = KernelRuleset.key(sp);
        List<KernelRuleset.Instance> fresh = KernelRuleset.instances(sp);
        List<KernelRuleset.Instance> old = nextInstances.put(key, fresh);
        if (old != null) {
          old.forEach(i -> count(nextRefs, i, -1, touched));
          instancesAfter -= old.size();
          slotsAfter -= KernelRuleset.slotCount(old);
        }
        fresh.forEach(i -> count(nextRefs, i, 1, touched));
        instancesAfter += fresh.size();
        slotsAfter += KernelRuleset.slotCount(fresh);
        KernelRuleset.NodePort np = KernelRuleset.nodePort(sp);
        KernelRuleset.NodePort oldNp =
            np == null ? nextNodePorts.remove(key) : nextNodePorts.put(key, np);
        nodePort(batch, oldNp, np);
        for (String chain : KernelRuleset.chainsFor(fresh)) {
          if (nextChains.add(chain)) {
            batch
                .append("add chain ")
                .append(KernelRuleset.TABLE)
                .append(' ')
                .append(chain)
                .append('\n');
            batch
                .append("table ")
                .append(KernelRuleset.TABLE)
                .append(" {\n")
                .append(KernelRuleset.chain(chain))
                .append("}\n");
          }
        }
        appendChange(batch, old, fresh);
      }
    } catch (IllegalArgumentException e) {
      throw new DataplaneException("delta: " + e.getMessage(), false, e);
    }
    if (!fits(instancesAfter, slotsAfter, nextRefs.size())) {
      // The maps were sized at the last full sync; past their limits the kernel refuses elements.
      applyFull(after.toState());
      return;
    }
    var gone = new TreeSet<String>();
    var fresh = new TreeSet<String>();
    for (String e : touched) {
      boolean was = hairpinRefs.containsKey(e);
      boolean is = nextRefs.containsKey(e);
      if (was && !is) {
        gone.add(e);
      } else if (is && !was) {
        fresh.add(e);
      }
    }
    batch.append(KernelRuleset.hairpin(gone, fresh));
    if (batch.isEmpty()) {
      applied = after;
      return;
    }
    try {
      nft.run(batch.toString());
      String text = batch.toString();
      lastBatch = () -> text;
    } catch (NftException e) {
      throw new DataplaneException("delta: " + e.getMessage(), true, e);
    }
    applied = after;
    instances = nextInstances;
    instanceTotal = instancesAfter;
    slotTotal = slotsAfter;
    chains = nextChains;
    hairpinRefs = nextRefs;
    nodePorts = nextNodePorts;
  }

  /** Whether a state still fits the map sizes of the last full sync. */
  private boolean fits(int instanceCount, int slots, int hairpins) {
    return KernelRuleset.serviceMapSize(instanceCount) <= serviceMapSize
        && KernelRuleset.serviceMapSize(hairpins) <= hairpinSetSize
        && KernelRuleset.endpointMapSize(slots) <= endpointMapSize;
  }

  /**
   * Elements taking a service port's instances from {@code old} (null: new port) to {@code fresh}.
   */
  private static void appendChange(
      StringBuilder batch,
      @Nullable List<KernelRuleset.Instance> old,
      List<KernelRuleset.Instance> fresh) {
    var before = new java.util.HashMap<String, KernelRuleset.Instance>();
    if (old != null) {
      old.forEach(i -> before.put(i.svcKey(), i));
    }
    for (KernelRuleset.Instance i : fresh) {
      KernelRuleset.Instance b = before.remove(i.svcKey());
      batch.append(b == null ? KernelRuleset.add(i) : KernelRuleset.change(b, i));
    }
    before.values().forEach(i -> batch.append(KernelRuleset.delete(i)));
  }

  /** The text of the last batch sent to the kernel: for benchmarks and debugging. */
  public String lastBatch() {
    return lastBatch.get();
  }

  /** Commands taking one NodePort from {@code before} to {@code after} (either may be null). */
  private static void nodePort(
      StringBuilder batch,
      KernelRuleset.@Nullable NodePort before,
      KernelRuleset.@Nullable NodePort after) {
    if (before != null && before.equals(after)) {
      return;
    }
    String t = KernelRuleset.TABLE;
    if (before != null && (after == null || !before.chain().equals(after.chain()))) {
      batch
          .append("delete element ")
          .append(t)
          .append(' ')
          .append(before.map())
          .append(" { ")
          .append(KernelRuleset.proto(before.protocol()))
          .append(" . ")
          .append(before.port())
          .append(" }\n");
      batch.append("delete chain ").append(t).append(' ').append(before.chain()).append('\n');
      before = null;
    }
    if (after != null) {
      if (before != null) {
        batch.append("flush chain ").append(t).append(' ').append(after.chain()).append('\n');
        batch.append(KernelRuleset.define(after));
      } else {
        batch.append(KernelRuleset.define(after));
        batch
            .append("add element ")
            .append(t)
            .append(' ')
            .append(after.map())
            .append(" { ")
            .append(after.element())
            .append(" }\n");
      }
    }
  }

  @Override
  public DesiredState observe() throws DataplaneException {
    try {
      String json = nft.listJson("list table " + KernelRuleset.TABLE);
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

  @Override
  public void cleanup() throws DataplaneException {
    try {
      nft.run("table " + KernelRuleset.TABLE + " {}\ndelete table " + KernelRuleset.TABLE + "\n");
      routing.clear();
    } catch (NftException | IOException e) {
      throw new DataplaneException("cleanup: " + e.getMessage(), false, e);
    }
    applied = null;
    instances = new HashMap<>();
    chains = new TreeSet<>();
    hairpinRefs = new HashMap<>();
    nodePorts = new HashMap<>();
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

  /** The instances of every port the kernel can serve, in key order; each built once. */
  private static Map<String, List<KernelRuleset.Instance>> instances(
      Collection<ServicePort> ports) {
    List<ServicePort> sorted = new ArrayList<>(ports);
    sorted.sort(Comparator.comparing(KernelRuleset::key));
    var out = new LinkedHashMap<String, List<KernelRuleset.Instance>>();
    for (ServicePort sp : sorted) {
      try {
        out.put(KernelRuleset.key(sp), KernelRuleset.instances(sp));
      } catch (IllegalArgumentException e) {
        // One port the kernel cannot serve (mixed families) must not block the others.
        LOG.log(Level.WARNING, "skipping " + sp.getName() + ": " + e.getMessage());
      }
    }
    return out;
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
