package io.multinet.nodeproxy.dns;

import static java.util.Objects.requireNonNull;

import io.multinet.network.Cidr;
import io.multinet.network.IpAddress;
import java.io.ByteArrayOutputStream;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * One network's names, immutable: the records of its Services in hash shards (a sync copies only
 * the shards whose names changed), the zone apex's SOA, {@code dns-version} and where names outside
 * the domain go.
 */
final class Zone {

  /** Shards per network: a power of two. */
  static final int SHARDS = 256;

  /** What the DNS schema version record says (CoreDNS's value for the same specification). */
  static final String SCHEMA_VERSION = "1.1.0";

  final int networkId;
  final String network;
  final String domain;
  private final String dotDomain;
  final List<InetSocketAddress> upstreams;
  final boolean ownUpstreams;
  private final List<Cidr> cidrs;
  private final Map<String, Entry>[] shards;
  final long serial;
  final int ttl;

  /** The authority section of a negative answer: the apex SOA, owner name written out. */
  final byte[] negative;

  /** The same for reverse names: SOA owned by in-addr.arpa and ip6.arpa. */
  final byte[] negative4;

  final byte[] negative6;
  final RrSet soaAnswer;
  final RrSet version;

  Zone(
      int networkId,
      String network,
      String domain,
      List<InetSocketAddress> upstreams,
      boolean ownUpstreams,
      List<Cidr> cidrs,
      Map<String, Entry>[] shards,
      long serial,
      int ttl) {
    this.networkId = networkId;
    this.network = requireNonNull(network, "network");
    this.domain = requireNonNull(domain, "domain");
    this.dotDomain = "." + domain;
    this.upstreams = List.copyOf(upstreams);
    this.ownUpstreams = ownUpstreams;
    this.cidrs = List.copyOf(cidrs);
    this.shards = requireNonNull(shards, "shards");
    this.serial = serial;
    this.ttl = ttl;
    byte[] soa = Wire.soa(domain, serial, ttl);
    this.negative = authority(domain, soa, ttl);
    this.negative4 = authority("in-addr.arpa", Wire.soa("in-addr.arpa", serial, ttl), ttl);
    this.negative6 = authority("ip6.arpa", Wire.soa("ip6.arpa", serial, ttl), ttl);
    var out = new ByteArrayOutputStream();
    Wire.record(out, Wire.SOA, ttl, soa);
    this.soaAnswer = new RrSet(out.toByteArray(), 1);
    out.reset();
    Wire.record(out, Wire.TXT, ttl, Wire.txt(SCHEMA_VERSION));
    this.version = new RrSet(out.toByteArray(), 1);
  }

  private static byte[] authority(String owner, byte[] soa, int ttl) {
    var out = new ByteArrayOutputStream();
    Wire.record(out, Wire.name(owner), Wire.SOA, ttl, soa);
    return out.toByteArray();
  }

  /** The same names with other shards (a sync's result), or the same zone's new serial. */
  Zone withShards(Map<String, Entry>[] newShards, long newSerial) {
    return new Zone(
        networkId, network, domain, upstreams, ownUpstreams, cidrs, newShards, newSerial, ttl);
  }

  Map<String, Entry>[] shards() {
    return shards;
  }

  static int shard(String name) {
    int h = name.hashCode();
    return (h ^ (h >>> 16)) & (SHARDS - 1);
  }

  /** The entry of a lowercase dotted name, or null when the name does not exist. */
  @Nullable Entry lookup(String name) {
    return shards[shard(name)].get(name);
  }

  /**
   * What this network answers for a lowercase dotted {@code name} of {@code qtype}: the one
   * decision the server and {@link DnsSnapshot#query} share. {@code plain}: no label of the name
   * contains a dot (only a query on the wire can say otherwise). Names in the cluster domain are
   * answered here, an alias answering every type with itself; reverse names with a record, or in
   * the network's ranges, too; every other name is forwarded.
   */
  Resolution resolve(String name, int qtype, boolean plain) {
    if (inDomain(name)) {
      if (!plain) {
        return Resolution.Outcome.NXDOMAIN;
      }
      if (isApex(name)) {
        return qtype == Wire.SOA || qtype == Wire.ANY ? soaAnswer : Resolution.Outcome.NODATA;
      }
      if (isVersion(name)) {
        return qtype == Wire.TXT || qtype == Wire.ANY ? version : Resolution.Outcome.NODATA;
      }
      Entry e = lookup(name);
      if (e == null) {
        return Resolution.Outcome.NXDOMAIN;
      }
      RrSet set = e.get(qtype);
      if (set == null && qtype != Wire.CNAME) {
        set = e.cname();
      }
      return set != null ? set : Resolution.Outcome.NODATA;
    }
    if (!plain) {
      return Resolution.Outcome.REFUSED;
    }
    boolean v4 = name.endsWith(".in-addr.arpa");
    if (v4 || name.endsWith(".ip6.arpa")) {
      Entry e = lookup(name);
      if (e != null) {
        RrSet set = e.get(qtype);
        if (set != null) {
          return set;
        }
        return v4 ? Resolution.Outcome.NODATA_V4 : Resolution.Outcome.NODATA_V6;
      }
      if (ownsReverse(name)) {
        return v4 ? Resolution.Outcome.NXDOMAIN_V4 : Resolution.Outcome.NXDOMAIN_V6;
      }
    }
    return Resolution.Outcome.FORWARD;
  }

  /** Whether the name is the apex or below it: answered here, never forwarded. */
  boolean inDomain(String name) {
    return name.endsWith(dotDomain) || name.equals(domain);
  }

  boolean isApex(String name) {
    return name.equals(domain);
  }

  boolean isVersion(String name) {
    return name.length() == domain.length() + 12
        && name.startsWith("dns-version.")
        && name.endsWith(domain);
  }

  /**
   * Whether a reverse name that has no record is still this network's to deny: the full name of an
   * address in the network's service or pod ranges (pod ranges overlap between networks, so the
   * node's resolvers must not be asked about them).
   */
  boolean ownsReverse(String name) {
    IpAddress a = Wire.fromReverse(name);
    if (a == null) {
      return false;
    }
    for (Cidr c : cidrs) {
      if (c.contains(a)) {
        return true;
      }
    }
    return false;
  }

  /** The zone's number of names (tests and metrics). */
  int size() {
    int n = 0;
    for (Map<String, Entry> s : shards) {
      n += s.size();
    }
    return n;
  }
}
