package io.multinet.nodeproxy.dns;

import static java.util.Objects.requireNonNull;

import java.util.List;
import java.util.Locale;
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

  /**
   * The answer network {@code networkId} gives to {@code name} of {@code type}, decided by the same
   * code the server's responder answers with ({@link Zone#resolve}), records read back from the
   * bytes it sends. Nothing is sent: a name to forward says where it would go. {@code name} is
   * taken as fully qualified (as dig takes it; a resolver's search path is not applied), any case,
   * with or without the trailing dot.
   *
   * @param type one of {@code A AAAA CNAME PTR SRV TXT SOA ANY}, any case
   * @throws IllegalArgumentException when the network has no DNS, or for a name or type that cannot
   *     be asked
   */
  public DnsAnswer query(int networkId, String name, String type) {
    String n = validate(name, type);
    String t = type.toUpperCase(Locale.ROOT);
    int qtype = DnsAnswer.typeCode(t);
    Zone z = zones.get(networkId);
    if (z == null) {
      throw new IllegalArgumentException(
          "network: " + networkId + " (expected: a network with DNS: " + networks() + ")");
    }
    String fqdn = n + ".";
    Resolution r = z.resolve(n, qtype, true);
    List<DnsAnswer.ResourceRecord> answer = List.of();
    List<DnsAnswer.ResourceRecord> authority = List.of();
    String rcode;
    boolean aa = true;
    boolean forwarded = false;
    switch (r) {
      case RrSet set -> {
        rcode = Wire.rcodeName(Wire.NOERROR);
        answer = DnsAnswer.answers(set, fqdn);
      }
      case Resolution.Outcome o when o == Resolution.Outcome.FORWARD -> {
        forwarded = true;
        aa = false;
        // The forwarder's rule: nothing to ask is SERVFAIL.
        rcode = z.upstreams.isEmpty() ? Wire.rcodeName(Wire.SERVFAIL) : null;
      }
      case Resolution.Outcome o -> {
        rcode = Wire.rcodeName(o.rcode);
        byte[] auth = o.authority(z);
        aa = auth != null;
        if (auth != null) {
          authority = List.of(DnsAnswer.authority(auth));
        }
      }
    }
    return new DnsAnswer(
        z.network,
        fqdn,
        t,
        rcode,
        aa,
        answer,
        authority,
        forwarded,
        forwarded ? z.upstreams : List.of(),
        z.ownUpstreams);
  }

  /**
   * Checks a question {@link #query} would take: the name lowercase without the trailing dot.
   *
   * @throws IllegalArgumentException for a name or type that cannot be asked
   */
  public static String validate(String name, String type) {
    requireNonNull(name, "name");
    requireNonNull(type, "type");
    DnsAnswer.typeCode(type.toUpperCase(Locale.ROOT));
    String n = name.toLowerCase(Locale.ROOT);
    if (n.endsWith(".")) {
      n = n.substring(0, n.length() - 1);
    }
    if (!Wire.validName(n) || !n.chars().allMatch(c -> c > 0x20 && c < 0x7f)) {
      throw new IllegalArgumentException(
          "name: " + name + " (expected: a DNS name, labels of 1-63 printable ASCII characters)");
    }
    return n;
  }
}
