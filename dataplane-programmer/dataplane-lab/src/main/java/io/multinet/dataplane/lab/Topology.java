package io.multinet.dataplane.lab;

import java.io.IOException;
import java.net.Inet4Address;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/**
 * A node namespace with per-network pods behind veth pairs, as a Calico-style CNI would wire them
 * (the recipe verified in the issue-4 notes, section 3). Everything lives in namespaces this class
 * creates and {@link #close() deletes}; the host namespace is never touched.
 *
 * <p>Address plan, fixed for every real-traffic test: pods take 10.1.0.0/24 and fd00:1::/64, and
 * every network reuses that range on purpose (overlapping pod IPs are the point of multinet). The
 * node owns 169.254.1.1 and fd00:ffff::1 on lo and answers for 169.254.1.1 / fe80::1 on each pod
 * link. The uplink uses documentation ranges 192.0.2.0/24 and 2001:db8::/64.
 *
 * <p>Routing, per network: a table holding the pod /32 and /128 routes plus {@code unreachable
 * default}, so a lookup never falls through to main. Two kinds of rules select it: {@code fwmark
 * MARK/MASK} (owned by the agent once it exists; {@link Options#markRules()} switches them off) and
 * {@code iif <node-side veth>} (what the CNI side provides, so pods talk before any nftables rule
 * marks their traffic). ICMP errors and resets the node itself sends are routed by mark only, so
 * until something marks packets they take the main table's default route to the uplink and are lost
 * there: the client then sees a timeout.
 */
public final class Topology implements AutoCloseable {
  public static final String NODE_V4 = "169.254.1.1";
  public static final String NODE_V6 = "fd00:ffff::1";

  private static final Pattern NAME = Pattern.compile("[a-z0-9][a-z0-9-]*");
  // A Kubernetes namespace (a DNS label) and a pod name (a DNS subdomain): "demo.web-1".
  private static final Pattern POD_NAMESPACE =
      Pattern.compile("[a-z0-9][a-z0-9-]*\\.[a-z0-9][a-z0-9.-]*");
  private static final int IFNAMSIZ = 15;
  private static final int MAIN_TABLE = 254;
  private static final int CAP_NET_ADMIN = 12;
  private static final int CAP_SYS_ADMIN = 21;

  /** Mark layout and rule priorities; mark = index << markShift. */
  public record Options(
      int markShift, int markMask, int markRulePref, int iifRulePref, boolean markRules) {
    public static final Options DEFAULTS = new Options(8, 0xff00, 1000, 2000, true);

    public Options withMarkRules(boolean on) {
      return new Options(markShift, markMask, markRulePref, iifRulePref, on);
    }
  }

  /** One pod network; node-side interfaces are {@code ifPrefix + n}. */
  public record Network(String name, int index, String ifPrefix, int table, int mark, int mask) {}

  /**
   * One interface of a pod namespace made with {@link #addPodNamespace}: {@code podIf} inside,
   * {@code nodeIf} its veth peer on the node.
   */
  public record Attachment(
      String network, String netns, String podIf, String nodeIf, String ipv4, String mac) {}

  /** A pod (or client) namespace; {@code eth0} inside, {@code nodeIf} on the node. */
  public record Pod(
      String name,
      String network,
      String netns,
      String nodeIf,
      String ipv4,
      @Nullable String ipv6) {}

  private static final Path NETNS_DIR = Path.of("/run/netns");

  private final String base;
  private final Options options;
  private final Deque<String> namespaces = new ArrayDeque<>();
  private final Map<String, Network> networks = new LinkedHashMap<>();
  private final Map<String, Pod> pods = new LinkedHashMap<>();
  private final Map<String, Integer> nextIf = new HashMap<>();
  private final List<EchoServer> servers = new ArrayList<>();
  private final Map<String, List<Attachment>> attachments = new HashMap<>();
  private final Map<String, List<EchoServer>> podServers = new HashMap<>();
  private final Map<String, List<EchoServer>> namespaceServers = new HashMap<>();

  private Topology(String base, Options options) {
    this.base = base;
    this.options = options;
  }

  /**
   * Why namespaces cannot be built here (not Linux, not root, no iproute2), or null if they can.
   */
  public static @Nullable String unsupportedReason() throws IOException {
    if (!System.getProperty("os.name", "").equals("Linux")) {
      return "network namespaces need Linux";
    }
    String status = Files.readString(Path.of("/proc/self/status"));
    long caps = Long.parseUnsignedLong(field(status, "CapEff:"), 16);
    boolean root = field(status, "Uid:").split("\\s+", -1)[1].equals("0");
    boolean admin = (caps >> CAP_NET_ADMIN & 1) == 1 && (caps >> CAP_SYS_ADMIN & 1) == 1;
    if (!root || !admin) {
      return "needs root with CAP_NET_ADMIN and CAP_SYS_ADMIN";
    }
    return Ip.BINARY.isPresent() ? null : "iproute2 'ip' not found";
  }

  public static Topology create(String prefix) throws Exception {
    return create(prefix, Options.DEFAULTS);
  }

  /**
   * Creates the node and uplink namespaces, named {@code prefix-PID-XXXX-*} (this process, random
   * XXXX), after removing those a dead process left under the same prefix ({@link
   * LabNamespaces#removeLeftovers}). A failure half way deletes what was created.
   */
  public static Topology create(String prefix, Options options) throws Exception {
    checkName(prefix);
    LabNamespaces.removeLeftovers(prefix);
    Topology t = new Topology(LabNamespaces.newBase(prefix), options);
    try {
      t.setUpNode();
      return t;
    } catch (Exception e) {
      closeAfterFailure(t, e);
      throw e;
    }
  }

  private void setUpNode() throws Exception {
    String node = addNamespace(node());
    String up = addNamespace(uplink());
    // Zero ICMP rate limits so bursts of probes get every reject back. Not covered, as it is a
    // host-wide sysctl: IPv4 errors from an unreachable *route* (net.ipv4.route.error_cost and
    // error_burst: 5, then 1/s per client address). Don't count those over many probes.
    sysctl(
        node,
        "net/ipv4/ip_forward=1",
        "net/ipv6/conf/all/forwarding=1",
        "net/ipv4/fwmark_reflect=1",
        "net/ipv6/fwmark_reflect=1",
        "net/ipv4/conf/all/rp_filter=0",
        "net/ipv4/conf/default/rp_filter=0",
        "net/ipv4/icmp_ratelimit=0",
        "net/ipv6/icmp/ratelimit=0");
    Ip.batch(
        node,
        false,
        List.of(
            "link set lo up",
            "address add " + NODE_V4 + "/32 dev lo",
            "link add up0 type veth peer name eth0 netns " + up,
            "link set up0 up",
            "address add 192.0.2.1/24 dev up0",
            // Main-table default: the kernel's reject path looks the client up here first.
            "route add default via 192.0.2.2"));
    Ip.batch(
        node,
        true,
        List.of(
            "address add " + NODE_V6 + "/128 dev lo",
            "address add 2001:db8::1/64 dev up0 nodad",
            "route add default via 2001:db8::2"));
    // The uplink only absorbs what the node routes to main; it never forwards (the default).
    Ip.batch(
        up,
        false,
        List.of("link set lo up", "link set eth0 up", "address add 192.0.2.2/24 dev eth0"));
    Ip.batch(up, true, List.of("address add 2001:db8::2/64 dev eth0 nodad"));
  }

  /** Adds a network with its own routing table; its mark is {@code index << markShift}. */
  public synchronized Network addNetwork(String name, int index, String ifPrefix, int table)
      throws Exception {
    checkName(name);
    if (networks.containsKey(name)) {
      throw new IllegalArgumentException("network exists: " + name);
    }
    Network net =
        new Network(name, index, ifPrefix, table, index << options.markShift(), options.markMask());
    if (index <= 0 || (net.mark() & ~net.mask()) != 0) {
      throw new IllegalArgumentException("network index does not fit the mark mask: " + index);
    }
    List<String> rules = new ArrayList<>(List.of("route add unreachable default table " + table));
    if (options.markRules()) {
      rules.add(
          "rule add fwmark 0x%x/0x%x lookup %d pref %d"
              .formatted(net.mark(), net.mask(), table, options.markRulePref()));
    }
    Ip.batch(node(), false, rules);
    Ip.batch(node(), true, rules);
    networks.put(name, net);
    nextIf.put(name, 0);
    return net;
  }

  /**
   * Adds the default network: pods routed in the main table, no mark and no conntrack zone (the
   * agent leaves interfaces that match no network in zone 0), as the cluster's primary CNI does.
   */
  public synchronized Network addDefaultNetwork(String name, String ifPrefix) throws Exception {
    checkName(name);
    if (networks.containsKey(name)) {
      throw new IllegalArgumentException("network exists: " + name);
    }
    Network net = new Network(name, 0, ifPrefix, MAIN_TABLE, 0, 0);
    networks.put(name, net);
    nextIf.put(name, 0);
    return net;
  }

  /**
   * Adds a pod in {@code network}; {@code ipv4} must be in 10.0.0.0/8, {@code ipv6} in fd00::/8:
   * private ranges that only ever exist inside the lab's namespaces. A failure half way deletes the
   * pod's namespace and veth again.
   */
  public synchronized Pod addPod(String network, String podName, String ipv4, @Nullable String ipv6)
      throws Exception {
    Network net = networks.get(network);
    if (net == null) {
      throw new IllegalArgumentException("unknown network: " + network);
    }
    checkName(podName);
    if (pods.containsKey(podName)) {
      throw new IllegalArgumentException("pod exists: " + podName);
    }
    checkPodAddress(ipv4, ipv6);
    int n = nextIf.merge(network, 1, Integer::sum) - 1;
    String ifName = net.ifPrefix() + n;
    if (ifName.length() > IFNAMSIZ) {
      throw new IllegalArgumentException("interface name over 15 characters: " + ifName);
    }
    String ns = addNamespace(base + "-" + podName);
    try {
      Pod pod = wirePod(net, podName, ns, ifName, ipv4, ipv6);
      pods.put(podName, pod);
      return pod;
    } catch (Exception e) {
      // Leave the topology as it was: the pod's veth goes with its namespace.
      namespaces.remove(ns);
      try {
        Ip.run("netns", "delete", ns);
      } catch (IOException cleanup) {
        e.addSuppressed(cleanup);
      }
      throw e;
    }
  }

  private Pod wirePod(
      Network net, String podName, String ns, String ifName, String ipv4, @Nullable String ipv6)
      throws Exception {
    Pod pod = new Pod(podName, net.name(), ns, ifName, ipv4, ipv6);

    Ip.batch(
        node(), false, List.of("link add " + ifName + " type veth peer name eth0 netns " + ns));
    sysctl(node(), "net/ipv4/conf/" + ifName + "/proxy_arp=1");
    sysctl(ns, "net/ipv4/icmp_ratelimit=0", "net/ipv6/icmp/ratelimit=0");
    Ip.batch(
        node(),
        false,
        List.of(
            "link set " + ifName + " up",
            "route add " + ipv4 + "/32 dev " + ifName + " table " + net.table(),
            "rule add iif %s lookup %d pref %d"
                .formatted(ifName, net.table(), options.iifRulePref())));
    Ip.batch(
        ns,
        false,
        List.of(
            "link set lo up",
            "link set eth0 up",
            "address add " + ipv4 + "/32 dev eth0",
            "route add " + NODE_V4 + " dev eth0",
            "route add default via " + NODE_V4));
    List<String> node6 =
        new ArrayList<>(
            List.of(
                "address add fe80::1/64 dev " + ifName + " nodad",
                "rule add iif %s lookup %d pref %d"
                    .formatted(ifName, net.table(), options.iifRulePref())));
    if (ipv6 != null) {
      node6.add("route add " + ipv6 + "/128 dev " + ifName + " table " + net.table());
      Ip.batch(
          ns,
          true,
          List.of(
              "address add " + ipv6 + "/128 dev eth0 nodad",
              "route add default via fe80::1 dev eth0"));
    }
    Ip.batch(node(), true, node6);
    return pod;
  }

  /**
   * Creates the empty namespace {@code <base>-<name>} of a Kubernetes pod, {@code name} being
   * {@code namespace.pod} (a pod name is unique in its namespace, and a namespace has no dots);
   * interfaces come one attachment at a time with {@link #attach}, as a CNI adds them.
   */
  public synchronized String addPodNamespace(String name) throws Exception {
    if (!POD_NAMESPACE.matcher(name).matches()) {
      throw new IllegalArgumentException("pod namespace name: " + name + " (expected: ns.pod)");
    }
    String ns = base + "-" + name;
    if (attachments.containsKey(ns)) {
      throw new IllegalArgumentException("pod namespace exists: " + ns);
    }
    addNamespace(ns);
    attachments.put(ns, new ArrayList<>());
    try {
      Ip.batch(ns, false, List.of("link set lo up"));
      sysctl(ns, "net/ipv4/icmp_ratelimit=0", "net/ipv6/icmp/ratelimit=0");
    } catch (Exception e) {
      try {
        removePodNamespace(ns);
      } catch (IOException cleanup) {
        e.addSuppressed(cleanup);
      }
      throw e;
    }
    return ns;
  }

  /**
   * Adds interface {@code podIf} with {@code ipv4} (in 10.0.0.0/8) to a pod namespace, its veth
   * peer on the node routed in {@code network}'s table. Inside the pod, {@code defaultRoute} makes
   * it the default route (the cluster network's interface); otherwise {@code podRange} is routed
   * through it, as a secondary network's CNI routes its subnet. {@code mac}, when given, is set on
   * it.
   */
  public synchronized Attachment attach(
      String netns,
      String network,
      String podIf,
      String ipv4,
      String podRange,
      boolean defaultRoute,
      @Nullable String mac)
      throws Exception {
    List<Attachment> links = attachments.get(netns);
    if (links == null) {
      throw new IllegalArgumentException("not a pod namespace: " + netns);
    }
    Network net = network(network);
    checkPodAddress(ipv4, null);
    if (podIf.isEmpty() || podIf.length() > IFNAMSIZ || !NAME.matcher(podIf).matches()) {
      throw new IllegalArgumentException(
          "interface: " + podIf + " (expected: 1-15 characters of [a-z0-9-])");
    }
    for (Attachment a : links) {
      if (a.podIf().equals(podIf)) {
        throw new IllegalArgumentException(
            "interface: " + podIf + " (expected: unused in the pod)");
      }
    }
    int n = nextIf.merge(network, 1, Integer::sum) - 1;
    String ifName = net.ifPrefix() + n;
    if (ifName.length() > IFNAMSIZ) {
      throw new IllegalArgumentException("interface name over 15 characters: " + ifName);
    }
    Ip.batch(
        node(),
        false,
        List.of("link add " + ifName + " type veth peer name " + podIf + " netns " + netns));
    // Recorded at once, so removePodNamespace deletes its rule whatever fails next.
    var partial = new Attachment(network, netns, podIf, ifName, ipv4, "");
    links.add(partial);
    sysctl(node(), "net/ipv4/conf/" + ifName + "/proxy_arp=1");
    Ip.batch(
        node(),
        false,
        List.of(
            "link set " + ifName + " up",
            "route add " + ipv4 + "/32 dev " + ifName + " table " + net.table(),
            "rule add iif %s lookup %d pref %d"
                .formatted(ifName, net.table(), options.iifRulePref())));
    List<String> inside = new ArrayList<>();
    if (mac != null) {
      inside.add("link set " + podIf + " address " + mac);
    }
    inside.add("link set " + podIf + " up");
    inside.add("address add " + ipv4 + "/32 dev " + podIf);
    if (defaultRoute) {
      inside.add("route add " + NODE_V4 + " dev " + podIf);
      inside.add("route add default via " + NODE_V4);
    } else {
      // "append": two networks with the same range (multinet's point) each keep a route.
      inside.add("route append " + podRange + " via " + NODE_V4 + " dev " + podIf + " onlink");
    }
    Ip.batch(netns, false, inside);
    String address = linkAddress(Ip.run("-n", netns, "-o", "link", "show", "dev", podIf));
    var done = new Attachment(network, netns, podIf, ifName, ipv4, address);
    links.set(links.indexOf(partial), done);
    return done;
  }

  /** The interfaces of a pod namespace, in the order attached. */
  public synchronized List<Attachment> attachments(String netns) {
    return List.copyOf(attachments.getOrDefault(netns, List.of()));
  }

  /** Starts an {@link EchoServer} named {@code name} in a pod namespace, stopped with it. */
  public synchronized EchoServer startEchoServer(String netns, String name, int port)
      throws Exception {
    if (!attachments.containsKey(netns)) {
      throw new IllegalArgumentException("not a pod namespace: " + netns);
    }
    EchoServer server = EchoServer.start(netns, name, port);
    namespaceServers.computeIfAbsent(netns, k -> new ArrayList<>()).add(server);
    return server;
  }

  /**
   * Removes a pod namespace: stops its echo servers (their sockets would keep it alive), deletes it
   * (its veths go with it) and the node's rules for its links. Unknown namespaces are ignored.
   */
  public synchronized void removePodNamespace(String netns) throws IOException {
    List<Attachment> links = attachments.remove(netns);
    if (links == null) {
      return;
    }
    for (EchoServer server : namespaceServers.getOrDefault(netns, List.of())) {
      server.close();
    }
    namespaceServers.remove(netns);
    IOException failure = null;
    if (namespaces.contains(netns)) {
      try {
        Ip.run("netns", "delete", netns);
        namespaces.remove(netns); // forgotten only once gone: close() retries a failed delete
      } catch (IOException e) {
        failure = e;
      }
    }
    for (Attachment a : links) {
      int table = network(a.network()).table();
      String rule =
          "rule del iif %s lookup %d pref %d".formatted(a.nodeIf(), table, options.iifRulePref());
      try {
        Ip.batch(node(), false, List.of(rule));
      } catch (IOException e) {
        failure = chain(failure, e);
      }
    }
    if (failure != null) {
      throw failure;
    }
  }

  /** A client is a pod that serves nothing; the name only says how the test uses it. */
  public Pod addClient(String network, String podName, String ipv4, @Nullable String ipv6)
      throws Exception {
    return addPod(network, podName, ipv4, ipv6);
  }

  /**
   * Gives {@code pod} one more address (IPv4 in 10.0.0.0/8 or IPv6 in fd00::/8), routed to it in
   * its network's table: a client with several source addresses.
   */
  public void addAddress(Pod pod, String address) throws Exception {
    Network net = network(pod.network());
    boolean v6 = address.contains(":");
    if (v6) {
      checkPodAddress(pod.ipv4(), address);
    } else {
      checkPodAddress(address, null);
    }
    String len = v6 ? "/128" : "/32";
    Ip.batch(
        pod.netns(),
        v6,
        List.of("address add " + address + len + " dev eth0" + (v6 ? " nodad" : "")));
    Ip.batch(
        node(),
        v6,
        List.of("route add " + address + len + " dev " + pod.nodeIf() + " table " + net.table()));
  }

  /** Starts an {@link EchoServer} in {@code pod}, closed with this topology or the pod. */
  public EchoServer startEchoServer(Pod pod, int port) throws Exception {
    EchoServer server = EchoServer.start(pod, port);
    servers.add(server);
    podServers.computeIfAbsent(pod.name(), k -> new ArrayList<>()).add(server);
    return server;
  }

  /**
   * Removes a pod: stops its echo servers, deletes its namespace (its veth goes with it) and the
   * node's rule for its interface. Unknown names are ignored, so callers may repeat it.
   */
  public void removePod(String podName) throws Exception {
    Pod pod = pods.remove(podName);
    if (pod == null) {
      return;
    }
    for (EchoServer server : podServers.getOrDefault(podName, List.of())) {
      server.close();
      servers.remove(server);
    }
    podServers.remove(podName);
    namespaces.remove(pod.netns());
    Ip.run("netns", "delete", pod.netns());
    Network net = network(pod.network());
    String rule =
        "rule del iif %s lookup %d pref %d"
            .formatted(pod.nodeIf(), net.table(), options.iifRulePref());
    Ip.batch(node(), false, List.of(rule));
    Ip.batch(node(), true, List.of(rule));
  }

  public String node() {
    return base + "-node";
  }

  /** The namespace behind the node's main-table default route; it drops what it receives. */
  public String uplink() {
    return base + "-up";
  }

  public synchronized Network network(String name) {
    Network net = networks.get(name);
    if (net == null) {
      throw new IllegalArgumentException("unknown network: " + name);
    }
    return net;
  }

  public synchronized Pod pod(String name) {
    Pod pod = pods.get(name);
    if (pod == null) {
      throw new IllegalArgumentException("unknown pod: " + name);
    }
    return pod;
  }

  /** Every namespace created so far, in creation order. */
  public List<String> namespaces() {
    return List.copyOf(namespaces).reversed();
  }

  /** Stops servers, then deletes every namespace (veths go with them); tries all, throws first. */
  @Override
  public synchronized void close() throws IOException {
    IOException failure = null;
    for (EchoServer server : servers) {
      server.close();
    }
    servers.clear();
    namespaceServers.values().forEach(list -> list.forEach(EchoServer::close));
    namespaceServers.clear();
    attachments.clear();
    while (!namespaces.isEmpty()) {
      String ns = namespaces.pop();
      if (!Files.exists(NETNS_DIR.resolve(ns))) {
        continue; // never made: its "ip netns add" failed or was interrupted before it ran
      }
      try {
        Ip.run("netns", "delete", ns);
      } catch (IOException e) {
        failure = chain(failure, e);
      }
    }
    if (failure != null) {
      throw failure;
    }
  }

  private synchronized String addNamespace(String ns) throws IOException {
    // Recorded first: an interrupted "ip netns add" may still have made it, and close() must find
    // it.
    namespaces.push(ns);
    Ip.run("netns", "add", ns);
    return ns;
  }

  /** Writes {@code path=value} settings under /proc/sys from inside {@code netns}. */
  private static void sysctl(String netns, String... settings) throws Exception {
    Netns.run(
        netns,
        () -> {
          for (String setting : settings) {
            int eq = setting.indexOf('=');
            Files.writeString(
                Path.of("/proc/sys", setting.substring(0, eq)), setting.substring(eq + 1));
          }
        });
  }

  /** The MAC address in {@code ip -o link show} output. */
  private static String linkAddress(String line) {
    int at = line.indexOf("link/ether ");
    if (at < 0) {
      throw new IllegalStateException("no link/ether address in: " + line.strip());
    }
    int start = at + "link/ether ".length();
    int end = line.indexOf(' ', start);
    return line.substring(start, end < 0 ? line.length() : end).strip();
  }

  private static void checkPodAddress(String ipv4, @Nullable String ipv6) {
    InetAddress a4 = InetAddress.ofLiteral(ipv4);
    byte[] v4 = a4.getAddress();
    if (!(a4 instanceof Inet4Address) || v4[0] != 10) {
      throw new IllegalArgumentException("pod IPv4 outside the lab range 10.0.0.0/8: " + ipv4);
    }
    if (ipv6 != null) {
      InetAddress a6 = InetAddress.ofLiteral(ipv6);
      if (!(a6 instanceof Inet6Address) || a6.getAddress()[0] != (byte) 0xfd) {
        throw new IllegalArgumentException("pod IPv6 outside the lab range fd00::/8: " + ipv6);
      }
    }
  }

  private static void checkName(String name) {
    if (!NAME.matcher(name).matches()) {
      throw new IllegalArgumentException("use [a-z0-9-] names: " + name);
    }
  }

  private static String field(String status, String key) {
    return status
        .lines()
        .filter(l -> l.startsWith(key))
        .findFirst()
        .orElseThrow()
        .substring(key.length())
        .strip();
  }

  private static IOException chain(@Nullable IOException first, IOException next) {
    if (first == null) {
      return next;
    }
    first.addSuppressed(next);
    return first;
  }

  private static void closeAfterFailure(Topology t, Exception e) {
    try {
      t.close();
    } catch (IOException cleanup) {
      e.addSuppressed(cleanup);
    }
  }
}
