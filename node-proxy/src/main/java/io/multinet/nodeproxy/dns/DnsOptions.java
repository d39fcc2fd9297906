package io.multinet.nodeproxy.dns;

import static java.util.Objects.requireNonNull;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.jspecify.annotations.Nullable;

/**
 * How the node's DNS server listens and answers.
 *
 * @param listenAddresses the local addresses each network's listeners bind, one per family (default
 *     {@code 169.254.53.53} and {@code fd00:6d6e:6574::53}); each network gets its own ephemeral
 *     port on them, UDP and TCP on the same number, and the dataplane steers {@code dnsIP:53}
 *     there. Bound with IP_FREEBIND, so the address may be configured later.
 * @param clusterDomain the domain of a network whose {@code spec.dns.clusterDomain} is unset, and
 *     of the default network (default {@code cluster.local})
 * @param ttlSeconds the TTL of every record, and the SOA minimum (default 5, as CoreDNS)
 * @param defaultNetwork whether the default network gets records and listeners too (default no: the
 *     cluster's own DNS serves it)
 * @param nodeUpstreams where names outside the cluster domain go for a network without {@code
 *     spec.dns.upstreams} (default: the nameservers of {@code /etc/resolv.conf})
 * @param netns the network namespace the listeners and upstream sockets live in; null: the caller's
 * @param queriesPerSecond each source address's sustained rate within one network; 0 turns the
 *     limit off (default 1000)
 * @param burst how many queries a source may send at once above that rate (default 2000)
 * @param cacheEntries the forwarding cache's size, all networks together (default 10000)
 * @param upstreamTimeout how long one upstream gets to answer before the next is asked (default 2
 *     s)
 * @param ioThreads the event-loop threads serving every network (default 1)
 */
public record DnsOptions(
    List<InetAddress> listenAddresses,
    String clusterDomain,
    int ttlSeconds,
    boolean defaultNetwork,
    List<InetSocketAddress> nodeUpstreams,
    @Nullable String netns,
    double queriesPerSecond,
    int burst,
    int cacheEntries,
    Duration upstreamTimeout,
    int ioThreads) {

  public static final String DEFAULT_LISTEN_V4 = "169.254.53.53";
  public static final String DEFAULT_LISTEN_V6 = "fd00:6d6e:6574::53";
  public static final String DEFAULT_DOMAIN = "cluster.local";

  public DnsOptions {
    listenAddresses = List.copyOf(requireNonNull(listenAddresses, "listenAddresses"));
    if (listenAddresses.isEmpty()) {
      throw new IllegalArgumentException("listenAddresses: [] (expected: at least one address)");
    }
    requireNonNull(clusterDomain, "clusterDomain");
    clusterDomain = clusterDomain.toLowerCase(Locale.ROOT);
    if (clusterDomain.endsWith(".")) {
      clusterDomain = clusterDomain.substring(0, clusterDomain.length() - 1);
    }
    if (clusterDomain.isEmpty() || !Wire.validName(clusterDomain)) {
      throw new IllegalArgumentException(
          "clusterDomain: " + clusterDomain + " (expected: a DNS name such as cluster.local)");
    }
    if (ttlSeconds < 0) {
      throw new IllegalArgumentException("ttlSeconds: " + ttlSeconds + " (expected: >= 0)");
    }
    nodeUpstreams = List.copyOf(requireNonNull(nodeUpstreams, "nodeUpstreams"));
    if (queriesPerSecond < 0 || Double.isNaN(queriesPerSecond)) {
      throw new IllegalArgumentException(
          "queriesPerSecond: " + queriesPerSecond + " (expected: >= 0, 0 for no limit)");
    }
    if (burst < 1) {
      throw new IllegalArgumentException("burst: " + burst + " (expected: >= 1)");
    }
    if (cacheEntries < 0) {
      throw new IllegalArgumentException("cacheEntries: " + cacheEntries + " (expected: >= 0)");
    }
    requireNonNull(upstreamTimeout, "upstreamTimeout");
    if (upstreamTimeout.isNegative() || upstreamTimeout.isZero()) {
      throw new IllegalArgumentException(
          "upstreamTimeout: " + upstreamTimeout + " (expected: positive)");
    }
    if (ioThreads < 1) {
      throw new IllegalArgumentException("ioThreads: " + ioThreads + " (expected: >= 1)");
    }
  }

  /** The defaults, with the node's resolvers read from {@code /etc/resolv.conf}. */
  public static DnsOptions defaults() {
    try {
      return new DnsOptions(
          List.of(
              InetAddress.getByName(DEFAULT_LISTEN_V4), InetAddress.getByName(DEFAULT_LISTEN_V6)),
          DEFAULT_DOMAIN,
          5,
          false,
          resolvConf(Path.of("/etc/resolv.conf")),
          null,
          1000,
          2000,
          10_000,
          Duration.ofSeconds(2),
          1);
    } catch (UnknownHostException e) {
      throw new IllegalStateException(e);
    }
  }

  /**
   * The {@code nameserver} lines of a resolv.conf, port 53; empty when the file does not exist.
   * Unparsable lines are skipped, as the C library skips them.
   */
  public static List<InetSocketAddress> resolvConf(Path file) {
    requireNonNull(file, "file");
    List<String> lines;
    try {
      lines = Files.readAllLines(file);
    } catch (NoSuchFileException e) {
      return List.of();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    List<InetSocketAddress> out = new ArrayList<>();
    for (String line : lines) {
      String[] f = line.trim().split("\\s+", -1);
      if (f.length >= 2 && f[0].equals("nameserver")) {
        String host = f[1];
        int zone = host.indexOf('%');
        if (zone >= 0) {
          host = host.substring(0, zone);
        }
        try {
          io.multinet.network.IpAddress a = io.multinet.network.IpAddress.parse(host);
          out.add(new InetSocketAddress(a.toInetAddress(), 53));
        } catch (IllegalArgumentException e) {
          // not an address: skipped
        }
      }
    }
    return List.copyOf(out);
  }

  public DnsOptions withListenAddresses(List<InetAddress> addresses) {
    return new DnsOptions(
        addresses,
        clusterDomain,
        ttlSeconds,
        defaultNetwork,
        nodeUpstreams,
        netns,
        queriesPerSecond,
        burst,
        cacheEntries,
        upstreamTimeout,
        ioThreads);
  }

  public DnsOptions withClusterDomain(String domain) {
    return new DnsOptions(
        listenAddresses,
        domain,
        ttlSeconds,
        defaultNetwork,
        nodeUpstreams,
        netns,
        queriesPerSecond,
        burst,
        cacheEntries,
        upstreamTimeout,
        ioThreads);
  }

  public DnsOptions withTtlSeconds(int ttl) {
    return new DnsOptions(
        listenAddresses,
        clusterDomain,
        ttl,
        defaultNetwork,
        nodeUpstreams,
        netns,
        queriesPerSecond,
        burst,
        cacheEntries,
        upstreamTimeout,
        ioThreads);
  }

  public DnsOptions withDefaultNetwork(boolean on) {
    return new DnsOptions(
        listenAddresses,
        clusterDomain,
        ttlSeconds,
        on,
        nodeUpstreams,
        netns,
        queriesPerSecond,
        burst,
        cacheEntries,
        upstreamTimeout,
        ioThreads);
  }

  public DnsOptions withNodeUpstreams(List<InetSocketAddress> upstreams) {
    return new DnsOptions(
        listenAddresses,
        clusterDomain,
        ttlSeconds,
        defaultNetwork,
        upstreams,
        netns,
        queriesPerSecond,
        burst,
        cacheEntries,
        upstreamTimeout,
        ioThreads);
  }

  public DnsOptions withNetns(@Nullable String name) {
    return new DnsOptions(
        listenAddresses,
        clusterDomain,
        ttlSeconds,
        defaultNetwork,
        nodeUpstreams,
        name,
        queriesPerSecond,
        burst,
        cacheEntries,
        upstreamTimeout,
        ioThreads);
  }

  public DnsOptions withRateLimit(double perSecond, int burstSize) {
    return new DnsOptions(
        listenAddresses,
        clusterDomain,
        ttlSeconds,
        defaultNetwork,
        nodeUpstreams,
        netns,
        perSecond,
        burstSize,
        cacheEntries,
        upstreamTimeout,
        ioThreads);
  }

  public DnsOptions withUpstreamTimeout(Duration timeout) {
    return new DnsOptions(
        listenAddresses,
        clusterDomain,
        ttlSeconds,
        defaultNetwork,
        nodeUpstreams,
        netns,
        queriesPerSecond,
        burst,
        cacheEntries,
        timeout,
        ioThreads);
  }
}
