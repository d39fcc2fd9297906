package io.multinet.app;

import io.multinet.network.IpAddress;
import io.multinet.nodeproxy.dns.DnsOptions;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.jspecify.annotations.Nullable;
import picocli.CommandLine.Option;

/**
 * The node proxy's per-network DNS options of {@code run} ({@link DnsOptions}). Values are read as
 * text and checked here, so a bad one is a one-line error naming the flag.
 */
final class DnsFlags {

  @Option(
      names = "--dns",
      negatable = true,
      defaultValue = "true",
      fallbackValue = "true",
      description =
          "Answer DNS for every network with DNS (Network spec.dns) on this node; --no-dns: no"
              + " DNS server. Default: on.")
  boolean enabled = true;

  @Option(
      names = "--dns-listen-address",
      paramLabel = "ADDR",
      description =
          "Local address the DNS listeners bind (the dataplane steers each network's DNS address"
              + " there); repeatable, one per family. Default: "
              + DnsOptions.DEFAULT_LISTEN_V4
              + " and "
              + DnsOptions.DEFAULT_LISTEN_V6
              + ".")
  List<String> listenAddresses = new ArrayList<>();

  @Option(
      names = "--cluster-domain",
      paramLabel = "DOMAIN",
      defaultValue = DnsOptions.DEFAULT_DOMAIN,
      description =
          "The cluster domain of networks without spec.dns.clusterDomain. Default:"
              + " ${DEFAULT-VALUE}.")
  String clusterDomain = DnsOptions.DEFAULT_DOMAIN;

  @Option(
      names = "--dns-ttl",
      paramLabel = "SECONDS",
      defaultValue = "5",
      description = "TTL of every record, and the SOA minimum. Default: ${DEFAULT-VALUE}.")
  String ttl = "5";

  @Option(
      names = "--dns-default-network",
      description =
          "Also serve the default network's Services, at --dns-default-network-ip (default: the"
              + " cluster's own DNS serves them).")
  boolean defaultNetwork;

  @Option(
      names = "--dns-default-network-ip",
      paramLabel = "ADDR",
      description =
          "With --dns-default-network: the default network's DNS address; repeatable, one per"
              + " family.")
  List<String> defaultNetworkIps = new ArrayList<>();

  @Option(
      names = "--dns-rate-limit",
      paramLabel = "QPS",
      defaultValue = "1000",
      description =
          "Queries per second each source may send within its network; 0: no limit. Default:"
              + " ${DEFAULT-VALUE}.")
  String rateLimit = "1000";

  @Option(
      names = "--dns-rate-burst",
      paramLabel = "N",
      defaultValue = "2000",
      description = "Queries a source may send at once above the rate. Default: ${DEFAULT-VALUE}.")
  String rateBurst = "2000";

  @Option(
      names = "--dns-upstream",
      paramLabel = "ADDR[:PORT]",
      description =
          "Where names outside the cluster domain go for networks without spec.dns.upstreams;"
              + " repeatable, IPv6 as [ADDR]:PORT. Default: the nameservers of /etc/resolv.conf.")
  List<String> upstreams = new ArrayList<>();

  /**
   * The DNS server's options, or null with {@code --no-dns}; the server's sockets live in {@code
   * netns} (null: this process's namespace). Every value is checked, also with {@code --no-dns}.
   *
   * @throws IllegalArgumentException naming the flag and what it expects
   */
  @Nullable DnsOptions options(@Nullable String netns) {
    List<InetAddress> listen = new ArrayList<>();
    for (String a : listenAddresses) {
      listen.add(address("--dns-listen-address", a).toInetAddress());
    }
    onePerFamily("--dns-listen-address", listenAddresses);
    defaultNetworkIps(); // checked with the rest, also with --no-dns
    int seconds = integer("--dns-ttl", ttl, 0, Integer.MAX_VALUE, "seconds, 0-2147483647");
    double qps;
    try {
      qps = Double.parseDouble(rateLimit.trim());
    } catch (NumberFormatException e) {
      qps = -1;
    }
    if (!(qps >= 0) || Double.isInfinite(qps)) {
      throw new IllegalArgumentException(
          "--dns-rate-limit: " + rateLimit + " (expected: queries per second, 0 for no limit)");
    }
    int burst = integer("--dns-rate-burst", rateBurst, 1, Integer.MAX_VALUE, "at least 1");
    List<InetSocketAddress> up = new ArrayList<>();
    for (String u : upstreams) {
      up.add(upstream(u));
    }
    DnsOptions o = DnsOptions.defaults();
    try {
      o = o.withClusterDomain(clusterDomain);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(
          "--cluster-domain: " + clusterDomain + " (expected: a DNS name such as cluster.local)",
          e);
    }
    if (!enabled) {
      return null;
    }
    if (!listen.isEmpty()) {
      o = o.withListenAddresses(listen);
    }
    if (!up.isEmpty()) {
      o = o.withNodeUpstreams(up);
    }
    return o.withTtlSeconds(seconds)
        .withDefaultNetwork(defaultNetwork)
        .withRateLimit(qps, burst)
        .withNetns(netns);
  }

  /**
   * The default network's DNS addresses ({@code --dns-default-network-ip}): required with {@code
   * --dns-default-network}, refused without it.
   */
  List<IpAddress> defaultNetworkIps() {
    List<IpAddress> out = new ArrayList<>();
    for (String a : defaultNetworkIps) {
      out.add(address("--dns-default-network-ip", a));
    }
    onePerFamily("--dns-default-network-ip", defaultNetworkIps);
    if (defaultNetwork && out.isEmpty()) {
      throw new IllegalArgumentException(
          "--dns-default-network: no --dns-default-network-ip (expected: the default network's"
              + " DNS address, one per family)");
    }
    if (!defaultNetwork && !out.isEmpty()) {
      throw new IllegalArgumentException(
          "--dns-default-network-ip: "
              + String.join(",", defaultNetworkIps)
              + " (expected: with --dns-default-network)");
    }
    return List.copyOf(out);
  }

  /** This machine's resolvers, or {@code --dns-upstream}'s (explain's view of a node). */
  static List<InetSocketAddress> nodeUpstreams(List<String> given) {
    if (given.isEmpty()) {
      return DnsOptions.resolvConf(Path.of("/etc/resolv.conf"));
    }
    List<InetSocketAddress> out = new ArrayList<>();
    for (String u : given) {
      out.add(upstream(u));
    }
    return out;
  }

  private static IpAddress address(String flag, String text) {
    try {
      return IpAddress.parse(text.trim());
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(
          flag + ": " + text + " (expected: an IPv4 or IPv6 address)", e);
    }
  }

  private static void onePerFamily(String flag, List<String> given) {
    List<IpAddress> seen = new ArrayList<>();
    for (String a : given) {
      IpAddress ip = address(flag, a);
      for (IpAddress s : seen) {
        if (s.family() == ip.family()) {
          throw new IllegalArgumentException(
              flag + ": " + String.join(",", given) + " (expected: at most one per family)");
        }
      }
      seen.add(ip);
    }
  }

  private static int integer(String flag, String text, int min, int max, String expected) {
    long v;
    try {
      v = Long.parseLong(text.trim());
    } catch (NumberFormatException e) {
      v = Long.MIN_VALUE;
    }
    if (v < min || v > max) {
      throw new IllegalArgumentException(flag + ": " + text + " (expected: " + expected + ")");
    }
    return (int) v;
  }

  /** {@code IP}, {@code IP:port} or {@code [IPv6]:port}; port 53 unless given. */
  static InetSocketAddress upstream(String text) {
    String t = text.trim();
    String host = t;
    int port = 53;
    try {
      if (t.startsWith("[")) {
        int end = t.indexOf(']');
        if (end < 0) {
          throw new IllegalArgumentException(t);
        }
        host = t.substring(1, end);
        String rest = t.substring(end + 1);
        if (!rest.isEmpty()) {
          if (!rest.startsWith(":")) {
            throw new IllegalArgumentException(t);
          }
          port = Integer.parseInt(rest.substring(1));
        }
      } else if (t.indexOf(':') > 0 && t.indexOf(':') == t.lastIndexOf(':')) {
        host = t.substring(0, t.indexOf(':'));
        port = Integer.parseInt(t.substring(t.indexOf(':') + 1));
      }
      if (port < 1 || port > 65535) {
        throw new IllegalArgumentException(t);
      }
      return new InetSocketAddress(IpAddress.parse(host).toInetAddress(), port);
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(
          "--dns-upstream: " + text + " (expected: ADDR, ADDR:PORT or [IPv6]:PORT, port 1-65535)",
          e);
    }
  }
}
