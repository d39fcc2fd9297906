package io.multinet.dataplane.vpp;

import static java.util.Objects.requireNonNull;

import io.multinet.dataplane.DataplaneBackend;
import io.multinet.dataplane.DataplaneException;
import io.multinet.dataplane.StateModel;
import io.multinet.dataplane.v1.Backend;
import io.multinet.dataplane.v1.Delta;
import io.multinet.dataplane.v1.DesiredState;
import io.multinet.dataplane.v1.LoadBalancing;
import io.multinet.dataplane.v1.NetworkSpec;
import io.multinet.dataplane.v1.Protocol;
import io.multinet.dataplane.v1.ServicePort;
import io.multinet.dataplane.v1.VppHints;
import io.multinet.network.IpAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.logging.Logger;
import org.jspecify.annotations.Nullable;

/**
 * The VPP dataplane: every service port (and each of its external addresses) with backends is one
 * cnat translation keyed by (table, VIP, protocol, port); every network's {@code vpp.vrf} is a FIB
 * table that exists in VPP. A full sync reconciles against the translation dump and deletes every
 * translation that is not desired (the agent owns VPP's cnat translations); a delta sends only the
 * translations that changed, from what this backend remembers having programmed.
 *
 * <p>Stock cnat keeps every VIP in FIB table 0 and resolves every backend there, so a VIP or
 * backend address can belong to one network only: its ports are skipped in every network that
 * shares it. A VPP with vpp-patches/0001 ({@code cnat_translation_update_v2}, found in its message
 * table) puts each network's translations in its VRF's table, and only networks that share a table
 * cannot share an address (docs/vpp.md).
 *
 * <p>NodePorts are translations on VPP's own interface addresses (those in {@code
 * nodePortAddresses}); where kube-proxy masquerades whatever the client (masqueradeAll, external
 * traffic with externalTrafficPolicy Cluster) every path is source-NATed to VPP's address towards
 * the backend. Deleted VIPs' cnat clients, which cnat keeps, are released ({@code Batch#release}).
 *
 * <p>VPP has no transactions. Everything that can be refused is checked before the first message,
 * so a refused state leaves VPP as it was; when VPP fails halfway, the backend asks for a full
 * state, which reconciles from VPP's own dump.
 */
public final class VppBackend implements DataplaneBackend {

  private static final Logger LOG = Logger.getLogger(VppBackend.class.getName());

  /**
   * The forward FIB index of the scratch source-NAT entry that frees deleted VIPs' clients: an
   * index no FIB table of a node has in practice (cnat sizes per-index vectors up to it: 64 KiB).
   */
  static final int SCRATCH_FIB_INDEX = 1023;

  /** FIB tables this backend creates are named so; it deletes no other table. */
  static final String TABLE_PREFIX = "multinet-";

  /**
   * (table, VIP, protocol, port): how cnat keys translations; the table (a table id, the network's
   * VRF) is 0 on a stock VPP.
   */
  record Key(int table, IpAddress vip, int proto, int port) implements Comparable<Key> {
    private static final Comparator<Key> ORDER =
        Comparator.comparingLong((Key k) -> Integer.toUnsignedLong(k.table))
            .thenComparing(Key::vip)
            .thenComparingInt(Key::proto)
            .thenComparingInt(Key::port);

    @Override
    public int compareTo(Key o) {
      return ORDER.compare(this, o);
    }

    @Override
    public String toString() {
      return vip
          + " "
          + (proto == CnatTranslation.TCP ? "TCP" : "UDP")
          + " "
          + port
          + (table == 0 ? "" : " in table " + Integer.toUnsignedString(table));
    }
  }

  /** An address in a FIB table (table id). */
  record Addr(int table, IpAddress address) {}

  /**
   * One desired translation. {@code lbType} and {@code flowHash} are fixed at creation by cnat.
   * {@code sources} is empty (no source NAT) or, path by path, the address the backend sees instead
   * of the client's (VPP's own address towards that backend). {@code realIp}: the VIP is one of
   * VPP's own addresses (a NodePort), whose FIB entry cnat interposes on instead of replacing.
   */
  record Want(
      Key key,
      int network,
      String owner,
      int lbType,
      int flowHash,
      List<Backend> paths,
      List<IpAddress> sources,
      boolean realIp) {
    Want {
      paths = List.copyOf(paths);
      sources = List.copyOf(sources);
    }

    Want(Key key, int network, String owner, int lbType, int flowHash, List<Backend> paths) {
      this(key, network, owner, lbType, flowHash, paths, List.of(), false);
    }

    boolean sameTranslation(Want o) {
      return key.equals(o.key)
          && lbType == o.lbType
          && flowHash == o.flowHash
          && paths.equals(o.paths)
          && sources.equals(o.sources)
          && realIp == o.realIp;
    }

    /** With source NAT, cnat allocates each flow's source port (two clients may use the same). */
    int flags() {
      return sources.isEmpty() ? 0 : CnatTranslation.FLAG_ALLOC_PORT;
    }

    /** Each path as "address port source", in path order: what a dump can be compared with. */
    List<String> signature() {
      List<String> out = new ArrayList<>(paths.size());
      for (int i = 0; i < paths.size(); i++) {
        Backend b = paths.get(i);
        out.add(
            IpAddress.parse(b.getAddress())
                + " "
                + b.getPort()
                + " "
                + (sources.isEmpty() ? "-" : sources.get(i).toString()));
      }
      return out;
    }

    CnatTranslation translation() {
      var p = new ArrayList<CnatTranslation.Path>(paths.size());
      for (int i = 0; i < paths.size(); i++) {
        Backend b = paths.get(i);
        IpAddress dst = IpAddress.parse(b.getAddress());
        p.add(
            sources.isEmpty()
                ? CnatTranslation.Path.to(dst, b.getPort())
                : new CnatTranslation.Path(
                    CnatTranslation.Endpoint.of(dst, b.getPort()),
                    CnatTranslation.Endpoint.of(sources.get(i), 0),
                    0));
      }
      return new CnatTranslation(
          CnatTranslation.Endpoint.of(key.vip, key.port),
          0,
          key.proto,
          realIp,
          flags(),
          lbType,
          flowHash,
          p);
    }
  }

  /** What a state asks of VPP, checked. */
  record Plan(
      Map<Key, Want> wants,
      Map<Addr, Integer> vipNetworks,
      Set<Integer> vrfs,
      Set<String> warnings) {}

  private record Programmed(int id, Want want) {}

  private final VppApiClient client;
  private @Nullable StateModel applied;
  private Map<Key, Programmed> programmed = Map.of();
  private Map<Addr, Integer> vipNetworks = Map.of();

  /**
   * VPP's interface addresses, read at each full sync and every {@link #ADDRESS_WATCH}; null when
   * VPP cannot list them.
   */
  private @Nullable List<VppMessages.InterfaceAddress> addresses;

  /** How often VPP's addresses are re-read: a new node address gets its NodePorts this late. */
  static final Duration ADDRESS_WATCH = Duration.ofSeconds(5);

  private java.util.concurrent.@Nullable ScheduledFuture<?> addressWatch;

  /**
   * Whether the VPP of the last full sync has translations in tables (vpp-patches/0001); deltas
   * follow it. {@code modeLogged} says the mode was logged (once, and again when it changes).
   */
  private boolean tables;

  private boolean modeLogged;

  /** The warnings last logged: a state's warnings are logged when they change, not per delta. */
  private Set<String> warned = Set.of();

  private volatile boolean reconnected;

  /** The state a resync puts back, until it succeeds or a new full state arrives. */
  private @Nullable StateModel resyncing;

  /** Bumped by each reconnect and full state: an older resync chain stops. */
  private int resyncGeneration;

  /** Re-applies the last state after VPP came back; never on the client's event loop. */
  private final ScheduledExecutorService resyncs =
      Executors.newSingleThreadScheduledExecutor(
          r -> {
            Thread t = new Thread(r, "vpp-resync");
            t.setDaemon(true);
            return t;
          });

  VppBackend(VppApiClient client) {
    this.client = requireNonNull(client, "client");
    client.onReconnect(
        () -> {
          reconnected = true;
          schedule(this::startResync, 0);
        });
    watchAddresses(ADDRESS_WATCH);
  }

  private void schedule(Runnable r, long delayMillis) {
    try {
      var _ = resyncs.schedule(r, delayMillis, TimeUnit.MILLISECONDS);
    } catch (RejectedExecutionException closing) {
      // closed meanwhile: nothing to repair
    }
  }

  private void startResync() {
    int generation;
    synchronized (this) {
      if (applied != null) {
        resyncing = applied;
      }
      generation = ++resyncGeneration;
    }
    resync(generation, 0);
  }

  /**
   * After a reconnect VPP may have restarted empty, and the programmer sends nothing while its
   * services do not change: put the last applied state back at once. Until this has run, deltas are
   * refused with need_full.
   */
  private void resync(int generation, int attempt) {
    long delay;
    synchronized (this) {
      StateModel a = resyncing;
      if (a == null || generation != resyncGeneration) {
        return; // done, or superseded by a new full state or another reconnect
      }
      try {
        fullSync(a.toState());
        resyncing = null;
        LOG.info("VPP reconnected: re-applied " + a.ports().size() + " service ports");
        return;
      } catch (DataplaneException e) {
        VppApiClient.Options o = client.options();
        delay =
            Math.min(
                o.backoffMax().toMillis(), o.backoffInitial().toMillis() << Math.min(attempt, 20));
        LOG.warning(
            "VPP reconnected; re-applying the last state failed ("
                + e.getMessage()
                + "); retrying in "
                + delay
                + " ms");
      }
    }
    // Nothing else would repair VPP while the programmer's services do not change.
    schedule(() -> resync(generation, attempt + 1), delay);
  }

  /** Connects to VPP's API socket, waiting up to a minute for VPP to come up. */
  public static VppBackend connect(Path socket) throws VppApiException {
    return connect(socket, VppApiClient.Options.defaults());
  }

  public static VppBackend connect(Path socket, VppApiClient.Options options)
      throws VppApiException {
    return new VppBackend(VppApiClient.connect(socket, options));
  }

  @Override
  public String name() {
    return "vpp";
  }

  @Override
  public synchronized void applyFull(DesiredState state) throws DataplaneException {
    resyncing = null; // a new full state supersedes the one being put back
    resyncGeneration++;
    fullSync(state);
  }

  private void fullSync(DesiredState state) throws DataplaneException {
    StateModel model;
    try {
      model = StateModel.of(state);
    } catch (IllegalArgumentException e) {
      throw new DataplaneException("state: " + e.getMessage(), true, e);
    }
    mode(client.has(VppMessages.TABLES));
    try {
      // Read even when the state needs none: releasing a deleted VIP must skip node addresses.
      addresses = readAddresses();
    } catch (VppApiException e) {
      failed();
      throw new DataplaneException("full sync: " + e.getMessage(), true, e);
    }
    Plan plan = plan(model, tables, addresses);
    warn(plan);
    reconnected = false;
    Map<Key, Programmed> next = new HashMap<>();
    try {
      var existing = client.sync(client.dump(new VppMessages.IpTableDump()));
      addTables(plan.vrfs, existing, model);
      List<CnatTranslation.InTable> have = dumpTranslations(tables);
      // Requests are pipelined: VPP handles them in order, so a delete before a create of the
      // same key stays before it. Replies are awaited at the end.
      var batch = new Batch();
      List<Integer> unwanted = new ArrayList<>();
      Set<IpAddress> gone = new TreeSet<>();
      for (CnatTranslation.InTable it : have) {
        CnatTranslation t = it.translation();
        Key key = key(it.tableId(), t);
        Want w = key == null ? null : plan.wants.get(key);
        if (w == null) {
          unwanted.add(t.id());
          if (it.tableId() == 0) {
            gone.add(t.vip().address());
          }
          continue;
        }
        Programmed known = programmed.get(key);
        boolean fixedDiffers =
            t.lbType() != w.lbType
                // cnat does not dump the flow hash: trust memory, or recreate when unknown.
                || (known == null ? w.flowHash != 0 : known.want.flowHash != w.flowHash);
        if (fixedDiffers) {
          batch.delete(t.id());
        } else if (signature(t).equals(w.signature())
            && (known == null || known.want.realIp == w.realIp)) {
          next.put(key, new Programmed(t.id(), w));
        }
      }
      for (Want w : plan.wants.values()) {
        if (!next.containsKey(w.key)) {
          batch.update(w);
        }
      }
      for (int id : unwanted) {
        batch.delete(id);
      }
      batch.release(gone, plan.wants.keySet());
      next.putAll(batch.await());
      // No cnat_session_purge here: VPP's handler (cnat_api.c → cnat_purge) deletes every
      // translation as well as the sessions, undoing this sync. Deleting a translation already
      // drops its sessions' use of it.
      deleteTables(existing, plan.vrfs);
    } catch (VppApiException e) {
      failed();
      throw new DataplaneException("full sync: " + e.getMessage(), true, e);
    }
    applied = model;
    programmed = next;
    vipNetworks = plan.vipNetworks;
  }

  /** Follows the VPP's capability, logging it the first time and when it changes. */
  private void mode(boolean withTables) {
    if (modeLogged && withTables == tables) {
      return;
    }
    if (modeLogged) {
      programmed = Map.of(); // remembered under the other mode's keys
    }
    LOG.info(
        withTables
            ? "VPP has cnat_translation_update_v2: each network's translations are in the FIB"
                + " table of its VRF"
            : "VPP has no cnat_translation_update_v2 (stock cnat): every translation is in FIB"
                + " table 0, so a VIP or backend address in two networks is skipped"
                + " (docs/vpp.md)");
    tables = withTables;
    modeLogged = true;
  }

  /** Every translation with its table: the v2 dump when VPP has it, else all in table 0. */
  private List<CnatTranslation.InTable> dumpTranslations(boolean withTables)
      throws VppApiException {
    if (withTables) {
      return client.sync(client.dump(new VppMessages.TranslationV2Dump()));
    }
    List<CnatTranslation.InTable> out = new ArrayList<>();
    for (CnatTranslation t : client.sync(client.dump(new VppMessages.TranslationDump()))) {
      out.add(new CnatTranslation.InTable(0, t));
    }
    return out;
  }

  /**
   * Whether the VPP this backend is connected to keeps each network's translations in its VRF's FIB
   * table (it has vpp-patches/0001's messages), so that one VIP can be served in two networks.
   */
  public boolean translationsInTables() {
    return client.has(VppMessages.TABLES);
  }

  @Override
  public synchronized void applyDelta(Delta delta) throws DataplaneException {
    StateModel before = applied;
    if (before == null) {
      throw new DataplaneException("delta before any full state", true, null);
    }
    if (reconnected) {
      applied = null;
      throw new DataplaneException(
          "VPP reconnected since the last full state (it may have restarted)", true, null);
    }
    StateModel after;
    try {
      after = before.apply(delta);
    } catch (IllegalArgumentException e) {
      throw new DataplaneException("delta: " + e.getMessage(), false, e);
    }
    reprogram(before, after, "delta");
  }

  /**
   * Programs the difference between what {@code before} made of VPP and what {@code after} makes of
   * it with VPP's current {@link #addresses}.
   */
  private void reprogram(StateModel before, StateModel after, String what)
      throws DataplaneException {
    Plan plan = plan(after, tables, addresses);
    warn(plan);
    Set<Integer> oldVrfs = vrfs(before);
    var next = new HashMap<>(programmed);
    try {
      if (!plan.vrfs.equals(oldVrfs)) {
        addTables(plan.vrfs, client.sync(client.dump(new VppMessages.IpTableDump())), after);
      }
      var batch = new Batch();
      for (Want w : plan.wants.values()) {
        Programmed old = next.get(w.key);
        if (old != null && old.want.sameTranslation(w)) {
          next.put(w.key, new Programmed(old.id, w)); // a new name or owner: nothing to send
          continue;
        }
        if (old != null && (old.want.lbType != w.lbType || old.want.flowHash != w.flowHash)) {
          batch.delete(old.id); // cnat fixes both when it creates a translation
        }
        next.remove(w.key);
        batch.update(w);
      }
      Set<IpAddress> gone = new TreeSet<>();
      for (var e : programmed.entrySet()) {
        if (!plan.wants.containsKey(e.getKey())) {
          batch.delete(e.getValue().id);
          next.remove(e.getKey());
          if (e.getKey().table == 0) {
            gone.add(e.getKey().vip);
          }
        }
      }
      batch.release(gone, plan.wants.keySet());
      next.putAll(batch.await());
      if (!plan.vrfs.containsAll(oldVrfs)) {
        deleteTables(client.sync(client.dump(new VppMessages.IpTableDump())), plan.vrfs);
      }
    } catch (VppApiException e) {
      failed();
      throw new DataplaneException(what + ": " + e.getMessage(), true, e);
    }
    applied = after;
    programmed = Map.copyOf(next);
    vipNetworks = plan.vipNetworks;
  }

  /**
   * Re-reads VPP's interface addresses and, when they changed since the last read, reprograms the
   * translations made from them (NodePorts, masquerade sources) without waiting for a change of the
   * Services: kube-proxy's rules match "any local address" and follow such a change at once.
   *
   * @return whether the addresses had changed
   */
  synchronized boolean refreshAddresses() throws DataplaneException {
    StateModel a = applied;
    if (a == null || reconnected || resyncing != null) {
      return false; // the next full sync reads them anyway
    }
    List<VppMessages.InterfaceAddress> now;
    try {
      now = readAddresses();
    } catch (VppApiException e) {
      throw new DataplaneException("addresses: " + e.getMessage(), true, e);
    }
    if (java.util.Objects.equals(now, addresses)) {
      return false;
    }
    addresses = now;
    reprogram(a, a, "addresses");
    LOG.info(
        "VPP's interface addresses changed: "
            + (now == null ? 0 : now.size())
            + " now; NodePorts and masquerade reprogrammed");
    return true;
  }

  /** Checks VPP's addresses every {@code every} (replacing the previous schedule). */
  synchronized void watchAddresses(Duration every) {
    requireNonNull(every, "every");
    if (every.isNegative() || every.isZero()) {
      throw new IllegalArgumentException("every: " + every + " (expected: > 0)");
    }
    if (addressWatch != null) {
      addressWatch.cancel(false);
    }
    try {
      addressWatch =
          resyncs.scheduleWithFixedDelay(
              this::refreshQuietly, every.toMillis(), every.toMillis(), TimeUnit.MILLISECONDS);
    } catch (RejectedExecutionException closing) {
      addressWatch = null;
    }
  }

  private void refreshQuietly() {
    try {
      refreshAddresses();
    } catch (DataplaneException | RuntimeException e) {
      // The next delta is refused with need_full (failed() forgot the state), so the node proxy's
      // full resync repairs VPP; the watch keeps running.
      LOG.warning("re-reading VPP's addresses failed: " + e.getMessage());
    }
  }

  /**
   * After VPP failed halfway nothing this backend remembers can be trusted: the next full sync
   * reconciles from the dump alone (and recreates what it cannot read back).
   */
  private void failed() {
    applied = null;
    programmed = Map.of();
  }

  /** Logs the warnings that are new since the last state; nothing when they did not change. */
  private void warn(Plan plan) {
    if (plan.warnings.equals(warned)) {
      return;
    }
    for (String w : new TreeSet<>(plan.warnings)) {
      if (!warned.contains(w)) {
        LOG.warning(w);
      }
    }
    warned = plan.warnings;
  }

  /** Requests sent without waiting; {@link #await} collects the replies, failing on the first. */
  private final class Batch {
    private final List<CompletableFuture<?>> sent = new ArrayList<>();
    private final Map<Want, CompletableFuture<Integer>> created = new LinkedHashMap<>();

    void update(Want w) {
      var f =
          tables
              ? client.call(new VppMessages.TranslationUpdateV2(w.translation(), w.key.table))
              : client.call(new VppMessages.TranslationUpdate(w.translation()));
      sent.add(f);
      created.put(w, f);
    }

    void delete(int id) {
      sent.add(client.call(new VppMessages.TranslationDel(id)));
    }

    /**
     * Frees the cnat clients of deleted VIPs (in table 0) that no wanted translation still uses.
     * cnat keeps a VIP's client, and its FIB entry, while the client counts sessions, and nothing
     * gives that count back (docs/vpp.md). One path frees a client whatever it counts: deleting a
     * source-NAT entry frees the client of its address when no translation holds it
     * (cnat_snat_cleanup → cnat_client_free_by_ip, not a session release). So the address becomes
     * the source-NAT address of a scratch entry (forward FIB index {@link #SCRATCH_FIB_INDEX},
     * return FIB 0, where the VIP's client is), which takes the existing client, and the entry is
     * deleted at once. Without a leftover client the pair adds a client and frees it again.
     *
     * <p>VPP's own addresses are never released: they are source-NAT addresses too, whose client
     * return sessions count on and free by address when they expire (cnat_session.c), which on a
     * client freed here would be a NULL dereference in VPP.
     */
    void release(Set<IpAddress> vips, Set<Key> wanted) {
      if (vips.isEmpty() || !client.has(VppMessages.SNAT_V2)) {
        return;
      }
      Set<IpAddress> kept = new HashSet<>();
      List<VppMessages.InterfaceAddress> own = addresses;
      if (own != null) {
        own.forEach(a -> kept.add(a.address()));
      }
      for (Key k : wanted) {
        if (k.table == 0) {
          kept.add(k.vip);
        }
      }
      IpAddress any4 = IpAddress.ofV4(0);
      IpAddress any6 = IpAddress.of(0, 0);
      for (IpAddress vip : vips) {
        if (kept.contains(vip)) {
          continue;
        }
        sent.add(
            client.call(
                new VppMessages.SetSnatAddressesV2(
                    SCRATCH_FIB_INDEX,
                    0,
                    vip.isV4() ? vip : any4,
                    vip.isV4() ? any6 : vip,
                    Wire.NO_INTERFACE,
                    0)));
        sent.add(
            client.call(
                new VppMessages.SetSnatAddressesV2(
                    SCRATCH_FIB_INDEX, 0, any4, any6, Wire.NO_INTERFACE, 0)));
      }
    }

    /** The ids VPP gave the created or updated translations. */
    Map<Key, Programmed> await() throws VppApiException {
      VppApiException first = null;
      for (CompletableFuture<?> f : sent) {
        try {
          client.sync(f);
        } catch (VppApiException e) {
          if (first == null) {
            first = e;
          }
        }
      }
      if (first != null) {
        throw first;
      }
      Map<Key, Programmed> out = new HashMap<>();
      for (var e : created.entrySet()) {
        out.put(e.getKey().key, new Programmed(client.sync(e.getValue()), e.getKey()));
      }
      return out;
    }
  }

  /** Creates the FIB tables (IPv4 and IPv6) of {@code vrfs} that VPP does not have. */
  private void addTables(Set<Integer> vrfs, List<VppMessages.IpTable> existing, StateModel model)
      throws VppApiException {
    Set<String> have = new HashSet<>();
    for (var t : existing) {
      have.add(Integer.toUnsignedString(t.tableId()) + "/" + t.isIp6()); // u32 on both sides
    }
    for (int vrf : vrfs) {
      for (boolean ip6 : new boolean[] {false, true}) {
        if (!have.contains(Integer.toUnsignedString(vrf) + "/" + ip6)) {
          client.sync(
              client.call(new VppMessages.IpTableAddDel(true, vrf, ip6, tableName(vrf, model))));
        }
      }
    }
  }

  /** Deletes the tables this backend created (by name) whose VRF is no longer wanted. */
  private void deleteTables(List<VppMessages.IpTable> existing, Set<Integer> keep)
      throws VppApiException {
    for (var t : existing) {
      if (t.tableId() != 0 && t.name().startsWith(TABLE_PREFIX) && !keep.contains(t.tableId())) {
        client.sync(client.call(new VppMessages.IpTableAddDel(false, t.tableId(), t.isIp6(), "")));
      }
    }
  }

  private static String tableName(int vrf, StateModel model) {
    for (NetworkSpec n : model.networks().values()) {
      if (n.getVpp().getVrf() == vrf) {
        return truncateUtf8(TABLE_PREFIX + n.getId() + "-" + n.getName(), 63);
      }
    }
    return TABLE_PREFIX + Integer.toUnsignedString(vrf);
  }

  /** At most {@code max} UTF-8 bytes (the name field is 64 with its NUL), whole code points. */
  static String truncateUtf8(String s, int max) {
    int bytes = 0;
    for (int i = 0; i < s.length(); ) {
      int cp = s.codePointAt(i);
      int n = cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
      if (bytes + n > max) {
        return s.substring(0, i);
      }
      bytes += n;
      i += Character.charCount(cp);
    }
    return s;
  }

  private static Set<Integer> vrfs(StateModel m) {
    Set<Integer> vrfs = new TreeSet<>();
    for (NetworkSpec n : m.networks().values()) {
      if (n.getVpp().getVrf() != 0) {
        vrfs.add(n.getVpp().getVrf());
      }
    }
    return vrfs;
  }

  /** {@link #plan(StateModel, boolean)} for a stock VPP: every translation in table 0. */
  static Plan plan(StateModel m) throws DataplaneException {
    return plan(m, false);
  }

  /** {@link #plan(StateModel, boolean, List)} without VPP's addresses: no NodePorts, no SNAT. */
  static Plan plan(StateModel m, boolean tables) throws DataplaneException {
    return plan(m, tables, null);
  }

  /**
   * VPP's interface addresses (sw_interface_dump, then ip_address_dump per interface and family,
   * pipelined), or null when VPP lacks those messages. IPv6 link-local addresses are left out.
   */
  private @Nullable List<VppMessages.InterfaceAddress> readAddresses() throws VppApiException {
    if (!client.has(VppMessages.ADDRESSES)) {
      return null;
    }
    List<CompletableFuture<List<VppMessages.InterfaceAddress>>> dumps = new ArrayList<>();
    for (int index : client.sync(client.dump(new VppMessages.SwInterfaceDump()))) {
      dumps.add(client.dump(new VppMessages.IpAddressDump(index, false)));
      dumps.add(client.dump(new VppMessages.IpAddressDump(index, true)));
    }
    List<VppMessages.InterfaceAddress> out = new ArrayList<>();
    for (var f : dumps) {
      for (var a : client.sync(f)) {
        if (a.address().isV4()
            || (a.address().toBytes()[0] & 0xff) != 0xfe
            || (a.address().toBytes()[1] & 0xc0) != 0x80) {
          out.add(a);
        }
      }
    }
    return List.copyOf(out);
  }

  /** Whether {@code a} is in {@code net}/{@code len} (host bits of {@code net} ignored). */
  static boolean inPrefix(IpAddress a, IpAddress net, int len) {
    if (a.isV4() != net.isV4()) {
      return false;
    }
    byte[] x = a.toBytes();
    byte[] y = net.toBytes();
    int bits = Math.min(len, x.length * 8);
    for (int i = 0; i < bits; i++) {
      int mask = 0x80 >>> (i % 8);
      if ((x[i / 8] & mask) != (y[i / 8] & mask)) {
        return false;
      }
    }
    return true;
  }

  /**
   * The node's addresses NodePorts answer on: VPP's interface addresses of the family, inside one
   * of {@code nodePortAddresses} when any are given (an address alone is its /32 or /128); a family
   * without entries then has none, as in kube-proxy.
   */
  private static List<IpAddress> nodePortAddresses(
      StateModel m, List<VppMessages.InterfaceAddress> addrs, boolean v4)
      throws DataplaneException {
    List<String> given = m.node().getNodePortAddressesList();
    List<IpAddress> nets = new ArrayList<>();
    List<Integer> lens = new ArrayList<>();
    for (String text : given) {
      String[] parts = text.split("/", 2);
      IpAddress net = parse(parts[0], "nodePortAddresses");
      int len;
      try {
        len = parts.length == 2 ? Integer.parseInt(parts[1]) : (net.isV4() ? 32 : 128);
      } catch (NumberFormatException e) {
        len = -1;
      }
      if (len < 0 || len > (net.isV4() ? 32 : 128)) {
        throw new DataplaneException(
            "nodePortAddresses: " + text + " (expected: a CIDR such as 192.0.2.0/24)");
      }
      nets.add(net);
      lens.add(len);
    }
    Set<IpAddress> out = new TreeSet<>();
    for (var a : addrs) {
      if (a.address().isV4() != v4) {
        continue;
      }
      boolean in = given.isEmpty();
      for (int i = 0; i < nets.size() && !in; i++) {
        in = inPrefix(a.address(), nets.get(i), lens.get(i));
      }
      if (in) {
        out.add(a.address());
      }
    }
    return List.copyOf(out);
  }

  /**
   * The address VPP masquerades a flow to {@code backend} with: its own address on the link whose
   * prefix holds the backend (the longest), else its first address of the family, as a kernel's
   * MASQUERADE takes the outgoing interface's address; null without any.
   */
  private static @Nullable IpAddress masqueradeAddress(
      IpAddress backend, List<VppMessages.InterfaceAddress> addrs) {
    VppMessages.InterfaceAddress best = null;
    VppMessages.InterfaceAddress first = null;
    for (var a : addrs) {
      if (a.address().isV4() != backend.isV4()) {
        continue;
      }
      if (first == null) {
        first = a;
      }
      if (inPrefix(backend, a.address(), a.prefixLength())
          && (best == null || a.prefixLength() > best.prefixLength())) {
        best = a;
      }
    }
    return best != null ? best.address() : first != null ? first.address() : null;
  }

  /**
   * Checks a state and turns it into translations, in each network's VRF table when {@code tables}
   * (else all in table 0). Refuses bad addresses and ports, a backend of the other family and too
   * many backends. What cnat cannot hold apart, a VIP or backend address in two networks of one
   * table, is skipped: every port on that address, in every such network, and the rest is served;
   * {@link Plan#warnings} says what was skipped.
   *
   * <p>With VPP's interface addresses ({@code addrs}, null when unknown), NodePorts become
   * translations on the node's addresses (those in {@code nodePortAddresses}), and the ports where
   * kube-proxy masquerades unconditionally are source-NATed: every port with {@code
   * masquerade_all}, and external addresses and NodePorts with externalTrafficPolicy Cluster.
   */
  static Plan plan(StateModel m, boolean tables, @Nullable List<VppMessages.InterfaceAddress> addrs)
      throws DataplaneException {
    Set<String> warnings = new TreeSet<>();
    // First the networks of every VIP and backend address, so that a conflict skips all the
    // ports involved whatever their order.
    Map<Addr, Set<Integer>> vipNets = new HashMap<>();
    Map<Addr, Set<Integer>> backendNets = new HashMap<>();
    for (ServicePort sp : m.ports().values()) {
      if (proto(sp) == 0) {
        warnings.add(
            sp.getName() + ": " + sp.getProtocol() + " is not served by VPP's cnat; skipped");
        continue;
      }
      int table = tables ? vrf(m, sp.getNetworkId()) : 0;
      networks(sp, table, sp.getAddress(), sp.getBackendsList(), vipNets, backendNets);
      for (String ext : sp.getExternalAddressesList()) {
        networks(sp, table, ext, sp.getExternalBackendsList(), vipNets, backendNets);
      }
    }
    List<IpAddress> nodePorts4 = addrs == null ? List.of() : nodePortAddresses(m, addrs, true);
    List<IpAddress> nodePorts6 = addrs == null ? List.of() : nodePortAddresses(m, addrs, false);
    Map<Key, Want> wants = new TreeMap<>();
    Map<Addr, Integer> owners = new HashMap<>();
    var into = new Into(m, tables, wants, owners, vipNets, backendNets, warnings, addrs);
    boolean all = m.node().getMasqueradeAll();
    for (ServicePort sp : m.ports().values()) {
      int proto = proto(sp);
      if (proto == 0) {
        continue;
      }
      if (sp.getPort() < 1 || sp.getPort() > 65535) {
        throw new DataplaneException(
            sp.getName() + ": port: " + sp.getPort() + " (expected: 1-65535)");
      }
      int table = tables ? vrf(m, sp.getNetworkId()) : 0;
      boolean external = all || !sp.getExternalTrafficLocal();
      add(into, sp, proto, table, sp.getAddress(), sp.getPort(), sp.getBackendsList(), all, false);
      for (String ext : sp.getExternalAddressesList()) {
        add(
            into,
            sp,
            proto,
            table,
            ext,
            sp.getPort(),
            sp.getExternalBackendsList(),
            external,
            false);
      }
      if (sp.getNodePort() != 0 && addrs != null) {
        if (sp.getNodePort() > 65535) {
          throw new DataplaneException(
              sp.getName() + ": nodePort: " + sp.getNodePort() + " (expected: 1-65535)");
        }
        boolean v4 = parse(sp.getAddress(), sp.getName() + ": address").isV4();
        for (IpAddress node : v4 ? nodePorts4 : nodePorts6) {
          Key k = new Key(table, node, proto, sp.getNodePort());
          Want taken = wants.get(k);
          if (taken != null) {
            warnings.add(
                sp.getName()
                    + ": NodePort "
                    + sp.getNodePort()
                    + " on "
                    + node
                    + " is taken by "
                    + taken.owner
                    + "; skipped there");
            continue;
          }
          add(
              into,
              sp,
              proto,
              table,
              node.toString(),
              sp.getNodePort(),
              sp.getExternalBackendsList(),
              external,
              true);
        }
      }
    }
    long nodePorts = m.ports().values().stream().filter(p -> p.getNodePort() != 0).count();
    if (nodePorts > 0 && addrs == null) {
      warnings.add(
          nodePorts
              + " service ports have NodePorts, which are not served: this VPP has no"
              + " sw_interface_dump and ip_address_dump to find the node's addresses");
    }
    long listeners =
        m.networks().values().stream().mapToLong(n -> n.getLocalListenersCount()).sum();
    if (listeners > 0 || m.node().getLocalAddressesCount() > 0) {
      warnings.add(
          listeners
              + " node-local listeners and "
              + m.node().getLocalAddressesCount()
              + " local addresses ignored: the VPP backend does not steer a network's traffic to"
              + " host sockets yet (docs/vpp.md)");
    }
    return new Plan(wants, Map.copyOf(owners), vrfs(m), Set.copyOf(warnings));
  }

  /** What {@link #add} fills and reads. */
  private record Into(
      StateModel m,
      boolean tables,
      Map<Key, Want> wants,
      Map<Addr, Integer> owners,
      Map<Addr, Set<Integer>> vipNets,
      Map<Addr, Set<Integer>> backendNets,
      Set<String> warnings,
      @Nullable List<VppMessages.InterfaceAddress> addrs) {}

  /** The VRF of network {@code id}, 0 without one. */
  private static int vrf(StateModel m, int id) {
    NetworkSpec n = m.networks().get(id);
    return n == null ? 0 : n.getVpp().getVrf();
  }

  private static int proto(ServicePort sp) {
    return switch (sp.getProtocol()) {
      case TCP -> CnatTranslation.TCP;
      case UDP -> CnatTranslation.UDP;
      default -> 0;
    };
  }

  private static void networks(
      ServicePort sp,
      int table,
      String address,
      List<Backend> backends,
      Map<Addr, Set<Integer>> vipNets,
      Map<Addr, Set<Integer>> backendNets)
      throws DataplaneException {
    IpAddress vip = parse(address, sp.getName() + ": address");
    vipNets.computeIfAbsent(new Addr(table, vip), v -> new TreeSet<>()).add(sp.getNetworkId());
    for (Backend b : backends) {
      IpAddress a = parse(b.getAddress(), sp.getName() + ": backend address");
      backendNets.computeIfAbsent(new Addr(table, a), v -> new TreeSet<>()).add(sp.getNetworkId());
    }
  }

  private static void add(
      Into in,
      ServicePort sp,
      int proto,
      int table,
      String address,
      int port,
      List<Backend> backends,
      boolean snat,
      boolean realIp)
      throws DataplaneException {
    StateModel m = in.m;
    IpAddress vip = parse(address, sp.getName() + ": address");
    Set<Integer> nets = in.vipNets.getOrDefault(new Addr(table, vip), Set.of());
    if (nets.size() > 1) {
      in.warnings.add(
          in.tables
              ? "VIP "
                  + vip
                  + " is in networks "
                  + describe(m, nets)
                  + ", which share FIB table "
                  + Integer.toUnsignedString(table)
                  + ": cnat keys translations by (table, VIP, protocol, port), so it cannot keep"
                  + " them apart; every port on it is skipped until one of them gets another VIP"
                  + " or VRF (docs/vpp.md)"
              : "VIP "
                  + vip
                  + " is in networks "
                  + describe(m, nets)
                  + ": VPP's cnat keeps every VIP in FIB table 0 and keys translations by (VIP,"
                  + " protocol, port), so it cannot keep the networks apart; every port on it is"
                  + " skipped until one of them gets another VIP (docs/vpp.md)");
      return;
    }
    for (Backend b : backends) {
      IpAddress a = parse(b.getAddress(), sp.getName() + ": backend address");
      Set<Integer> bn = in.backendNets.getOrDefault(new Addr(table, a), Set.of());
      if (bn.size() > 1) {
        in.warnings.add(
            "backend "
                + a
                + " is in networks "
                + describe(m, bn)
                + (in.tables
                    ? ", which share FIB table "
                        + Integer.toUnsignedString(table)
                        + ": cnat resolves backends in that table, so it would send the"
                        + " networks' traffic to one of them; "
                    : ": VPP's cnat resolves every backend in FIB table 0, so it would send the"
                        + " networks' traffic to one of them; ")
                + sp.getName()
                + " at "
                + vip
                + " is skipped (docs/vpp.md)");
        return;
      }
    }
    in.owners.put(new Addr(table, vip), sp.getNetworkId());
    if (backends.isEmpty()) {
      return; // no translation: cnat cannot hold one without paths (docs/vpp.md)
    }
    var sorted = new TreeMap<String, Backend>();
    for (Backend b : backends) {
      IpAddress a = parse(b.getAddress(), sp.getName() + ": backend address");
      if (a.isV4() != vip.isV4()) {
        throw new DataplaneException(
            "backend "
                + b.getAddress()
                + " of "
                + sp.getName()
                + " is not of the family of its VIP "
                + vip);
      }
      if (b.getPort() < 1 || b.getPort() > 65535) {
        throw new DataplaneException(
            sp.getName() + ": backend " + a + " port: " + b.getPort() + " (expected: 1-65535)");
      }
      String k = a + " " + b.getPort();
      sorted.put(k, Backend.newBuilder().setAddress(a.toString()).setPort(b.getPort()).build());
    }
    if (sorted.size() > CnatTranslation.MAX_PATHS) {
      throw new DataplaneException(
          sp.getName()
              + ": "
              + sorted.size()
              + " backends (expected: at most "
              + CnatTranslation.MAX_PATHS
              + ")");
    }
    List<Backend> paths = new ArrayList<>(sorted.values());
    paths.sort(
        Comparator.comparing((Backend b) -> IpAddress.parse(b.getAddress()))
            .thenComparingInt(Backend::getPort));
    Key key = new Key(table, vip, proto, port);
    List<IpAddress> sources = new ArrayList<>();
    if (snat && in.addrs != null) {
      for (Backend b : paths) {
        IpAddress src = masqueradeAddress(IpAddress.parse(b.getAddress()), in.addrs);
        if (src == null) {
          in.warnings.add(
              sp.getName()
                  + " at "
                  + vip
                  + ": VPP has no "
                  + (vip.isV4() ? "IPv4" : "IPv6")
                  + " address to masquerade with; not source-NATed");
          sources.clear();
          break;
        }
        sources.add(src);
      }
    } else if (snat) {
      in.warnings.add(
          "source NAT is not done: this VPP has no sw_interface_dump and ip_address_dump to find"
              + " its own addresses");
    }
    int lb =
        sp.getLoadBalancing() == LoadBalancing.MAGLEV
            ? CnatTranslation.LB_MAGLEV
            : CnatTranslation.LB_DEFAULT;
    // ClientIP affinity: hash the client and VIP only, so one client keeps its backend.
    int hash =
        sp.getAffinityTimeoutSeconds() > 0
            ? CnatTranslation.FLOW_HASH_SRC_IP
                | CnatTranslation.FLOW_HASH_DST_IP
                | CnatTranslation.FLOW_HASH_PROTO
            : 0;
    Want prev =
        in.wants.putIfAbsent(
            key, new Want(key, sp.getNetworkId(), sp.getName(), lb, hash, paths, sources, realIp));
    if (prev != null) {
      throw new DataplaneException(
          key + " is wanted by both " + prev.owner + " and " + sp.getName() + " (expected: one)");
    }
  }

  private static String describe(StateModel m, Set<Integer> networks) {
    List<String> out = new ArrayList<>();
    for (int network : networks) {
      NetworkSpec n = m.networks().get(network);
      out.add(network + (n == null || n.getName().isEmpty() ? "" : " (" + n.getName() + ")"));
    }
    return out.size() == 2 ? out.get(0) + " and " + out.get(1) : String.join(", ", out);
  }

  private static IpAddress parse(String literal, String what) throws DataplaneException {
    try {
      return IpAddress.parse(literal);
    } catch (IllegalArgumentException e) {
      throw new DataplaneException(
          what + ": '" + literal + "' (expected: an IPv4 or IPv6 address)", false, e);
    }
  }

  private static @Nullable Key key(int table, CnatTranslation t) {
    if (t.ipProto() != CnatTranslation.TCP && t.ipProto() != CnatTranslation.UDP) {
      return null;
    }
    return new Key(table, t.vip().address(), t.ipProto(), t.vip().port());
  }

  /** {@link Want#signature()} of a dumped translation, its paths sorted as a Want's are. */
  private static List<String> signature(CnatTranslation t) {
    List<CnatTranslation.Path> sorted = new ArrayList<>(t.paths());
    sorted.sort(
        Comparator.comparing((CnatTranslation.Path p) -> p.dst().address())
            .thenComparingInt(p -> p.dst().port()));
    List<String> out = new ArrayList<>(sorted.size());
    for (CnatTranslation.Path p : sorted) {
      IpAddress src = p.src().address();
      boolean none = src.equals(src.isV4() ? IpAddress.ofV4(0) : IpAddress.of(0, 0));
      out.add(p.dst().address() + " " + p.dst().port() + " " + (none ? "-" : src.toString()));
    }
    return out;
  }

  private static List<Backend> paths(CnatTranslation t) {
    List<Backend> out = new ArrayList<>();
    for (CnatTranslation.Path p : t.paths()) {
      out.add(
          Backend.newBuilder()
              .setAddress(p.dst().address().toString())
              .setPort(p.dst().port())
              .build());
    }
    out.sort(
        Comparator.comparing((Backend b) -> IpAddress.parse(b.getAddress()))
            .thenComparingInt(Backend::getPort));
    return out;
  }

  /**
   * What VPP holds, read back with ip_table_dump and the translation dump. VPP does not know
   * networks: a translation's network is the one its VIP (in its table) was programmed for (0 if
   * unknown), and a network is shown while its FIB table exists.
   */
  @Override
  public synchronized DesiredState observe() throws DataplaneException {
    StateModel a = applied;
    try {
      Set<Integer> tables = new HashSet<>();
      for (var t : client.sync(client.dump(new VppMessages.IpTableDump()))) {
        if (!t.isIp6()) {
          tables.add(t.tableId());
        }
      }
      var out = DesiredState.newBuilder();
      if (a != null) {
        for (NetworkSpec n : a.networks().values()) {
          int vrf = n.getVpp().getVrf();
          if (vrf == 0 || tables.contains(vrf)) {
            out.addNetworks(observedNetwork(n));
          }
        }
      }
      List<ServicePort> ports = new ArrayList<>();
      for (CnatTranslation.InTable it : dumpTranslations(client.has(VppMessages.TABLES))) {
        CnatTranslation t = it.translation();
        Key key = key(it.tableId(), t);
        if (key == null) {
          continue;
        }
        ports.add(
            ServicePort.newBuilder()
                .setNetworkId(vipNetworks.getOrDefault(new Addr(key.table, key.vip), 0))
                .setAddress(key.vip.toString())
                .setProtocol(key.proto == CnatTranslation.TCP ? Protocol.TCP : Protocol.UDP)
                .setPort(key.port)
                .setHasAnyEndpoints(!t.paths().isEmpty())
                .setLoadBalancing(
                    t.lbType() == CnatTranslation.LB_MAGLEV
                        ? LoadBalancing.MAGLEV
                        : LoadBalancing.RANDOM)
                .addAllBackends(paths(t))
                .build());
      }
      ports.sort(PORT_ORDER);
      return out.addAllServicePorts(ports).build();
    } catch (VppApiException e) {
      throw new DataplaneException("observe: " + e.getMessage(), false, e);
    }
  }

  private static final Comparator<ServicePort> PORT_ORDER =
      Comparator.comparingInt(ServicePort::getNetworkId)
          .thenComparing((ServicePort p) -> IpAddress.parse(p.getAddress()))
          .thenComparingInt(p -> p.getProtocol().getNumber())
          .thenComparingInt(ServicePort::getPort);

  private static NetworkSpec observedNetwork(NetworkSpec n) {
    var b = NetworkSpec.newBuilder().setId(n.getId());
    if (n.getVpp().getVrf() != 0) {
      b.setVpp(VppHints.newBuilder().setVrf(n.getVpp().getVrf()));
    }
    return b.build();
  }

  /**
   * What {@link #observe} shows once {@code desired} is applied: what a translation can hold.
   * Names, kernel hints, node facts, Maglev table sizes (VPP-wide in cnat) and affinity timeouts
   * (cnat does not dump its flow hash) are not kept; ports without backends have no translation;
   * external addresses are translations of their own. NodePorts are left out: their translations
   * are on VPP's own addresses, which only VPP knows.
   */
  public static DesiredState expected(DesiredState desired) {
    return expected(desired, false);
  }

  /**
   * {@link #expected(DesiredState)} on a VPP that keeps translations in tables ({@code tables}, see
   * {@link #translationsInTables()}) or not.
   */
  public static DesiredState expected(DesiredState desired, boolean tables) {
    StateModel m = StateModel.of(desired);
    var out = DesiredState.newBuilder();
    m.networks().values().forEach(n -> out.addNetworks(observedNetwork(n)));
    List<ServicePort> ports = new ArrayList<>();
    try {
      for (Want w : plan(m, tables).wants.values()) {
        ports.add(
            ServicePort.newBuilder()
                .setNetworkId(w.network)
                .setAddress(w.key.vip.toString())
                .setProtocol(w.key.proto == CnatTranslation.TCP ? Protocol.TCP : Protocol.UDP)
                .setPort(w.key.port)
                .setHasAnyEndpoints(true)
                .setLoadBalancing(
                    w.lbType == CnatTranslation.LB_MAGLEV
                        ? LoadBalancing.MAGLEV
                        : LoadBalancing.RANDOM)
                .addAllBackends(w.paths)
                .build());
      }
    } catch (DataplaneException e) {
      throw new IllegalArgumentException("desired: " + e.getMessage(), e);
    }
    ports.sort(PORT_ORDER);
    return out.addAllServicePorts(ports).build();
  }

  /**
   * What VPP holds, in its terms: whether cnat keeps translations in tables, every FIB table, every
   * translation with its table, and cnat's clients (the CLI's {@code show cnat client}, over
   * cli_inband: the API has no dump of them).
   */
  @Override
  public synchronized List<String> describe() throws DataplaneException {
    try {
      boolean withTables = client.has(VppMessages.TABLES);
      List<String> out = new ArrayList<>();
      out.add(
          withTables
              ? "cnat: translations in FIB tables (cnat_translation_update_v2)"
              : "cnat: stock, every translation in FIB table 0");
      for (var t : client.sync(client.dump(new VppMessages.IpTableDump()))) {
        out.add(
            "table "
                + Integer.toUnsignedString(t.tableId())
                + " "
                + (t.isIp6() ? "ip6" : "ip4")
                + " "
                + t.name());
      }
      for (CnatTranslation.InTable it : dumpTranslations(withTables)) {
        CnatTranslation t = it.translation();
        var line =
            new StringBuilder("translation ")
                .append(t.id())
                .append(" table ")
                .append(Integer.toUnsignedString(it.tableId()))
                .append(' ')
                .append(endpoint(t.vip().address(), t.vip().port()))
                .append(
                    t.ipProto() == CnatTranslation.TCP
                        ? " TCP"
                        : t.ipProto() == CnatTranslation.UDP ? " UDP" : " proto " + t.ipProto())
                .append(t.lbType() == CnatTranslation.LB_MAGLEV ? " maglev" : " default")
                .append(" ->");
        for (CnatTranslation.Path p : t.paths()) {
          line.append(' ').append(endpoint(p.dst().address(), p.dst().port()));
        }
        out.add(line.toString());
      }
      if (client.has(List.of(VppMessages.CLI_INBAND, VppMessages.CLI_INBAND_REPLY))) {
        String clients = client.sync(client.call(new VppMessages.CliInband("show cnat client")));
        for (String l : clients.lines().toList()) {
          if (!l.isBlank()) {
            out.add("client " + l.strip());
          }
        }
      } else {
        out.add("clients: unknown (VPP has no cli_inband)");
      }
      return out;
    } catch (VppApiException e) {
      throw new DataplaneException("describe: " + e.getMessage(), false, e);
    }
  }

  private static String endpoint(IpAddress a, int port) {
    return (a.isV4() ? a.toString() : "[" + a + "]") + ":" + port;
  }

  /**
   * Deletes every cnat translation, purges sessions (cnat_session_purge also purges translations in
   * VPP) and deletes the tables it created.
   */
  @Override
  public synchronized void cleanup() throws DataplaneException {
    try {
      addresses = readAddresses(); // node addresses are never released (Batch.release)
      var batch = new Batch();
      Set<IpAddress> gone = new TreeSet<>();
      for (CnatTranslation t : client.sync(client.dump(new VppMessages.TranslationDump()))) {
        batch.delete(t.id());
        gone.add(t.vip().address());
      }
      batch.release(gone, Set.of());
      batch.await();
      client.sync(client.call(new VppMessages.SessionPurge()));
      deleteTables(client.sync(client.dump(new VppMessages.IpTableDump())), Set.of());
    } catch (VppApiException e) {
      failed();
      throw new DataplaneException("cleanup: " + e.getMessage(), true, e);
    }
    applied = null;
    programmed = Map.of();
    vipNetworks = Map.of();
  }

  @Override
  public void close() {
    resyncs.shutdownNow();
    client.close();
  }
}
