package io.multinet.dataplane.kernel;

import static io.multinet.dataplane.States.backend;
import static io.multinet.dataplane.States.network;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.multinet.dataplane.lab.LabAssumptions;
import io.multinet.dataplane.lab.LabNamespaces;
import io.multinet.dataplane.lab.Probe;
import io.multinet.dataplane.lab.Topology;
import io.multinet.dataplane.v1.Backend;
import io.multinet.dataplane.v1.DesiredState;
import io.multinet.dataplane.v1.NodeFacts;
import io.multinet.dataplane.v1.ServicePort;
import io.multinet.network.Protocol;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * A full sync in bounded netlink transactions ({@link BulkSync}), against real nftables in
 * namespaces this test creates, with real traffic. Addresses: blue pods 10.1.0.11-13 (echo servers
 * b1-b3 on 8080), its client 10.1.0.50; VIPs 10.96.1.0/24 in network 56.
 */
class KernelBatchedSyncTest {

  private static final io.multinet.dataplane.v1.Protocol TCP =
      io.multinet.dataplane.v1.Protocol.TCP;
  private static final int PORTS = 30;
  private static final String[] PODS = {"10.1.0.11", "10.1.0.12", "10.1.0.13"};
  private static final Pattern SVC =
      Pattern.compile("56 \\. (10\\.96\\.1\\.\\d+) \\. tcp \\. 80 : goto lb_rand_(\\d+)");
  private static final Pattern EP =
      Pattern.compile("56 \\. (10\\.96\\.1\\.\\d+) \\. 80 \\. (\\d+) : 10\\.1\\.0\\.\\d+ \\. 8080");

  private @Nullable Topology topo;
  private @Nullable KernelBackend backend;
  private final List<String> extraNamespaces = new ArrayList<>();
  private final List<KernelBackend.Transaction> transactions = new ArrayList<>();

  /** Per transaction, VIPs whose service element was in the kernel without all its endpoints. */
  private final List<String> inconsistencies = new ArrayList<>();

  @BeforeEach
  void setUp() throws Exception {
    LabAssumptions.assumeKernelDataplane();
    Topology t = Topology.create("kbs", Topology.Options.DEFAULTS.withMarkRules(false));
    topo = t;
    t.addNetwork("blue", 1, "bl", 101);
    for (int i = 0; i < PODS.length; i++) {
      t.startEchoServer(t.addPod("blue", "b" + (i + 1), PODS[i], null), 8080);
    }
    t.addClient("blue", "bc", "10.1.0.50", null);
  }

  @AfterEach
  void tearDown() throws Exception {
    try {
      if (backend != null) {
        try {
          backend.cleanup();
        } finally {
          backend.close();
        }
      }
    } finally {
      try {
        for (String ns : extraNamespaces) {
          LabNamespaces.delete(ns);
        }
      } finally {
        if (topo != null) {
          topo.close();
        }
      }
    }
  }

  private Topology topo() {
    return java.util.Objects.requireNonNull(topo, "topo");
  }

  /** Port {@code i}: VIP 10.96.1.(i+1), 1 + i % 3 backends starting at pod {@code i % 3}. */
  private static ServicePort port(int i, int shift) {
    int n = 1 + i % 3;
    Backend[] backends = new Backend[n];
    for (int b = 0; b < n; b++) {
      backends[b] = backend(PODS[(i + b + shift) % PODS.length], 8080, true);
    }
    return io.multinet.dataplane.States.port(56, "10.96.1." + (i + 1), TCP, 80, backends).build();
  }

  private static DesiredState state(List<ServicePort> ports) {
    return DesiredState.newBuilder()
        .addNetworks(network(56, "blue", "bl*", 101))
        .addAllServicePorts(ports)
        .setNode(NodeFacts.newBuilder().setName("node-a"))
        .build();
  }

  private static List<ServicePort> ports(int from, int to) {
    List<ServicePort> out = new ArrayList<>();
    for (int i = from; i < to; i++) {
      out.add(port(i, 0));
    }
    return out;
  }

  /** Elements a port puts in the bulk maps: its service element and one per endpoint slot. */
  private static int elements(ServicePort p) {
    return 1 + p.getBackendsCount();
  }

  /** A backend on the topology's node that records each transaction and checks the kernel then. */
  private KernelBackend listened(int batchElements) {
    var b = new KernelBackend(topo().node(), batchElements);
    b.transactionListener(
        tx -> {
          transactions.add(tx);
          if (tx.what().equals("elements")) {
            inconsistencies.addAll(inconsistentVips(topo().node()));
          }
        });
    return b;
  }

  @Test
  void applyFull_smallBatchElements_commitsWholePortsInSeveralConsistentTransactions()
      throws Exception {
    List<ServicePort> ports = ports(0, PORTS);
    DesiredState s = state(ports);
    var sizes = new HashMap<String, Integer>();
    for (ServicePort p : ports) {
      sizes.put(KernelPlanner.key(p), elements(p));
    }
    int total = sizes.values().stream().mapToInt(Integer::intValue).sum();
    KernelBackend b = listened(10);
    backend = b;

    b.applyFull(s);

    List<KernelBackend.Transaction> batches =
        transactions.stream().filter(t -> t.what().equals("elements")).toList();
    assertThat(batches).hasSizeGreaterThanOrEqualTo(total / 10);
    var seen = new ArrayList<String>();
    for (var tx : batches) {
      assertThat(tx.elements()).isLessThanOrEqualTo(10);
      // Whole ports: the transaction's elements are exactly those of the ports it names.
      assertThat(tx.elements())
          .isEqualTo(tx.ports().stream().mapToInt(k -> sizes.getOrDefault(k, 0)).sum());
      seen.addAll(tx.ports());
    }
    assertThat(seen).containsExactlyInAnyOrderElementsOf(sizes.keySet());
    assertThat(inconsistencies).isEmpty();
    KernelBackend.FullSync sync = b.lastFullSync();
    assertThat(sync).isNotNull();
    assertThat(sync.transactions()).isEqualTo(transactions.size());
    assertThat(sync.elements()).isEqualTo(total);
    assertThat(sync.longestTransactionNanos())
        .isEqualTo(
            transactions.stream().mapToLong(KernelBackend.Transaction::nanos).max().orElse(0));

    // The same table as one unbatched transaction gives, in a namespace of its own.
    String one = LabNamespaces.create("kbs1");
    extraNamespaces.add(one);
    try (var unbatched = new KernelBackend(one, KernelBackend.MAX_BATCH_ELEMENTS)) {
      var whole = new ArrayList<KernelBackend.Transaction>();
      unbatched.transactionListener(whole::add);
      unbatched.applyFull(s);
      assertThat(whole)
          .filteredOn(t -> t.what().equals("elements"))
          .singleElement()
          .satisfies(t -> assertThat(t.elements()).isEqualTo(total));
      assertThat(sortedTable(topo().node())).isEqualTo(sortedTable(one));
    }

    // And it carries traffic: each VIP spreads over exactly its backends.
    for (int i : new int[] {0, 1, 2, PORTS - 1}) {
      Set<String> expected = new HashSet<>();
      for (Backend be : ports.get(i).getBackendsList()) {
        expected.add("b" + (List.of(PODS).indexOf(be.getAddress()) + 1));
      }
      Map<String, Integer> got =
          Probe.from(topo().pod("bc")).count(24, Protocol.TCP, "10.96.1." + (i + 1), 80);
      assertThat(got.keySet()).as("10.96.1.%d", i + 1).isEqualTo(expected);
    }
  }

  @Test
  void applyFull_restartOverExistingTable_writesOnlyTheDiffStalePortsLast() throws Exception {
    try (var first = new KernelBackend(topo().node())) {
      first.applyFull(state(ports(0, PORTS)));
    }
    // The new state: port 0 moves its one backend to another pod, ports 25-29 are gone, port 30
    // is new; the rest is as the kernel holds it.
    List<ServicePort> after = new ArrayList<>();
    after.add(port(0, 1));
    after.addAll(ports(1, 25));
    after.add(port(30, 0));
    int removed = 0;
    for (ServicePort p : ports(25, PORTS)) {
      removed += elements(p);
    }
    int changed = 2; // port 0's slot: deleted and added again with the new backend
    int added = elements(port(30, 0));
    KernelBackend b = listened(4);
    backend = b;

    b.applyFull(state(after));

    KernelBackend.FullSync sync = b.lastFullSync();
    assertThat(sync).isNotNull();
    assertThat(sync.elements()).isEqualTo(changed + added + removed);
    List<KernelBackend.Transaction> batches =
        transactions.stream().filter(t -> t.what().equals("elements")).toList();
    // The wanted ports' changes first (ports 0 and 30, together), then the stale ports' deletion.
    assertThat(batches.get(0).ports())
        .containsExactly(KernelPlanner.key(port(0, 1)), KernelPlanner.key(port(30, 0)));
    assertThat(batches.get(0).elements()).isEqualTo(changed + added);
    List<KernelBackend.Transaction> stale = batches.subList(1, batches.size());
    assertThat(stale).isNotEmpty().allSatisfy(t -> assertThat(t.ports()).isEmpty());
    assertThat(stale.stream().mapToInt(KernelBackend.Transaction::elements).sum())
        .isEqualTo(removed);
    assertThat(stale).allSatisfy(t -> assertThat(t.elements()).isLessThanOrEqualTo(4));
    assertThat(inconsistencies).isEmpty();

    // The result is what a cold start of the new state writes, and it carries traffic.
    String cold = LabNamespaces.create("kbs2");
    extraNamespaces.add(cold);
    try (var fresh = new KernelBackend(cold)) {
      fresh.applyFull(state(after));
      assertThat(sortedTable(topo().node())).isEqualTo(sortedTable(cold));
    }
    assertThat(Probe.from(topo().pod("bc")).count(10, Protocol.TCP, "10.96.1.1", 80).keySet())
        .containsExactly("b2");
    assertThat(Probe.from(topo().pod("bc")).count(10, Protocol.TCP, "10.96.1.31", 80).keySet())
        .containsExactly("b1");
    assertThat(Probe.from(topo().pod("bc")).tcp("10.96.1.26", 80).outcome())
        .isNotEqualTo(io.multinet.dataplane.lab.ProbeResult.Outcome.REPLY);
  }

  /**
   * Past {@link KernelBackend#DIFF_RESTART_ELEMENTS} a restart does not read the kernel back (the
   * set dump is quadratic): it flushes and rewrites the bulk maps in one transaction, which traffic
   * sees whole, and the result is again what a cold start writes.
   */
  @Test
  void applyFull_restartOverALargeTable_rewritesTheMapsInOneTransaction() throws Exception {
    try (var first = new KernelBackend(topo().node())) {
      first.applyFull(state(ports(0, PORTS)));
    }
    List<ServicePort> after = new ArrayList<>();
    after.add(port(0, 1));
    after.addAll(ports(1, 25));
    int all = after.stream().mapToInt(KernelBatchedSyncTest::elements).sum();
    KernelBackend b = listened(4);
    b.diffRestartElements = 0;
    backend = b;

    b.applyFull(state(after));

    List<KernelBackend.Transaction> batches =
        transactions.stream().filter(t -> t.what().equals("elements")).toList();
    assertThat(batches).singleElement().satisfies(t -> assertThat(t.elements()).isEqualTo(all));
    assertThat(inconsistencies).isEmpty();
    String cold = LabNamespaces.create("kbs3");
    extraNamespaces.add(cold);
    try (var fresh = new KernelBackend(cold)) {
      fresh.applyFull(state(after));
      assertThat(sortedTable(topo().node())).isEqualTo(sortedTable(cold));
    }
    assertThat(Probe.from(topo().pod("bc")).count(10, Protocol.TCP, "10.96.1.1", 80).keySet())
        .containsExactly("b2");
  }

  @Test
  void constructor_batchElementsOutOfRange_isRefused() {
    assertThatThrownBy(() -> new KernelBackend(topo().node(), 0))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("batchElements: 0 (expected: 1-1000000)");
  }

  /**
   * VIPs of the kernel's svc4 map whose endpoint slots are not exactly 0..N-1 of their {@code
   * lb_rand_N}, and endpoint slots of VIPs without a service element.
   */
  private static List<String> inconsistentVips(String netns) {
    String svc = nft(netns, "list", "map", "inet", "multinet", "svc4");
    String ep = nft(netns, "list", "map", "inet", "multinet", "ep4_tcp");
    Map<String, Integer> wanted = new HashMap<>();
    for (Matcher m = SVC.matcher(svc); m.find(); ) {
      wanted.put(m.group(1), Integer.parseInt(m.group(2)));
    }
    Map<String, Set<Integer>> slots = new HashMap<>();
    for (Matcher m = EP.matcher(ep); m.find(); ) {
      slots.computeIfAbsent(m.group(1), k -> new HashSet<>()).add(Integer.parseInt(m.group(2)));
    }
    List<String> out = new ArrayList<>();
    wanted.forEach(
        (vip, n) -> {
          Set<Integer> all = new HashSet<>();
          for (int i = 0; i < n; i++) {
            all.add(i);
          }
          if (!all.equals(slots.getOrDefault(vip, Set.of()))) {
            out.add(vip + " lb_rand_" + n + " slots " + slots.get(vip));
          }
        });
    slots.keySet().stream()
        .filter(v -> !wanted.containsKey(v))
        .forEach(v -> out.add(v + " endpoints without a service"));
    return out;
  }

  /** The table's listing with every element on a line of its own, sorted (hash order varies). */
  private static String sortedTable(String netns) {
    String listing = nft(netns, "list", "table", "inet", "multinet");
    var lines = new ArrayList<String>();
    for (String l : listing.replace("{", "{\n").replace(",", "\n").split("\n", -1)) {
      if (!l.isBlank()) {
        lines.add(l.strip());
      }
    }
    Collections.sort(lines);
    return String.join("\n", lines);
  }

  private static String nft(String netns, String... args) {
    var cmd = new ArrayList<>(List.of("ip", "netns", "exec", netns, "nft"));
    cmd.addAll(List.of(args));
    try {
      Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      if (!p.waitFor(30, TimeUnit.SECONDS) || p.exitValue() != 0) {
        throw new IllegalStateException(String.join(" ", cmd) + ": " + out);
      }
      return out;
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }
}
