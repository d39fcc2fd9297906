package io.multinet.nodeproxy.dns;

import static java.util.Objects.requireNonNull;

import io.fabric8.kubernetes.api.model.Service;
import io.multinet.kube.network.NetworkCatalog;
import io.multinet.kube.network.NetworkDefinition;
import io.multinet.kube.network.NetworkDns;
import io.multinet.kube.service.ServiceNetworkResolver;
import io.multinet.network.Cidr;
import io.multinet.network.IpAddress;
import io.multinet.network.Network;
import io.multinet.nodeproxy.Caches;
import java.io.ByteArrayOutputStream;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import org.jspecify.annotations.Nullable;

/**
 * Builds every network's DNS names from the node proxy's {@link Caches} — the same Services,
 * EndpointSlices, Namespaces and Networks it programs from, so a name resolves no later than its
 * Service is programmed. It keeps each Service's records and, told which Services changed (the
 * {@code changed} set the node pipeline runs with), recomputes only those and copies only the zone
 * shards whose names changed. Not thread-safe: the sync thread owns it; the snapshots it publishes
 * are immutable and may be read from any thread.
 */
public final class DnsRecords {

  /** What a network's zone depends on besides its Services; any change rebuilds it. */
  private record NetworkKey(
      int id,
      String name,
      String domain,
      List<InetSocketAddress> upstreams,
      boolean ownUpstreams,
      List<Cidr> cidrs) {}

  /** One network's names while they are built. */
  private static final class NetworkState {
    final NetworkKey key;
    // name → the data each Service (by key, sorted: merged the same way at every sync) gives it
    final Map<String, TreeMap<String, ServiceRecords.NameData>> data = new HashMap<>();
    // empty non-terminals: name → how many Services' names sit below it
    final Map<String, Integer> ancestors = new HashMap<>();
    Zone zone;

    NetworkState(NetworkKey key, int ttl) {
      this.key = key;
      @SuppressWarnings({"unchecked", "rawtypes"})
      Map<String, Entry>[] shards = new Map[Zone.SHARDS];
      java.util.Arrays.fill(shards, Map.of());
      this.zone =
          new Zone(
              key.id,
              key.name,
              key.domain,
              key.upstreams,
              key.ownUpstreams,
              key.cidrs,
              shards,
              0,
              ttl);
    }
  }

  private final DnsOptions options;
  private final Map<String, ServiceRecords> byService = new HashMap<>();
  private Map<Integer, NetworkState> networks = new HashMap<>();
  private Map<Integer, NetworkKey> keys = Map.of();
  private boolean complete;
  private long revision;
  private int rebuilt;
  private DnsSnapshot snapshot = DnsSnapshot.EMPTY;

  public DnsRecords(DnsOptions options) {
    this.options = requireNonNull(options, "options");
  }

  /**
   * Brings the names up to date with {@code caches}. {@code changed} names the Services ({@code
   * namespace/name}) whose Service or EndpointSlices changed since the previous update, or is null
   * when anything may have changed (a Network, a Namespace, a full sync): then every Service is
   * recomputed, and the zones change only where their records did. After an update that threw, the
   * next one recomputes everything.
   *
   * @return the new snapshot (also {@link #snapshot()})
   */
  public DnsSnapshot update(Caches caches, @Nullable Set<String> changed) {
    requireNonNull(caches, "caches");
    NetworkCatalog catalog =
        NetworkCatalog.build(caches.networks(), caches.calicoNetworks(), caches.attachments());
    Map<Integer, NetworkKey> now = networkKeys(catalog);
    boolean full = changed == null || !complete || !now.equals(keys);
    complete = false;
    revision++;
    if (!now.equals(keys)) {
      // Networks came, went or changed domain, upstreams or ranges: every zone starts afresh (and
      // every Service is recomputed below), which a Network change costs anyway.
      Map<Integer, NetworkState> next = new HashMap<>();
      now.forEach((id, key) -> next.put(id, new NetworkState(key, ttl())));
      networks = next;
      byService.clear();
      keys = now;
    }
    Map<Integer, Set<String>> touched = new HashMap<>();
    rebuilt = 0;
    if (full) {
      Set<String> present = new HashSet<>();
      for (Service s : caches.services()) {
        String k = s.getMetadata().getNamespace() + "/" + s.getMetadata().getName();
        present.add(k);
        apply(k, compute(caches, k, s, catalog), touched);
        rebuilt++;
      }
      for (String gone : new ArrayList<>(byService.keySet())) {
        if (!present.contains(gone)) {
          apply(gone, null, touched);
        }
      }
    } else {
      for (String k : requireNonNull(changed, "changed")) {
        apply(k, compute(caches, k, caches.service(k), catalog), touched);
        rebuilt++;
      }
    }
    Map<Integer, Zone> zones = new HashMap<>();
    for (var e : networks.entrySet()) {
      NetworkState s = e.getValue();
      Set<String> names = touched.get(e.getKey());
      if (names != null && !names.isEmpty()) {
        s.zone = s.zone.withShards(reshard(s, names), revision);
      } else if (s.zone.serial == 0) {
        s.zone = s.zone.withShards(s.zone.shards(), revision);
      }
      zones.put(e.getKey(), s.zone);
    }
    snapshot = new DnsSnapshot(zones, revision);
    complete = true;
    return snapshot;
  }

  /** The last published snapshot. */
  public DnsSnapshot snapshot() {
    return snapshot;
  }

  /** How many Services the last update recomputed. */
  int rebuilt() {
    return rebuilt;
  }

  private int ttl() {
    return options.ttlSeconds();
  }

  private Map<Integer, NetworkKey> networkKeys(NetworkCatalog catalog) {
    Map<Integer, NetworkKey> out = new HashMap<>();
    for (NetworkDefinition d : catalog.networks()) {
      NetworkDns dns = d.dns();
      if (dns == null) {
        continue;
      }
      Network n = d.network();
      List<Cidr> cidrs = new ArrayList<>(n.serviceCidrs());
      cidrs.addAll(n.podCidrs());
      boolean own = !dns.upstreams().isEmpty();
      out.put(
          n.id(),
          new NetworkKey(
              n.id(),
              d.name(),
              Objects.requireNonNullElse(dns.clusterDomain(), options.clusterDomain()),
              own ? dns.upstreams() : options.nodeUpstreams(),
              own,
              cidrs));
    }
    if (options.defaultNetwork()) {
      out.put(
          Network.DEFAULT_ID,
          new NetworkKey(
              Network.DEFAULT_ID,
              Network.DEFAULT_NAME,
              options.clusterDomain(),
              options.nodeUpstreams(),
              false,
              List.of()));
    }
    return out;
  }

  private @Nullable ServiceRecords compute(
      Caches caches, String key, @Nullable Service service, NetworkCatalog catalog) {
    if (service == null) {
      return null;
    }
    var resolved =
        ServiceNetworkResolver.resolve(
            service, caches.namespace(service.getMetadata().getNamespace()), catalog);
    if (!(resolved instanceof ServiceNetworkResolver.Resolved r)) {
      return null; // rejected (the controller reports why): no name either
    }
    NetworkDefinition d = r.serviceNetwork().network();
    int id = d == null ? Network.DEFAULT_ID : d.network().id();
    NetworkState state = networks.get(id);
    if (state == null) {
      return null; // a network without DNS, or the default network when not asked for
    }
    return ServiceRecords.of(service, d, id, state.key.domain, caches.slices(key));
  }

  /**
   * Replaces a Service's records; only the names whose data changed (or that start or stop being an
   * empty non-terminal) are touched, so an endpoint's change rebuilds a handful of names.
   */
  private void apply(String key, @Nullable ServiceRecords next, Map<Integer, Set<String>> touched) {
    ServiceRecords old = byService.get(key);
    if (Objects.equals(old, next)) {
      return;
    }
    boolean sameNetwork = old != null && next != null && old.networkId() == next.networkId();
    // What stays where it is: compared name by name (empty unless the network stays the same).
    Map<String, ServiceRecords.NameData> keptNext =
        sameNetwork ? requireNonNull(next, "next").names() : Map.of();
    Map<String, ServiceRecords.NameData> keptOld =
        sameNetwork ? requireNonNull(old, "old").names() : Map.of();
    Set<String> keptNextAncestors =
        sameNetwork ? requireNonNull(next, "next").ancestors() : Set.of();
    Set<String> keptOldAncestors = sameNetwork ? requireNonNull(old, "old").ancestors() : Set.of();
    if (old != null) {
      NetworkState s = networks.get(old.networkId());
      if (s != null) {
        Set<String> t = touched.computeIfAbsent(old.networkId(), k -> new HashSet<>());
        old.names()
            .forEach(
                (name, data) -> {
                  if (data.equals(keptNext.get(name))) {
                    return;
                  }
                  var m = s.data.get(name);
                  if (m != null) {
                    m.remove(key);
                    if (m.isEmpty()) {
                      s.data.remove(name);
                    }
                  }
                  t.add(name);
                });
        for (String name : old.ancestors()) {
          if (keptNextAncestors.contains(name)) {
            continue;
          }
          if (s.ancestors.merge(name, -1, Integer::sum) == 0) {
            s.ancestors.remove(name);
            t.add(name);
          }
        }
      }
      byService.remove(key);
    }
    if (next != null) {
      NetworkState s = requireNonNull(networks.get(next.networkId()), "network");
      Set<String> t = touched.computeIfAbsent(next.networkId(), k -> new HashSet<>());
      next.names()
          .forEach(
              (name, data) -> {
                if (data.equals(keptOld.get(name))) {
                  return;
                }
                s.data.computeIfAbsent(name, k -> new TreeMap<>()).put(key, data);
                t.add(name);
              });
      for (String name : next.ancestors()) {
        if (keptOldAncestors.contains(name)) {
          continue;
        }
        if (s.ancestors.merge(name, 1, Integer::sum) == 1) {
          t.add(name);
        }
      }
      byService.put(key, next);
    }
  }

  /** The zone's shards with the touched names rebuilt: untouched shards are shared. */
  private Map<String, Entry>[] reshard(NetworkState s, Set<String> names) {
    Map<String, Entry>[] shards = s.zone.shards().clone();
    Map<Integer, Map<String, Entry>> copies = new HashMap<>();
    for (String name : names) {
      int i = Zone.shard(name);
      Map<String, Entry> shard = copies.computeIfAbsent(i, k -> new HashMap<>(shards[k]));
      Entry entry = entry(s, name);
      if (entry == null) {
        shard.remove(name);
      } else {
        shard.put(name, entry);
      }
    }
    copies.forEach((i, m) -> shards[i] = Map.copyOf(m));
    return shards;
  }

  private @Nullable Entry entry(NetworkState s, String name) {
    var data = s.data.get(name);
    if (data == null || data.isEmpty()) {
      return s.ancestors.containsKey(name) ? Entry.EMPTY : null;
    }
    Set<IpAddress> v4 = new LinkedHashSet<>();
    Set<IpAddress> v6 = new LinkedHashSet<>();
    String cname = null;
    Set<ServiceRecords.Srv> srv = new LinkedHashSet<>();
    Set<String> ptr = new LinkedHashSet<>();
    for (ServiceRecords.NameData d : data.values()) {
      for (IpAddress a : d.addresses()) {
        (a.isV4() ? v4 : v6).add(a);
      }
      if (cname == null) {
        cname = d.cname();
      }
      srv.addAll(d.srv());
      ptr.addAll(d.ptr());
    }
    int ttl = ttl();
    var out = new ByteArrayOutputStream();
    RrSet a = null;
    RrSet aaaa = null;
    if (!v4.isEmpty()) {
      for (IpAddress ip : v4) {
        Wire.record(out, Wire.A, ttl, ip.toBytes());
      }
      a = new RrSet(out.toByteArray(), v4.size());
      out.reset();
    }
    if (!v6.isEmpty()) {
      for (IpAddress ip : v6) {
        Wire.record(out, Wire.AAAA, ttl, ip.toBytes());
      }
      aaaa = new RrSet(out.toByteArray(), v6.size());
      out.reset();
    }
    RrSet c = null;
    if (cname != null) {
      Wire.record(out, Wire.CNAME, ttl, Wire.name(cname));
      c = new RrSet(out.toByteArray(), 1);
      out.reset();
    }
    RrSet srvSet = null;
    if (!srv.isEmpty()) {
      for (ServiceRecords.Srv r : srv) {
        Wire.record(out, Wire.SRV, ttl, Wire.srv(r.priority(), r.weight(), r.port(), r.target()));
      }
      srvSet = new RrSet(out.toByteArray(), srv.size());
      out.reset();
    }
    RrSet ptrSet = null;
    if (!ptr.isEmpty()) {
      for (String target : ptr) {
        Wire.record(out, Wire.PTR, ttl, Wire.name(target));
      }
      ptrSet = new RrSet(out.toByteArray(), ptr.size());
    }
    return new Entry(a, aaaa, c, srvSet, ptrSet);
  }
}
