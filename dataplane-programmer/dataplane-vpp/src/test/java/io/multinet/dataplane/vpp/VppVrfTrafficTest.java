package io.multinet.dataplane.vpp;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.multinet.dataplane.lab.EchoServer;
import io.multinet.dataplane.lab.LabNamespaces;
import io.multinet.dataplane.lab.Netns;
import io.multinet.dataplane.lab.Probe;
import io.multinet.dataplane.v1.Backend;
import io.multinet.dataplane.v1.Delta;
import io.multinet.dataplane.v1.DesiredState;
import io.multinet.dataplane.v1.NetworkSpec;
import io.multinet.dataplane.v1.Protocol;
import io.multinet.dataplane.v1.ServicePort;
import io.multinet.dataplane.v1.VppHints;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Real TCP and UDP through a VPP built with vpp-patches/0001 (cnat translations in a FIB table):
 * two networks in two VRFs with the same addresses everywhere, each client reaching only its own
 * network's backends. {@code MULTINET_VPP_PATCHED} (or {@code -Dmultinet.vpp.patched}) names the
 * {@code vpp.sh} that build-patched-vpp.sh puts beside the patched runtime; without it, or without
 * root, the test is skipped. It starts its own VPP in a temporary run directory.
 *
 * <p>Addresses, the same in blue (network 56, VRF 1056) and red (57, VRF 1057): VIP 10.96.0.10 (TCP
 * 80 and UDP 53 to port 8080 of the pods), client 10.1.1.2/24, pods a 10.1.2.2/24 and b
 * 10.1.3.2/24, VPP 10.1.{1,2,3}.1 on the links; each namespace is attached by a veth pair and an
 * af_packet host-interface. The interfaces are bound to their VRFs before the first translation, as
 * a CNI does before services exist: that order needs vpp-patches/0002 (without it cnat gives those
 * tables no session budget and drops every new flow).
 */
class VppVrfTrafficTest {

  static final String ENV = "MULTINET_VPP_PATCHED";
  static final String PROPERTY = "multinet.vpp.patched";
  private static final String VIP = "10.96.0.10";
  private static final String[] NETWORKS = {"blue", "red"};

  private @Nullable Path rundir;
  private @Nullable Path vppSh;
  private final List<String> namespaces = new ArrayList<>();
  private final List<String> veths = new ArrayList<>();
  private final List<EchoServer> servers = new ArrayList<>();
  private final Map<String, String> clients = new java.util.HashMap<>();
  private @Nullable VppBackend backend;

  /** Where a patched runtime is looked for when neither the property nor the variable is set. */
  static final List<String> SHARED = List.of("../shared/vpp-patched", "/work/shared/vpp-patched");

  private static @Nullable String configured() {
    String p = System.getProperty(PROPERTY);
    if (p == null || p.isBlank()) {
      p = System.getenv(ENV);
    }
    if (p != null && !p.isBlank()) {
      return p;
    }
    for (String dir : SHARED) {
      Path sh = shared(dir).resolve("vpp.sh");
      if (Files.isExecutable(sh) && Files.isRegularFile(sh.resolveSibling("vpp-runtime.tar.gz"))) {
        return sh.toAbsolutePath().normalize().toString();
      }
    }
    return null;
  }

  /** {@code ../X} beside the repository (the nearest directory above with mvnw), else as given. */
  private static Path shared(String dir) {
    if (!dir.startsWith("../")) {
      return Path.of(dir);
    }
    for (Path d = Path.of("").toAbsolutePath(); d != null; d = d.getParent()) {
      if (Files.isRegularFile(d.resolve("mvnw")) && d.getParent() != null) {
        return d.getParent().resolve(dir.substring(3));
      }
    }
    return Path.of(dir);
  }

  @BeforeEach
  void startVppAndNetworks() throws Exception {
    String configured = configured();
    assumeTrue(
        configured != null && Files.isExecutable(Path.of(configured)),
        ENV
            + " (or -D"
            + PROPERTY
            + ") names no vpp.sh of a VPP built with vpp-patches, and there is none in "
            + String.join(" or ", SHARED)
            + " (dataplane-vpp/vpp-patches/build-patched-vpp.sh OUT makes OUT/vpp.sh)");
    assumeTrue("root".equals(System.getProperty("user.name")), "needs root for namespaces");
    vppSh = Path.of(configured);
    rundir = Files.createTempDirectory("mpvrf");
    String socket = run(List.of(vppSh.toString(), "start", rundir.toString())).strip();
    ctl("ip table add 1056");
    ctl("ip table add 1057");
    String tag = Long.toHexString(System.nanoTime() & 0xffff);
    for (int n = 0; n < NETWORKS.length; n++) {
      int vrf = 1056 + n;
      String[] pods = {"c", "a", "b"};
      for (int i = 0; i < pods.length; i++) {
        String net = NETWORKS[n];
        String ns = LabNamespaces.create("mpvrf");
        namespaces.add(ns);
        String veth = "mvr" + tag + n + i; // at most 12 characters
        int subnet = i + 1; // 10.1.1.0/24 client, 10.1.2.0/24 pod a, 10.1.3.0/24 pod b
        attach(ns, veth, vrf, "10.1." + subnet);
        if (i == 0) {
          clients.put(net, ns);
        } else {
          servers.add(EchoServer.start(ns, net + "-" + pods[i], 8080));
        }
      }
    }
    backend =
        VppBackend.connect(
            Path.of(socket),
            VppApiClient.Options.defaults().withConnectTimeout(Duration.ofSeconds(10)));
    assertThat(backend.translationsInTables())
        .as(configured + " must run a VPP with cnat_translation_update_v2 (vpp-patches/0001)")
        .isTrue();
  }

  /** A veth pair into {@code ns}, its VPP end in {@code vrf} at PREFIX.1, the pod at PREFIX.2. */
  private void attach(String ns, String veth, int vrf, String prefix) throws Exception {
    run(List.of("ip", "link", "add", veth, "type", "veth", "peer", "name", "eth0", "netns", ns));
    veths.add(veth);
    run(List.of("ip", "link", "set", veth, "up"));
    run(List.of("ip", "-n", ns, "link", "set", "lo", "up"));
    run(List.of("ip", "-n", ns, "link", "set", "eth0", "up"));
    run(List.of("ip", "-n", ns, "addr", "add", prefix + ".2/24", "dev", "eth0"));
    run(List.of("ip", "-n", ns, "route", "add", "default", "via", prefix + ".1"));
    // af_packet gets no checksum offload: without this, TCP from the namespace arrives broken.
    Netns.run(ns, () -> Ethtool.txOffloadsOff("eth0"));
    ctl("create host-interface name " + veth);
    ctl("set interface ip table host-" + veth + " " + vrf);
    ctl("set interface state host-" + veth + " up");
    ctl("set interface ip address host-" + veth + " " + prefix + ".1/24");
  }

  @AfterEach
  void stopEverything() throws Exception {
    List<Exception> failures = new ArrayList<>();
    VppBackend b = backend;
    if (b != null) {
      try {
        b.cleanup();
      } catch (Exception e) {
        failures.add(e);
      }
      b.close();
    }
    servers.forEach(EchoServer::close);
    Path dir = rundir;
    Path sh = vppSh;
    if (dir != null && sh != null) {
      try {
        run(List.of(sh.toString(), "stop", dir.toString()));
      } catch (Exception e) {
        failures.add(e);
      }
    }
    for (String ns : namespaces) {
      try {
        LabNamespaces.delete(ns); // takes the namespace ends of the veths along
      } catch (IOException e) {
        failures.add(e);
      }
    }
    for (String veth : veths) {
      if (Files.exists(Path.of("/sys/class/net", veth))) {
        try {
          run(List.of("ip", "link", "del", veth));
        } catch (Exception e) {
          failures.add(e);
        }
      }
    }
    if (dir != null) {
      try (Stream<Path> all = Files.walk(dir)) {
        for (Path p : all.sorted(Comparator.reverseOrder()).toList()) {
          Files.deleteIfExists(p);
        }
      }
    }
    if (!failures.isEmpty()) {
      throw failures.get(0);
    }
  }

  private static NetworkSpec network(int id, String name, int vrf) {
    return NetworkSpec.newBuilder()
        .setId(id)
        .setName(name)
        .setVpp(VppHints.newBuilder().setVrf(vrf))
        .build();
  }

  private static ServicePort port(int network, Protocol protocol, int port, String... pods) {
    var b =
        ServicePort.newBuilder()
            .setNetworkId(network)
            .setName("ns/web-" + network + ":" + port)
            .setAddress(VIP)
            .setProtocol(protocol)
            .setPort(port)
            .setHasAnyEndpoints(true);
    for (String pod : pods) {
      b.addBackends(Backend.newBuilder().setAddress(pod).setPort(8080));
    }
    return b.build();
  }

  /** Both networks: the same VIP, ports and pod addresses; only the VRFs differ. */
  private static DesiredState state() {
    var s =
        DesiredState.newBuilder()
            .addNetworks(network(56, "blue", 1056))
            .addNetworks(network(57, "red", 1057));
    for (int id : new int[] {56, 57}) {
      s.addServicePorts(port(id, Protocol.TCP, 80, "10.1.2.2", "10.1.3.2"));
      s.addServicePorts(port(id, Protocol.UDP, 53, "10.1.2.2", "10.1.3.2"));
    }
    return s.build();
  }

  private String client(String net) {
    return java.util.Objects.requireNonNull(clients.get(net), net);
  }

  /** Replies per backend name (failures per outcome) of {@code n} probes from net's client. */
  private Map<String, Integer> count(
      String net, io.multinet.network.Protocol protocol, int port, int n) throws Exception {
    return Probe.from(client(net)).count(n, protocol, VIP, port);
  }

  @Test
  void applyFull_sameVipAndPodsInTwoVrfs_eachClientReachesOnlyItsOwnBackends() throws Exception {
    VppBackend b = backend;
    assertThat(b).isNotNull();
    b.applyFull(state());
    System.out.println("VppVrfTrafficTest: show cnat translation\n" + ctl("show cnat translation"));

    for (String net : NETWORKS) {
      // The first flow also resolves neighbours: wait for it, then count.
      await()
          .atMost(Duration.ofSeconds(10))
          .untilAsserted(
              () ->
                  assertThat(Probe.from(client(net)).tcp(VIP, 80).backend()).startsWith(net + "-"));
    }
    for (String net : NETWORKS) {
      var tcp = count(net, io.multinet.network.Protocol.TCP, 80, 40);
      var udp = count(net, io.multinet.network.Protocol.UDP, 53, 40);
      System.out.println("VppVrfTrafficTest: " + net + " client, TCP " + tcp + ", UDP " + udp);
      assertThat(tcp).containsOnlyKeys(net + "-a", net + "-b");
      assertThat(udp).containsOnlyKeys(net + "-a", net + "-b");
    }
    // No source NAT: each backend sees its own network's client address.
    var reply = Probe.from(client("red")).tcp(VIP, 80);
    assertThat(String.valueOf(reply.peer())).isEqualTo("/10.1.1.2");
  }

  @Test
  void applyDelta_redLosesPodA_blueStillReachesBoth() throws Exception {
    VppBackend b = backend;
    assertThat(b).isNotNull();
    b.applyFull(state());
    b.applyDelta(
        Delta.newBuilder().addUpsertServicePorts(port(57, Protocol.TCP, 80, "10.1.3.2")).build());

    await()
        .atMost(Duration.ofSeconds(10))
        .untilAsserted(
            () ->
                assertThat(Probe.from(client("blue")).tcp(VIP, 80).backend()).startsWith("blue-"));
    var red = count("red", io.multinet.network.Protocol.TCP, 80, 20);
    var blue = count("blue", io.multinet.network.Protocol.TCP, 80, 40);
    System.out.println("VppVrfTrafficTest: after the delta, red " + red + ", blue " + blue);
    assertThat(red).containsOnlyKeys("red-b");
    assertThat(blue).containsOnlyKeys("blue-a", "blue-b");
  }

  private String ctl(String command) throws Exception {
    Path sh = vppSh;
    Path dir = rundir;
    if (sh == null || dir == null) {
      throw new IllegalStateException("no VPP started");
    }
    List<String> args = new ArrayList<>(List.of(sh.toString(), "ctl", dir.toString()));
    args.addAll(List.of(command.split(" ")));
    return run(args);
  }

  /** Runs a command (sbin first in PATH); fails with its output when it exits non-zero. */
  private static String run(List<String> command) throws Exception {
    var pb = new ProcessBuilder(command).redirectErrorStream(true);
    pb.environment().put("PATH", "/usr/sbin:/usr/bin:/sbin:/bin");
    Process p = pb.start();
    p.getOutputStream().close();
    String out = new String(p.getInputStream().readAllBytes(), UTF_8);
    if (!p.waitFor(60, TimeUnit.SECONDS) || p.exitValue() != 0) {
      p.destroyForcibly();
      throw new IOException(String.join(" ", command) + " failed: " + out.strip());
    }
    return out;
  }
}
