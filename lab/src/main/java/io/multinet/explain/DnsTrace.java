package io.multinet.explain;

import static java.util.Objects.requireNonNull;

import io.multinet.kube.network.NetworkCatalog;
import io.multinet.kube.network.NetworkDefinition;
import io.multinet.network.IpAddress;
import io.multinet.nodeproxy.Caches;
import io.multinet.nodeproxy.dns.DnsAnswer;
import io.multinet.nodeproxy.dns.DnsOptions;
import io.multinet.nodeproxy.dns.DnsRecords;
import io.multinet.nodeproxy.dns.DnsSnapshot;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import org.jspecify.annotations.Nullable;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * {@code explain --trace network=blue,name=web.demo.svc.cluster.local[,type=A]}: the answer the
 * node's DNS server gives a client of that network. The records are the node proxy's own ({@link
 * DnsRecords} over the API server's lists, as a sync builds them) and the answer is {@link
 * DnsSnapshot#query}, the decision the server answers with; nothing is sent anywhere, not even for
 * a name the server would forward.
 */
public final class DnsTrace {

  static final String EXPECTED =
      "network=NAME,name=NAME[,type=A|AAAA|CNAME|PTR|SRV|TXT|SOA|ANY]; name may be an address for"
          + " PTR";

  private static final Set<String> KEYS = Set.of("network", "name", "type");

  private DnsTrace() {}

  /**
   * One traced question.
   *
   * @param answer what the node answers; null when the network has no DNS on the node (unknown,
   *     without serviceCIDRs, or the default network)
   */
  public record Result(String trace, @Nullable DnsAnswer answer, List<String> lines)
      implements TraceResult {
    public Result {
      requireNonNull(trace, "trace");
      lines = List.copyOf(lines);
    }
  }

  /** A parsed question: the network's name, the name as asked, the type. */
  record Request(String network, String name, String type) {}

  /** Whether {@code spec} asks a DNS question ({@code name=}) rather than tracing a connection. */
  public static boolean isDns(String spec) {
    for (String part : spec.split(",", -1)) {
      if (part.trim().startsWith("name=")) {
        return true;
      }
    }
    return false;
  }

  static Request parse(String spec) {
    Map<String, String> kv = new LinkedHashMap<>();
    for (String part : spec.split(",", -1)) {
      int eq = part.indexOf('=');
      String key = eq <= 0 ? "" : part.substring(0, eq).trim();
      if (!KEYS.contains(key) || kv.containsKey(key)) {
        throw new IllegalArgumentException("--trace: " + spec + " (expected: " + EXPECTED + ")");
      }
      kv.put(key, part.substring(eq + 1).trim());
    }
    String name = kv.getOrDefault("name", "");
    if (name.isEmpty()) {
      throw new IllegalArgumentException("--trace: " + spec + " (expected: " + EXPECTED + ")");
    }
    IpAddress address = address(name);
    String type = kv.get("type");
    if (type == null) {
      type = address == null ? "A" : "PTR";
    }
    type = type.toUpperCase(Locale.ROOT);
    if (address != null && type.equals("PTR")) {
      name = DnsAnswer.reverseName(address);
    }
    return new Request(kv.getOrDefault("network", "default"), name, type);
  }

  private static @Nullable IpAddress address(String name) {
    try {
      return IpAddress.parse(name);
    } catch (IllegalArgumentException e) {
      return null; // a name
    }
  }

  /**
   * The answer to {@code spec} on node {@code nodeName}, with the node proxy's DNS {@code options}
   * (cluster domain, TTL, the node's upstreams).
   *
   * @throws IllegalArgumentException for a malformed trace, name or type
   */
  public static Result run(
      Caches caches, NetworkCatalog catalog, String nodeName, DnsOptions options, String spec) {
    requireNonNull(caches, "caches");
    requireNonNull(catalog, "catalog");
    requireNonNull(options, "options");
    Request r = parse(spec);
    List<String> out = new ArrayList<>();
    NetworkDefinition network = r.network().equals("default") ? null : catalog.byName(r.network());
    if (r.network().equals("default") && !options.defaultNetwork()) {
      checkQuestion(r);
      out.add(
          "the default network's names are the cluster's own DNS (kube-dns/CoreDNS); the node"
              + " proxy serves them only with run --dns-default-network");
      return new Result(spec, null, out);
    }
    if (network == null && !r.network().equals("default")) {
      checkQuestion(r);
      out.add(
          "no network "
              + r.network()
              + " (known: "
              + catalog.networks().stream().map(NetworkDefinition::name).toList()
              + ")");
      return new Result(spec, null, out);
    }
    int id = network == null ? 0 : network.network().id();
    DnsSnapshot snapshot = new DnsRecords(options).update(caches, null);
    if (snapshot.clusterDomain(id) == null) {
      checkQuestion(r);
      out.add(
          "network "
              + r.network()
              + " has no DNS: it has no serviceCIDRs, or its spec.dns is invalid (see the report's"
              + " events)");
      return new Result(spec, null, out);
    }
    DnsAnswer a = snapshot.query(id, r.name(), r.type());
    out.add(
        "dns "
            + a.name()
            + " "
            + a.type()
            + " from network "
            + a.network()
            + " (id "
            + id
            + ") on node "
            + nodeName);
    if (a.forwarded()) {
      String domain = requireNonNull(snapshot.clusterDomain(id), "domain");
      if (a.upstreams().isEmpty()) {
        out.add(
            "outside "
                + domain
                + ": to be forwarded, but there is no upstream (no spec.dns.upstreams, no"
                + " --dns-upstream, no nameserver in /etc/resolv.conf): "
                + a.rcode());
      } else {
        out.add(
            "outside "
                + domain
                + ": forwarded to "
                + String.join(", ", a.upstreams().stream().map(DnsTrace::hostPort).toList())
                + (a.ownUpstreams()
                    ? " (the network's spec.dns.upstreams)"
                    : " (the node's resolvers: --dns-upstream, default /etc/resolv.conf's)")
                + " unless the node's cache has the answer; the upstream's answer decides (nothing"
                + " was sent)");
      }
      return new Result(spec, a, out);
    }
    out.add(a.rcode() + (a.authoritative() ? ", authoritative" : ""));
    if (!a.answer().isEmpty()) {
      out.add("answer:");
      a.answer().forEach(rr -> out.add("  " + rr));
    }
    if (!a.authority().isEmpty()) {
      out.add("authority:");
      a.authority().forEach(rr -> out.add("  " + rr));
    }
    return new Result(spec, a, out);
  }

  /** A question for a network without DNS is still checked: a bad type is an error everywhere. */
  private static void checkQuestion(Request r) {
    DnsSnapshot.validate(r.name(), r.type());
  }

  static String hostPort(InetSocketAddress a) {
    String host = IpAddress.of(a.getAddress().getAddress()).toString();
    return (host.contains(":") ? "[" + host + "]" : host) + ":" + a.getPort();
  }

  /**
   * The JSON of one DNS trace: {@code network}, {@code name}, {@code type}, {@code rcode} (null
   * when forwarded or when the network has no DNS), {@code authoritative}, {@code answer} and
   * {@code authority} ({@code name}, {@code type}, {@code ttl}, {@code data}), {@code forwardedTo}
   * (null unless forwarded).
   */
  static void json(ObjectNode o, Result r) {
    o.put("trace", r.trace());
    DnsAnswer a = r.answer();
    Request q = parse(r.trace());
    o.put("network", q.network());
    o.put("name", a == null ? q.name() : a.name());
    o.put("type", a == null ? q.type() : a.type());
    if (a == null || a.rcode() == null) {
      o.putNull("rcode");
    } else {
      o.put("rcode", a.rcode());
    }
    o.put("authoritative", a != null && a.authoritative());
    records(o.putArray("answer"), a == null ? List.of() : a.answer());
    records(o.putArray("authority"), a == null ? List.of() : a.authority());
    if (a == null || !a.forwarded()) {
      o.putNull("forwardedTo");
    } else {
      ArrayNode to = o.putArray("forwardedTo");
      a.upstreams().forEach(u -> to.add(hostPort(u)));
    }
    ArrayNode lines = o.putArray("lines");
    r.lines().forEach(lines::add);
  }

  private static void records(ArrayNode list, List<DnsAnswer.ResourceRecord> records) {
    for (DnsAnswer.ResourceRecord rr : records) {
      ObjectNode o = list.addObject();
      o.put("name", rr.name());
      o.put("type", rr.type());
      o.put("ttl", rr.ttl());
      o.put("data", rr.data());
    }
  }
}
