package io.multinet.dataplane.vpp;

import static io.multinet.dataplane.States.backend;
import static io.multinet.dataplane.States.network;
import static io.multinet.dataplane.States.port;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.multinet.dataplane.DataplaneException;
import io.multinet.dataplane.agent.AgentServer;
import io.multinet.dataplane.agent.DataplaneAgent;
import io.multinet.dataplane.lab.Probe;
import io.multinet.dataplane.lab.ProbeResult;
import io.multinet.dataplane.lab.TcpSession;
import io.multinet.dataplane.programmer.DataplaneProgrammer;
import io.multinet.dataplane.v1.Backend;
import io.multinet.dataplane.v1.Delta;
import io.multinet.dataplane.v1.DesiredState;
import io.multinet.dataplane.v1.LoadBalancing;
import io.multinet.dataplane.v1.ServicePort;
import io.multinet.network.Protocol;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Real TCP and UDP through a real VPP (a fresh one per test, {@link RealVpp}) programmed by {@link
 * VppBackend}, directly or through the agent's gRPC API, between namespaces this test creates
 * ({@link VppLab}): backends b1-b4 (hosts 1-4: 10.1.1.2-10.1.4.2, fd00:1:1::2-fd00:1:4::2, echo
 * servers on 8080) and a client c (host 5: 10.1.5.2, fd00:1:5::2). VIPs: 10.96.0.0/16 and
 * fd00:96::/112.
 */
class VppTrafficTest {

  @RegisterExtension static final RealVpp VPP = RealVpp.perTest();

  private static final io.multinet.dataplane.v1.Protocol TCP =
      io.multinet.dataplane.v1.Protocol.TCP;
  private static final io.multinet.dataplane.v1.Protocol UDP =
      io.multinet.dataplane.v1.Protocol.UDP;
  private static final io.multinet.dataplane.v1.Protocol SCTP =
      io.multinet.dataplane.v1.Protocol.SCTP;
  private static final String VIP = "10.96.0.10";
  private static final String VIP6 = "fd00:96::10";

  private VppLab lab;
  private final List<AutoCloseable> closing = new ArrayList<>();
  private @Nullable VppBackend backend;
  private Probe client;

  @BeforeEach
  void setUp() throws Exception {
    lab = new VppLab(VPP);
    for (String b : List.of("b1", "b2", "b3", "b4")) {
      lab.serve(lab.addHost(b), 8080);
    }
    client = Probe.from(lab.addHost("c").netns()).timeout(Duration.ofSeconds(1));
  }

  @AfterEach
  void tearDown() throws Exception {
    try {
      for (AutoCloseable c : closing.reversed()) {
        c.close();
      }
      if (backend != null) {
        backend.close();
      }
    } finally {
      lab.close();
    }
  }

  private VppBackend vpp() throws Exception {
    if (backend == null) {
      backend =
          VppBackend.connect(
              VPP.socket(),
              VppApiClient.Options.defaults().withConnectTimeout(Duration.ofSeconds(10)));
    }
    return backend;
  }

  private static Backend b4(String host) {
    return backend("10.1." + host.substring(1) + ".2", 8080, true);
  }

  private static Backend b6(String host) {
    return backend("fd00:1:" + host.substring(1) + "::2", 8080, true);
  }

  private static ServicePort.Builder web(String... hosts) {
    return port(0, VIP, TCP, 80, map(hosts, VppTrafficTest::b4));
  }

  private static Backend[] map(String[] hosts, java.util.function.Function<String, Backend> f) {
    Backend[] out = new Backend[hosts.length];
    for (int i = 0; i < hosts.length; i++) {
      out[i] = f.apply(hosts[i]);
    }
    return out;
  }

  private static DesiredState state(ServicePort.Builder... ports) {
    var s = DesiredState.newBuilder();
    for (var p : ports) {
      s.addServicePorts(p);
    }
    return s.build();
  }

  @Test
  void applyFull_spreadsConnectionsOverEveryBackend() throws Exception {
    vpp().applyFull(state(web("b1", "b2", "b3")));

    Map<String, Integer> counts = client.count(90, Protocol.TCP, VIP, 80);

    assertThat(counts).containsOnlyKeys("b1", "b2", "b3");
  }

  @Test
  void applyFull_udpAndIpv6_reachEveryBackend() throws Exception {
    vpp()
        .applyFull(
            state(
                port(0, VIP, UDP, 53, map(new String[] {"b1", "b2"}, VppTrafficTest::b4)),
                port(0, VIP6, TCP, 80, map(new String[] {"b1", "b2"}, VppTrafficTest::b6)),
                port(0, VIP6, UDP, 53, map(new String[] {"b3", "b4"}, VppTrafficTest::b6))));

    assertThat(client.count(40, Protocol.UDP, VIP, 53)).containsOnlyKeys("b1", "b2");
    assertThat(client.count(40, Protocol.TCP, VIP6, 80)).containsOnlyKeys("b1", "b2");
    assertThat(client.count(40, Protocol.UDP, VIP6, 53)).containsOnlyKeys("b3", "b4");
    // No source NAT: the backend sees the client's own address.
    ProbeResult r = client.tcp(VIP6, 80);
    assertThat(r.peer()).isNotNull();
    assertThat(r.peer().getHostAddress()).isEqualTo("fd00:1:5:0:0:0:0:2");
  }

  @Test
  void applyDelta_backendRemoved_establishedGoesOn_newOnesAvoidIt() throws Exception {
    DesiredState s = state(web("b1", "b2"));
    vpp().applyFull(s);
    TcpSession session = client.open(VIP, 80);
    closing.add(session);
    String pinned = session.greeting().backend();
    assertThat(pinned).isIn("b1", "b2");
    String other = pinned.equals("b1") ? "b2" : "b1";

    vpp().applyDelta(Delta.newBuilder().addUpsertServicePorts(web(other)).build());

    assertThat(session.exchange().backend()).isEqualTo(pinned);
    assertThat(client.count(30, Protocol.TCP, VIP, 80)).containsOnlyKeys(other);
    assertThat(session.exchange().backend()).isEqualTo(pinned);
  }

  @Test
  void applyDelta_backendAdded_getsNewConnections_establishedStay() throws Exception {
    vpp().applyFull(state(web("b1")));
    TcpSession session = client.open(VIP, 80);
    closing.add(session);
    assertThat(session.greeting().backend()).isEqualTo("b1");

    vpp().applyDelta(Delta.newBuilder().addUpsertServicePorts(web("b1", "b2")).build());

    assertThat(client.count(40, Protocol.TCP, VIP, 80)).containsOnlyKeys("b1", "b2");
    assertThat(session.exchange().backend()).isEqualTo("b1");
  }

  /**
   * cnat keeps a session per 5-tuple (for an hour once established), so a flow would keep its
   * backend under any balancing while its session lives. Purging VPP's sessions (which purges the
   * translations too; the full sync puts them back) makes each flow choose again: with Maglev, the
   * flows that were not on the removed backend choose what they had.
   */
  @Test
  void maglev_flowKeepsItsBackend_whenAnotherBackendGoes() throws Exception {
    var four = web("b1", "b2", "b3", "b4").setLoadBalancing(LoadBalancing.MAGLEV);
    vpp().applyFull(state(four));
    Map<Integer, String> before = flows();
    assertThat(before.values()).contains("b1", "b2", "b3", "b4");

    DesiredState three = state(web("b1", "b2", "b3").setLoadBalancing(LoadBalancing.MAGLEV));
    vpp().applyDelta(Delta.newBuilder().addUpsertServicePorts(three.getServicePorts(0)).build());
    VPP.ctl("cnat", "purge");
    vpp().applyFull(three);
    Map<Integer, String> after = flows();

    int kept = 0;
    int others = 0;
    for (var e : before.entrySet()) {
      assertThat(after.get(e.getKey())).isIn("b1", "b2", "b3");
      if (!e.getValue().equals("b4")) {
        others++;
        kept += e.getValue().equals(after.get(e.getKey())) ? 1 : 0;
      }
    }
    // Maglev moves almost nothing else (VPP's default balancing, a hash modulo the backend count,
    // moves about half).
    assertThat(kept)
        .as("flows kept of %d not on b4: %s -> %s", others, before, after)
        .isGreaterThanOrEqualTo(others * 9 / 10);
  }

  /** The backend of 48 flows from fixed source ports. */
  private Map<Integer, String> flows() throws Exception {
    Map<Integer, String> out = new HashMap<>();
    for (int sport = 40000; sport < 40048; sport++) {
      ProbeResult r = client.sourcePort(sport).tcp(VIP, 80);
      assertThat(r.outcome())
          .as("flow from port %d: %s", sport, r)
          .isEqualTo(ProbeResult.Outcome.REPLY);
      out.put(sport, r.backend());
    }
    return out;
  }

  @Test
  void vppRestart_underTheAgent_stateIsBackWithinTwoSeconds() throws Exception {
    Path dir = VPP.runDir().resolve("agent");
    Path socket = dir.resolve("dataplane.sock");
    // The agent's default reconnect backoff (capped at 1 s), as the agent runs it.
    var agent = AgentServer.unixSocket(socket, new DataplaneAgent(vpp()));
    closing.add(agent);
    var programmer = DataplaneProgrammer.connect("unix://" + socket, Duration.ofSeconds(10));
    closing.add(programmer);
    programmer.apply(state(web("b1", "b2")));
    assertThat(client.count(20, Protocol.TCP, VIP, 80)).containsOnlyKeys("b1", "b2");

    VPP.restart();
    long up = System.nanoTime();
    await()
        .atMost(Duration.ofSeconds(2))
        .pollInterval(Duration.ofMillis(50))
        .until(() -> VPP.ctl("show", "cnat", "translation").contains(VIP + ";80"));
    long millis = (System.nanoTime() - up) / 1_000_000;
    System.out.println("VPP restart: translations back " + millis + " ms after its API socket");

    lab.reattach(); // the CNI's part: interfaces
    await()
        .atMost(Duration.ofSeconds(10))
        .untilAsserted(
            () -> assertThat(client.count(20, Protocol.TCP, VIP, 80)).containsOnlyKeys("b1", "b2"));
    // The programmer's next change is applied as usual.
    programmer.apply(state(web("b3")));
    assertThat(client.count(10, Protocol.TCP, VIP, 80)).containsOnlyKeys("b3");
  }

  @Test
  void agentRestart_trafficGoesOn_newAgentTakesOverWithoutRecreating() throws Exception {
    Path socket = VPP.runDir().resolve("agent/dataplane.sock");
    var first = VppBackend.connect(VPP.socket());
    var agent = AgentServer.unixSocket(socket, new DataplaneAgent(first));
    var programmer = DataplaneProgrammer.connect("unix://" + socket, Duration.ofSeconds(10));
    closing.add(programmer);
    DesiredState s = state(web("b1", "b2"));
    programmer.apply(s);
    TcpSession session = client.open(VIP, 80);
    closing.add(session);
    String pinned = session.greeting().backend();
    String idBefore = translationIds();

    agent.close();
    first.close(); // the agent's process is gone; VPP keeps what it holds

    assertThat(client.count(20, Protocol.TCP, VIP, 80)).containsOnlyKeys("b1", "b2");
    assertThat(session.exchange().backend()).isEqualTo(pinned);

    var second = AgentServer.unixSocket(socket, new DataplaneAgent(vpp()));
    closing.add(second);
    DesiredState s2 = state(web("b1", "b2", "b3"));
    try {
      programmer.apply(s2);
    } catch (DataplaneException brokenStream) {
      programmer.apply(s2); // the first try meets the old agent's stream
    }

    assertThat(translationIds()).isEqualTo(idBefore); // updated in place, not recreated
    assertThat(client.count(60, Protocol.TCP, VIP, 80)).containsOnlyKeys("b1", "b2", "b3");
    assertThat(session.exchange().backend()).isEqualTo(pinned);
  }

  /** The translations' ids and VIPs as VPP lists them ("[0] 10.96.0.10;80 TCP ..."). */
  private static String translationIds() throws Exception {
    StringBuilder out = new StringBuilder();
    for (String line : VPP.ctl("show", "cnat", "translation").lines().toList()) {
      if (line.startsWith("[")) {
        out.append(line, 0, line.indexOf(" TCP") < 0 ? line.length() : line.indexOf(" TCP"))
            .append('\n');
      }
    }
    return out.toString();
  }

  @Test
  void badServices_neverStopTheOthers() throws Exception {
    DesiredState s =
        DesiredState.newBuilder()
            .addNetworks(network(56, "blue", "bl*", 101))
            .addNetworks(network(57, "red", "rd*", 102))
            .addServicePorts(web("b1", "b2").setNetworkId(56))
            // The same VIP in two networks, which cnat cannot keep apart: skipped in both.
            .addServicePorts(port(56, "10.96.0.77", TCP, 80, b4("b3")))
            .addServicePorts(port(57, "10.96.0.77", TCP, 80, b4("b4")))
            // SCTP, which cnat does not translate: skipped.
            .addServicePorts(port(56, "10.96.0.78", SCTP, 3868, b4("b3")))
            .build();
    vpp().applyFull(s);
    assertThat(client.count(20, Protocol.TCP, VIP, 80)).containsOnlyKeys("b1", "b2");
    assertThat(client.tcp("10.96.0.77", 80).outcome()).isNotEqualTo(ProbeResult.Outcome.REPLY);

    // A refused delta (a backend of the other family) leaves what runs as it was...
    var bad = port(56, "10.96.0.79", TCP, 80, b6("b3"));
    assertThatThrownBy(
            () -> vpp().applyDelta(Delta.newBuilder().addUpsertServicePorts(bad).build()))
        .isInstanceOf(DataplaneException.class)
        .hasMessageContaining("fd00:1:3::2");
    assertThat(client.count(20, Protocol.TCP, VIP, 80)).containsOnlyKeys("b1", "b2");

    // ...and the next delta is applied.
    vpp()
        .applyDelta(
            Delta.newBuilder()
                .addUpsertServicePorts(port(56, "10.96.0.80", TCP, 80, b4("b3")))
                .build());
    assertThat(client.count(10, Protocol.TCP, "10.96.0.80", 80)).containsOnlyKeys("b3");
    assertThat(client.count(20, Protocol.TCP, VIP, 80)).containsOnlyKeys("b1", "b2");
  }
}
