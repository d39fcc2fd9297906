package io.multinet.dataplane.vpp;

import static java.util.Objects.requireNonNull;
import static org.awaitility.Awaitility.await;

import io.multinet.dataplane.lab.EchoServer;
import io.multinet.dataplane.lab.Netns;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Hosts (pods and clients alike) in network namespaces this class creates, each attached to a
 * {@link RealVpp} by a veth pair whose VPP end is an af_packet host-interface: what a VPP CNI would
 * give a pod. Everything it made goes with {@link #close()}.
 *
 * <p>Address plan: host N (from 1) is 10.1.N.2/24 and fd00:1:N::2/64 on its {@code eth0}, VPP is
 * 10.1.N.1 and fd00:1:N::1 on {@code host-vhN} and the host's default gateway. VIPs the tests
 * program are in 10.96.0.0/16 and fd00:96::/112, routed by cnat's own FIB entries.
 */
final class VppLab implements AutoCloseable {

  /** One namespace behind one VPP interface. */
  record Host(String name, String netns, String vppIf, String ipv4, String ipv6) {
    String vethName() {
      return vppIf.substring("host-".length());
    }
  }

  /** A VIP outside every test's ranges, for {@link #warmUp}. */
  static final String WARM_UP_VIP = "10.255.0.1";

  private final RealVpp vpp;
  private final Map<String, Host> hosts = new LinkedHashMap<>();
  private final List<EchoServer> servers = new ArrayList<>();

  VppLab(RealVpp vpp) {
    this.vpp = requireNonNull(vpp, "vpp");
  }

  /** Adds host {@code name}: its namespace, veth, addresses, and VPP's interface for it. */
  synchronized Host addHost(String name) throws Exception {
    if (hosts.containsKey(name)) {
      throw new IllegalArgumentException("host exists: " + name);
    }
    int n = hosts.size() + 1;
    if (n > 250) {
      throw new IllegalArgumentException("hosts: " + n + " (expected: at most 250)");
    }
    String ns = vpp.netns() + "-" + name;
    String veth = "vh" + n;
    var host = new Host(name, ns, "host-" + veth, "10.1." + n + ".2", "fd00:1:" + n + "::2");
    RealVpp.exec(List.of(RealVpp.IP, "netns", "add", ns), 30);
    hosts.put(name, host); // recorded at once: close() deletes a half-made host
    RealVpp.exec(
        List.of(
            RealVpp.IP,
            "-n",
            vpp.netns(),
            "link",
            "add",
            veth,
            "type",
            "veth",
            "peer",
            "name",
            "eth0",
            "netns",
            ns),
        30);
    Netns.run(
        ns,
        () -> {
          // No router advertisements taken from VPP: the host keeps exactly its own addresses.
          Files.writeString(Path.of("/proc/sys/net/ipv6/conf/all/accept_ra"), "0");
          Files.writeString(Path.of("/proc/sys/net/ipv6/conf/default/accept_ra"), "0");
          Files.writeString(Path.of("/proc/sys/net/ipv6/conf/eth0/accept_ra"), "0");
          Ethtool.txOffloadsOff("eth0");
        });
    batch(
        ns,
        false,
        List.of(
            "link set lo up",
            "link set eth0 up",
            "address add " + host.ipv4() + "/24 dev eth0",
            "route add default via 10.1." + n + ".1"));
    batch(
        ns,
        true,
        List.of(
            "address add " + host.ipv6() + "/64 dev eth0 nodad",
            "route add default via fd00:1:" + n + "::1"));
    batch(vpp.netns(), false, List.of("link set " + veth + " up"));
    attach(host, n);
    resolve(host, n);
    if (n == 1) {
      warmUp(host);
    }
    return host;
  }

  /**
   * Makes VPP create its cnat session table, which it allocates on the first session (128 MB on 4k
   * pages here): the packet that creates it waits about 1.7 s in VPP, longer than a probe waits.
   * One datagram from the first host through a translation of its own (10.255.0.1:9 back to itself,
   * deleted again) does it before any test's traffic.
   */
  private void warmUp(Host host) {
    await()
        .atMost(Duration.ofSeconds(20))
        .pollInterval(Duration.ofMillis(200))
        .ignoreExceptions()
        .until(
            () -> {
              vpp.ctl(
                  "cnat",
                  "translation",
                  "add",
                  "proto",
                  "udp",
                  "vip",
                  WARM_UP_VIP,
                  "9",
                  "to",
                  "->" + host.ipv4() + " 9");
              Netns.run(
                  host.netns(),
                  () -> {
                    try (DatagramSocket s = new DatagramSocket()) {
                      s.send(
                          new DatagramPacket(
                              new byte[1], 1, InetAddress.ofLiteral(WARM_UP_VIP), 9));
                    }
                  });
              return !vpp.ctl("show", "cnat", "session").contains("uninitialized");
            });
    try {
      // The CLI deletes a translation by its index, the number `show cnat translation` prints.
      var index =
          java.util.regex.Pattern.compile(
                  "^\\[(\\d+)\\] " + java.util.regex.Pattern.quote(WARM_UP_VIP) + ";9 UDP",
                  java.util.regex.Pattern.MULTILINE)
              .matcher(vpp.ctl("show", "cnat", "translation"));
      if (!index.find()) {
        throw new IllegalStateException("warm-up translation " + WARM_UP_VIP + ":9 not found");
      }
      String out = vpp.ctl("cnat", "translation", "del", index.group(1));
      if (out.contains("unknown input")) {
        throw new IllegalStateException("cnat translation del " + index.group(1) + ": " + out);
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * Waits until VPP knows the host's MAC for both addresses, so that no test's first packet is the
   * one VPP drops while it resolves a neighbour. A datagram to the gateway makes the host ask for
   * VPP's MAC, and VPP learns the host's from that request.
   */
  private void resolve(Host host, int n) {
    String gw4 = "10.1." + n + ".1";
    String gw6 = "fd00:1:" + n + "::1";
    await()
        .atMost(Duration.ofSeconds(10))
        .pollInterval(Duration.ofMillis(100))
        .ignoreExceptions()
        .until(
            () -> {
              Netns.run(
                  host.netns(),
                  () -> {
                    for (String gw : List.of(gw4, gw6)) {
                      try (DatagramSocket s = new DatagramSocket()) {
                        s.send(new DatagramPacket(new byte[1], 1, InetAddress.ofLiteral(gw), 9));
                      }
                    }
                  });
              String seen = vpp.ctl("show", "ip", "neighbors");
              return seen.contains(host.ipv4() + " ") && seen.contains(host.ipv6() + " ");
            });
  }

  private void attach(Host host, int n) throws IOException {
    vpp.ctlScript(
        List.of(
            "create host-interface name " + host.vethName(),
            "set interface state " + host.vppIf() + " up",
            "set interface ip address " + host.vppIf() + " 10.1." + n + ".1/24",
            "set interface ip address " + host.vppIf() + " fd00:1:" + n + "::1/64"));
  }

  /**
   * After a VPP restart: VPP holds no interfaces, so attach every host again (as the CNI would) and
   * flush the hosts' neighbour caches (a new af_packet interface has a new MAC).
   */
  synchronized void reattach() throws Exception {
    int n = 0;
    for (Host h : hosts.values()) {
      attach(h, ++n);
      batch(h.netns(), false, List.of("neigh flush all"));
      batch(h.netns(), true, List.of("neigh flush all"));
      resolve(h, n);
      if (n == 1) {
        warmUp(h);
      }
    }
  }

  synchronized Host host(String name) {
    Host h = hosts.get(name);
    if (h == null) {
      throw new IllegalArgumentException("unknown host: " + name);
    }
    return h;
  }

  /** Starts an echo server (TCP and UDP, dual-stack) named after the host; closed with the lab. */
  synchronized EchoServer serve(Host host, int port) throws Exception {
    EchoServer s = EchoServer.start(host.netns(), host.name(), port);
    servers.add(s);
    return s;
  }

  /** Stops the echo servers and deletes the hosts' namespaces (their veths go with them). */
  @Override
  public synchronized void close() throws IOException {
    servers.forEach(EchoServer::close);
    servers.clear();
    IOException failure = null;
    for (Host h : hosts.values()) {
      try {
        if (Files.exists(Path.of("/run/netns", h.netns()))) {
          RealVpp.exec(List.of(RealVpp.IP, "netns", "delete", h.netns()), 30);
        }
      } catch (IOException e) {
        if (failure == null) {
          failure = e;
        } else {
          failure.addSuppressed(e);
        }
      }
    }
    hosts.clear();
    if (failure != null) {
      throw failure;
    }
  }

  private static void batch(String netns, boolean ipv6, List<String> lines) throws IOException {
    List<String> cmd = new ArrayList<>(List.of(RealVpp.IP, "-n", netns));
    if (ipv6) {
      cmd.add("-6");
    }
    cmd.addAll(List.of("-batch", "-"));
    Path file = Files.createTempFile("vpplab-", ".ip");
    try {
      Files.writeString(file, String.join("\n", lines) + "\n");
      cmd.set(cmd.size() - 1, file.toString());
      RealVpp.exec(cmd, 30);
    } finally {
      Files.deleteIfExists(file);
    }
  }
}
