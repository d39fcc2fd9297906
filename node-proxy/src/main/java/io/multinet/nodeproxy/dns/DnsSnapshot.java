package io.multinet.nodeproxy.dns;

import static java.util.Objects.requireNonNull;

import java.util.Map;
import java.util.TreeMap;
import org.jspecify.annotations.Nullable;

/**
 * Every network's DNS names at one sync, immutable: what {@link DnsRecords} publishes and {@link
 * DnsServer#update} serves. The networks in it are the networks the server listens for.
 */
public final class DnsSnapshot {

  /** No networks: a server given this listens for none. */
  public static final DnsSnapshot EMPTY = new DnsSnapshot(Map.of(), 0);

  private final Map<Integer, Zone> zones;
  private final long revision;

  DnsSnapshot(Map<Integer, Zone> zones, long revision) {
    this.zones = Map.copyOf(requireNonNull(zones, "zones"));
    this.revision = revision;
  }

  @Nullable Zone zone(Integer networkId) {
    return zones.get(networkId);
  }

  Map<Integer, Zone> zones() {
    return zones;
  }

  /** The build that made this snapshot: increases with each {@link DnsRecords#update}. */
  public long revision() {
    return revision;
  }

  /** The networks with DNS, network id → name. */
  public Map<Integer, String> networks() {
    var out = new TreeMap<Integer, String>();
    zones.forEach((id, z) -> out.put(id, z.network));
    return out;
  }

  /** A network's cluster domain, or null when the network has no DNS. */
  public @Nullable String clusterDomain(int networkId) {
    Zone z = zones.get(networkId);
    return z == null ? null : z.domain;
  }

  /** How many names a network's zone holds (0 without DNS). */
  public int names(int networkId) {
    Zone z = zones.get(networkId);
    return z == null ? 0 : z.size();
  }
}
