package io.multinet.benchmarks.scale;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSliceBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import io.multinet.benchmarks.scale.ScaleArgs.Mode;
import io.multinet.dataplane.kernel.KernelBackend;
import io.multinet.dataplane.v1.DesiredState;
import io.multinet.network.IpAddress;
import io.multinet.network.Protocol;
import io.multinet.nodeproxy.InProcessNode;
import io.multinet.nodeproxy.NodeProxy;
import io.multinet.service.Endpoint;
import io.multinet.service.ServicePort;
import io.multinet.service.ServicePortKey;
import io.multinet.table.ServiceTable;
import io.multinet.watcher.EndpointWatcher;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.LockSupport;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/**
 * Scale harness: loads N default-network Services × 10 endpoints into the embedded API server
 * (fabric8's mock server in CRUD mode), runs the real controller ({@link EndpointWatcher}) and node
 * proxy ({@link NodeProxy} with its in-process kernel agent programming a scratch network
 * namespace), and measures cold start, programming latency under churn, live heap and RSS, CPU per
 * change; then programs the same services kube-proxy-style with iptables-restore and with one
 * {@code nft -f} file. Writes a markdown table and JSON. Run with {@code benchmarks/scale.sh}.
 */
public final class ScaleHarness {

  static final String NODE = "node-1";
  static final String NS = "scale";
  private static final int ENDPOINTS = 10;

  // The mock server logs every request at INFO: at 1000 writes/s that is the harness's main cost.
  private static final java.util.logging.Logger MOCK_LOG =
      java.util.logging.Logger.getLogger("io.fabric8.mockwebserver");

  private final int services;
  private final List<Integer> rates;
  private final int seconds;
  private final boolean histogram;
  private boolean aot;
  private boolean threeNetworks;
  private int namespaces = 1;
  private Mode mode = Mode.IN_PROCESS;
  // Pinned mode on a machine with two CPUs or more: the harness on CPU 0, the proxy on CPU 1.
  private boolean pinned;
  private List<String> proxyClasses = List.of();
  private String nativeMemory = "";
  private final Path out;
  private final Map<String, Object> results = new LinkedHashMap<>();
  private final List<String> table = new ArrayList<>();

  private ScaleHarness(
      int services, List<Integer> rates, int seconds, Path out, boolean histogram) {
    this.histogram = histogram;
    this.services = services;
    this.rates = rates;
    this.seconds = seconds;
    this.out = out;
  }

  public static void main(String[] args) throws Exception {
    MOCK_LOG.setLevel(java.util.logging.Level.WARNING);
    ScaleArgs a;
    try {
      a = ScaleArgs.parse(args);
    } catch (IllegalArgumentException e) {
      System.err.println(e.getMessage());
      System.exit(2);
      return;
    }
    Files.createDirectories(a.out());
    var h =
        new ScaleHarness(
            a.size().services,
            a.rates(),
            a.seconds(),
            a.out()
                .resolve("scale-" + a.size().flag + (a.mode() == Mode.PINNED ? "" : "-in-process")),
            a.histogram());
    h.threeNetworks = a.size().threeNetworks;
    h.namespaces = a.size().threeNetworks ? a.size().namespaces() : 1;
    h.aot = a.aot();
    h.mode = a.mode();
    if (a.mode() == Mode.PINNED) {
      h.pinned = pinSelf();
    }
    h.run();
    System.exit(0); // informer and vert.x threads are not all daemons
  }

  /**
   * Pins this JVM, every thread it has and (by inheritance) every one it starts, to CPU 0, leaving
   * CPU 1 to the node proxy process. On a machine with one CPU there is nothing to separate.
   */
  private static boolean pinSelf() throws IOException, InterruptedException {
    int cpus = Runtime.getRuntime().availableProcessors();
    if (cpus < 2) {
      System.out.println(
          "pinned mode: this machine has "
              + cpus
              + " CPU, so the node proxy process runs unpinned beside the harness");
      return false;
    }
    var p =
        new ProcessBuilder(
                "taskset", "-a", "-p", "-c", "0", String.valueOf(ProcessHandle.current().pid()))
            .redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.DISCARD)
            .start();
    if (p.waitFor() != 0) {
      throw new IOException("taskset -a -p -c 0: exit " + p.exitValue());
    }
    System.out.println("pinned mode: the harness on CPU 0, the node proxy process on CPU 1");
    return true;
  }

  private void run() throws Exception {
    results.put("services", services);
    results.put(
        "mode", mode == Mode.PINNED ? (pinned ? "pinned" : "pinned-unavailable") : "in-process");
    results.put("endpointsPerService", ENDPOINTS);
    results.put("loadBefore", loadAverage());
    String netns = "scale-" + UUID.randomUUID().toString().substring(0, 8);
    String childNetns = netns + "-p";
    var server =
        new KubernetesMockServer(
            new Context(),
            new MockWebServer(),
            new HashMap<>(),
            new io.multinet.apiserver.IndexedCrudDispatcher(),
            false);
    server.init(InetAddress.getLoopbackAddress(), 0);
    KubernetesClient client = server.createClient();
    List<AutoCloseable> closeables = new ArrayList<>();
    sh("ip", "netns", "add", netns);
    try {
      long t0 = System.nanoTime();
      if (threeNetworks) {
        ThreeNetworks.load(client, services, ENDPOINTS, false, namespaces);
        row(
            "load into API server",
            ms(System.nanoTime() - t0),
            "ms",
            "N network Services + 10 N pods with network-status, HTTP");
      } else {
        load(client);
        row(
            "load into API server",
            ms(System.nanoTime() - t0),
            "ms",
            "N services + N slices, HTTP");
      }
      results.put("networks", threeNetworks ? 3 : 0);
      Memory base = Memory.now();

      var watcher = new EndpointWatcher(client, Clock.systemUTC());
      closeables.add(watcher);
      watcher.start();
      watcher.setLeading(true);
      long leading = System.nanoTime();
      boolean idle = watcher.awaitIdle(Duration.ofMinutes(20), Duration.ofMillis(300));
      row(
          "controller: leading to idle",
          ms(System.nanoTime() - leading),
          "ms",
          (idle ? "" : "NOT idle after 20 min; ")
              + (threeNetworks ? "builds every network slice from pods" : "nothing to build"));
      Memory withController = Memory.now();
      HeapHistogram beforeProxy = histogram ? HeapHistogram.now() : null;
      row("controller live heap", mib(withController.heap - base.heap), "MiB", "delta after GC");
      row("controller RSS", mib(withController.rss - base.rss), "MiB", "delta of VmRSS");
      results.put("controllerHeapMiB", mib(withController.heap - base.heap));
      results.put("controllerRssMiB", mib(withController.rss - base.rss));

      if (mode == Mode.PINNED) {
        pinnedProxy(client, netns, withController);
        closeables.remove(watcher);
        watcher.close();
        sh("ip", "netns", "add", childNetns);
        separateProcesses(client.getConfiguration().getMasterUrl(), childNetns, false);
        if (aot) {
          aotCache(client.getConfiguration().getMasterUrl(), childNetns);
        }
      } else {
        inProcess(client, netns, childNetns, closeables, watcher, withController, beforeProxy);
      }
    } finally {
      for (int i = closeables.size() - 1; i >= 0; i--) {
        try {
          closeables.get(i).close();
        } catch (Exception e) {
          System.err.println("closing: " + e);
        }
      }
      client.close();
      server.destroy();
      sh("ip", "netns", "del", netns);
      if (Files.exists(Path.of("/run/netns", childNetns))) {
        sh("ip", "netns", "del", childNetns);
      }
    }
    results.put("loadAfter", loadAverage());
    write();
  }

  /**
   * The node proxy as a process of its own ({@code multinet-proxy run}, in-process kernel agent on
   * {@code netns}), on CPU 1 while this JVM keeps CPU 0. Everything is measured from the kernel
   * ({@link KernelWatch}, started on the empty namespace before the proxy) and from outside the
   * process: launch to the last element of the initial state, write to element under churn, the
   * kernel compared with the API server's state after churn and after a restart.
   */
  private void pinnedProxy(KubernetesClient client, String netns, Memory withController)
      throws Exception {
    Path kubeconfig = Files.createTempFile("scale-kubeconfig-", ".yaml");
    Files.writeString(kubeconfig, kubeconfig(client.getConfiguration().getMasterUrl()));
    var launch =
        new ChildJvm.Launch(
            pinned ? List.of("taskset", "-c", "1") : List.of(),
            Map.of("KUBECONFIG", kubeconfig.toString()),
            services >= 100_000 ? "4g" : ChildJvm.MEMORY_LIMIT);
    try (var watch = KernelWatch.start(netns)) {
      Map<String, java.util.Set<String>> initial = apiState(client);
      watch.expect(initial);
      int metricsPort = freePort();
      DesiredState last;
      try (var proxy =
          ChildJvm.start(
              "node-proxy", launch, pinnedArgs(netns, metricsPort), histogram, List.of())) {
        long programmed = awaitKernel(watch, proxy, Duration.ofMinutes(10));
        long cold = programmed - proxy.startedAt();
        DesiredState observed = observe(netns);
        row(
            "cold start: process launch to programmed",
            ms(cold),
            "ms",
            (pinned ? "node proxy process on CPU 1" : "node proxy process, unpinned")
                + ", until the kernel holds the last element of the initial state; kernel holds "
                + observed.getServicePortsCount()
                + " service ports (target 10k: 2500 with the AOT cache, 100k: 6000)");
        results.put("coldStartMs", ms(cold));
        results.put("kernelServicePorts", observed.getServicePortsCount());
        results.put("kernelEventsAtColdStart", watch.events());
        proxy.awaitQuiet(Duration.ofMinutes(5));
        long heap = proxy.liveHeapBytes();
        long rss = proxy.rssBytes();
        row(
            "node proxy process: live heap",
            mib(heap),
            "MiB",
            "after a full GC, idle after cold start (target 10k: 80, 100k: 600)");
        row(
            "node proxy process: RSS",
            mib(rss),
            "MiB",
            "VmRSS (limit " + launch.memoryLimit() + ")");
        results.put("proxyProcessHeapMiB", mib(heap));
        results.put("proxyProcessRssMiB", mib(rss));
        if (histogram) {
          nativeMemory = proxy.nativeMemory();
        }
        row("harness JVM live heap", mib(withController.heap), "MiB", "API server + controller");

        for (int rate : rates) {
          churnPinned(client, watch, proxy, rate);
        }
        last = observe(netns);
        checkKernel("after churn", apiState(client), last, watch);

        // Restart: the process goes (SIGTERM; its rules stay) and a new one starts on the same
        // namespace, measured from its launch to the last element of its resync.
      }
      watch.expect(apiState(client));
      long eventsBefore = watch.events();
      int port2 = freePort();
      try (var proxy2 =
          ChildJvm.start(
              "node-proxy-restarted", launch, pinnedArgs(netns, port2), false, List.of())) {
        long metric = programmed(proxy2, port2);
        watch.awaitQuiet(Duration.ofMillis(500), Duration.ofMinutes(2));
        long resynced = watch.expectedAt();
        boolean seen = resynced > proxy2.startedAt();
        long restarted = (seen ? resynced : metric) - proxy2.startedAt();
        row(
            "node proxy restart: process launch to programmed again",
            ms(restarted),
            "ms",
            (seen
                    ? "to the last element of the resync"
                    : watch.errors().isEmpty()
                        ? "no resync seen in the kernel: to its metric"
                        : "nft monitor lost events: to its metric")
                + "; "
                + (watch.events() - eventsBefore)
                + " element events; its metric counted every port at "
                + String.format(Locale.ROOT, "%.0f ms", ms(metric - proxy2.startedAt())));
        results.put("restartMs", ms(restarted));
        checkKernel("after restart", apiState(client), observe(netns), watch);
      }
      if (!threeNetworks) {
        baselines(last);
      }
    } finally {
      Files.deleteIfExists(kubeconfig);
    }
  }

  /** {@code multinet-proxy run} as the pinned harness runs it: the in-process harness's periods. */
  private static List<String> pinnedArgs(String netns, int metricsPort) throws IOException {
    var args = new ArrayList<>(proxyArgs(netns, metricsPort));
    args.addAll(List.of("--min-sync-period", "PT0.01S", "--sync-period", "PT30S"));
    return args;
  }

  /** A kubeconfig for the embedded API server (plain HTTP, no credentials). */
  static String kubeconfig(String masterUrl) {
    return """
        apiVersion: v1
        kind: Config
        clusters:
        - name: scale
          cluster:
            server: %s
        users:
        - name: scale
          user: {}
        contexts:
        - name: scale
          context:
            cluster: scale
            user: scale
            namespace: default
        current-context: scale
        """
        .formatted(masterUrl);
  }

  /** Waits for the state {@code watch} expects, failing early if {@code proxy} exits. */
  private static long awaitKernel(KernelWatch watch, ChildJvm proxy, Duration max)
      throws Exception {
    long deadline = System.nanoTime() + max.toNanos();
    while (true) {
      try {
        return watch.awaitExpected(Duration.ofSeconds(1));
      } catch (IllegalStateException e) {
        proxy.checkAlive();
        if (System.nanoTime() > deadline) {
          throw e;
        }
      }
    }
  }

  private static DesiredState observe(String netns) throws Exception {
    try (var b = new KernelBackend(netns)) {
      return b.observe();
    }
  }

  /** The watch key ("ZONE VIP PORT") of service {@code i}'s port. */
  private String watchKey(int i) {
    return threeNetworks
        ? ThreeNetworks.networkId(i) + " " + ThreeNetworks.vip(i) + " 80"
        : "0 " + vip(i) + " 80";
  }

  private static final Pattern SERVICE_NAME = Pattern.compile("svc-(\\d+)");
  private static final Pattern POD_IP = Pattern.compile("\"ips\":\\[\"([^\"]+)\"");

  /**
   * What the API server says each Service's port should serve: watch key → ready endpoint addresses
   * (default network: the harness's slices; three networks: the pods' network-status, from which
   * the controller builds the slices).
   */
  private Map<String, java.util.Set<String>> apiState(KubernetesClient client) {
    var out = new HashMap<String, java.util.Set<String>>();
    if (threeNetworks) {
      for (var pod : client.pods().inAnyNamespace().list().getItems()) {
        Matcher n = SERVICE_NAME.matcher(pod.getMetadata().getName());
        String status = pod.getMetadata().getAnnotations().get("k8s.v1.cni.cncf.io/network-status");
        if (!n.lookingAt() || status == null) {
          continue;
        }
        Matcher ip = POD_IP.matcher(status);
        if (ip.find()) {
          out.computeIfAbsent(
                  watchKey(Integer.parseInt(n.group(1))), k -> new java.util.HashSet<>())
              .add(ip.group(1));
        }
      }
    } else {
      for (var slice : client.discovery().v1().endpointSlices().inNamespace(NS).list().getItems()) {
        Matcher n =
            SERVICE_NAME.matcher(
                slice.getMetadata().getLabels().getOrDefault("kubernetes.io/service-name", ""));
        if (!n.matches()) {
          continue;
        }
        var addresses =
            out.computeIfAbsent(
                watchKey(Integer.parseInt(n.group(1))), k -> new java.util.HashSet<>());
        for (var e : slice.getEndpoints()) {
          if (e.getConditions() == null || !Boolean.FALSE.equals(e.getConditions().getReady())) {
            addresses.addAll(e.getAddresses());
          }
        }
      }
    }
    return out;
  }

  /** The kernel's state as watch keys → distinct backend addresses. */
  private static Map<String, java.util.Set<String>> kernelState(DesiredState kernel) {
    var out = new java.util.TreeMap<String, java.util.Set<String>>();
    for (var sp : kernel.getServicePortsList()) {
      var addresses = new java.util.HashSet<String>();
      sp.getBackendsList().forEach(b -> addresses.add(b.getAddress()));
      out.put(sp.getNetworkId() + " " + sp.getAddress() + " " + sp.getPort(), addresses);
    }
    return out;
  }

  /**
   * The kernel (read back) against the API server's state, and against what {@code nft monitor}
   * announced; any difference is printed loudly with its first few services.
   */
  private void checkKernel(
      String when, Map<String, java.util.Set<String>> api, DesiredState kernel, KernelWatch watch) {
    Map<String, java.util.Set<String>> actual = kernelState(kernel);
    // multinet-proxy run serves each network's DNS address (allocated by the controller) from its
    // own listener: ports the workload's Services do not name, counted apart.
    var dns = new java.util.TreeMap<String, java.util.Set<String>>();
    actual
        .entrySet()
        .removeIf(
            e -> {
              boolean listener =
                  e.getKey().endsWith(" 53")
                      && e.getValue()
                          .equals(
                              java.util.Set.of(
                                  io.multinet.nodeproxy.dns.DnsOptions.DEFAULT_LISTEN_V4));
              if (listener) {
                dns.put(e.getKey(), e.getValue());
              }
              return listener;
            });
    List<String> diff = differences(api, actual);
    var announced = new java.util.TreeMap<>(watch.state());
    announced.keySet().removeAll(dns.keySet());
    List<String> watched = differences(actual, announced);
    row(
        "kernel equals the API's state " + when,
        diff.isEmpty() ? 1 : 0,
        "bool",
        diff.isEmpty()
            ? api.size()
                + " services, each VIP with its backends"
                + (dns.isEmpty() ? "" : "; plus " + dns.size() + " networks' DNS address (port 53)")
            : "MISMATCH in " + diff.size() + " services, first: " + String.join("; ", first(diff)));
    row(
        "nft monitor equals the kernel " + when,
        watched.isEmpty() ? 1 : 0,
        "bool",
        watched.isEmpty()
            ? "every announced element accounted for"
            : "MISMATCH in "
                + watched.size()
                + ", first: "
                + String.join("; ", first(watched))
                + (watch.errors().isEmpty() ? "" : "; monitor: " + watch.errors().getFirst()));
    results.put("kernelMatchesApi " + when, diff.isEmpty());
    results.put("watchMatchesKernel " + when, watched.isEmpty());
    if (!diff.isEmpty()) {
      System.err.println(
          "MISMATCH: the kernel differs from the API server "
              + when
              + " in "
              + diff.size()
              + " services:");
      first(diff).forEach(d -> System.err.println("  " + d));
    }
  }

  private static List<String> first(List<String> diff) {
    return diff.subList(0, Math.min(3, diff.size()));
  }

  /** Keys whose address sets differ: "KEY: want [..] have [..]". */
  static List<String> differences(
      Map<String, java.util.Set<String>> want, Map<String, java.util.Set<String>> have) {
    var keys = new java.util.TreeSet<String>(want.keySet());
    keys.addAll(have.keySet());
    var out = new ArrayList<String>();
    for (String k : keys) {
      var w = want.getOrDefault(k, java.util.Set.of());
      var h = have.getOrDefault(k, java.util.Set.of());
      if (!w.equals(h)) {
        out.add(k + ": want " + new java.util.TreeSet<>(w) + " have " + new java.util.TreeSet<>(h));
      }
    }
    return out;
  }

  /**
   * Churn against the node proxy process: as {@link #churn}, but a change counts as programmed when
   * {@code nft monitor} announces its endpoint element; CPU is the proxy process's own.
   */
  private void churnPinned(KubernetesClient client, KernelWatch watch, ChildJvm proxy, int rate)
      throws Exception {
    var os =
        (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
    long cpu0 = os.getProcessCpuTime();
    long proxyTicks0 = proxy.cpuTicks();
    Written w =
        churnWrites(
            client,
            rate,
            (id, svc, address) -> watch.changeWritten(watchKey(svc), address, System.nanoTime()),
            (id, svc, address) -> watch.changeRefused(watchKey(svc), address));
    long elapsed = w.elapsedNanos();
    // Changes still in flight reach the kernel within a few syncs; superseded ones never do.
    long settle = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (watch.pendingCount() > 0 && System.nanoTime() < settle) {
      watch.awaitQuiet(Duration.ofSeconds(2), Duration.ofSeconds(60));
      if (System.nanoTime() - watch.lastEventAt() > TimeUnit.SECONDS.toNanos(2)) {
        break;
      }
    }
    long cpu = os.getProcessCpuTime() - cpu0;
    long proxyCpu = (proxy.cpuTicks() - proxyTicks0) * 10_000_000L; // 100 ticks a second
    long[] sorted = watch.takeLatencies();
    java.util.Arrays.sort(sorted);
    long unseen = watch.takePending();
    double achieved = w.written() * 1e9 / elapsed;
    double p50 = sorted.length == 0 ? Double.NaN : ms(sorted[sorted.length / 2]);
    double p99 = sorted.length == 0 ? Double.NaN : ms(sorted[(int) (sorted.length * 0.99)]);
    double max = sorted.length == 0 ? Double.NaN : ms(sorted[sorted.length - 1]);
    double proxyPerChange = proxyCpu / 1e3 / Math.max(1, w.written());
    double harnessPerChange = cpu / 1e3 / Math.max(1, w.written());
    String label = "churn " + rate + "/s";
    row(
        label + " p50",
        p50,
        "ms",
        String.format(
            Locale.ROOT,
            "write to element in the kernel; achieved %.0f/s, %d measured, %d superseded, %d lost"
                + " to write conflicts (target at 1000/s: 20)",
            achieved,
            sorted.length,
            unseen,
            w.conflicts()));
    row(
        label + " p99",
        p99,
        "ms",
        String.format(Locale.ROOT, "max %.1f ms (target at 1000/s: 100)", max));
    row(label + " node proxy CPU per change", proxyPerChange, "µs", "the proxy process's own");
    row(
        label + " harness CPU per change",
        harnessPerChange,
        "µs",
        "API server, controller, writers");
    var r = new LinkedHashMap<String, Object>();
    r.put("achievedPerSecond", achieved);
    r.put("measured", sorted.length);
    r.put("superseded", unseen);
    r.put("conflicts", w.conflicts());
    r.put("p50Ms", p50);
    r.put("p99Ms", p99);
    r.put("maxMs", max);
    r.put("proxyCpuMicrosPerChange", proxyPerChange);
    r.put("harnessCpuMicrosPerChange", harnessPerChange);
    r.put("load", loadAverage());
    results.put("churn" + rate, r);
  }

  /**
   * The node proxy in this JVM (the harness before pinned mode): cold start, heap shares, churn
   * read from the proxy's table, baselines, restart, then each part as a process of its own.
   */
  private void inProcess(
      KubernetesClient client,
      String netns,
      String childNetns,
      List<AutoCloseable> closeables,
      EndpointWatcher watcher,
      Memory withController,
      @Nullable HeapHistogram beforeProxy)
      throws Exception {
    // Cold start: node proxy start (informer lists) to the whole state acknowledged by the agent.
    var backend = new KernelBackend(netns);
    var options =
        new NodeProxy.Options(
            Duration.ofMillis(10), Duration.ofSeconds(30), null, List.of(), false);
    long start = System.nanoTime();
    var node = InProcessNode.start(client, NODE, backend, options, Duration.ofMinutes(2));
    closeables.add(node);
    var proxy = node.proxy();
    long listed = System.nanoTime() - start; // start() returns once every informer has listed
    awaitProgrammed(proxy, start);
    long cold = System.nanoTime() - start;
    // The mock API server opens each watch by replaying every object as ADDED (a real one sends
    // only what is newer than the list): wait until the proxy has processed that replay, so the
    // heap is measured in a steady state rather than with the replay in flight.
    long runs = -1;
    for (int i = 0; i < 120 && proxy.runner().runs() != runs; i++) {
      runs = proxy.runner().runs();
      Thread.sleep(1_000);
    }
    // Measured before observe(): its read-back state would otherwise count as the proxy's.
    Memory withProxy = Memory.now();
    if (beforeProxy != null) {
      proxyClasses = HeapHistogram.now().growthSince(beforeProxy, 25);
    }
    DesiredState observed = backend.observe();
    row(
        "cold start to programmed",
        ms(cold),
        "ms",
        "kernel holds " + observed.getServicePortsCount() + " service ports (target 10k: 1500)");
    row(
        "  of which informer lists",
        ms(listed),
        "ms",
        "Services and slices listed from the API server, decoded, cached");
    row(
        "  of which first sync",
        ms(cold - listed),
        "ms",
        "map, table, convert, then the agent's full load into the kernel");
    results.put("coldStartMs", ms(cold));
    results.put("informerListsMs", ms(listed));
    results.put("kernelServicePorts", observed.getServicePortsCount());
    row(
        "node proxy live heap",
        mib(withProxy.heap - withController.heap),
        "MiB",
        "delta after GC (target 10k: 100)");
    row("node proxy RSS", mib(withProxy.rss - withController.rss), "MiB", "delta of VmRSS");
    row("harness JVM live heap", mib(withProxy.heap), "MiB", "API server + controller + proxy");
    row("harness JVM RSS", mib(withProxy.rss), "MiB", "VmRSS");
    results.put("proxyHeapMiB", mib(withProxy.heap - withController.heap));
    results.put("proxyRssMiB", mib(withProxy.rss - withController.rss));
    results.put("jvmHeapMiB", mib(withProxy.heap));
    results.put("jvmRssMiB", mib(withProxy.rss));

    for (int rate : rates) {
      churn(client, proxy, rate);
    }
    // Spot check: the kernel equals what the node proxy last acknowledged.
    DesiredState last = proxy.lastState();
    DesiredState kernel = backend.observe();
    boolean equal = last != null && sameEndpoints(last, kernel);
    row("kernel equals acknowledged state after churn", equal ? 1 : 0, "bool", "observe()");
    results.put("kernelMatchesAfterChurn", equal);

    if (!threeNetworks) {
      baselines(last); // kube-proxy has no networks: compared on the default network
    }

    // Node proxy restart at scale: the process goes (its rules stay in the kernel) and a new one
    // starts on the same namespace; measured until the new one has the whole state acknowledged
    // (a full resync over the existing table), then the kernel is read back and compared.
    closeables.remove(node);
    node.close();
    var backend2 = new KernelBackend(netns);
    long restart = System.nanoTime();
    var node2 = InProcessNode.start(client, NODE, backend2, options, Duration.ofMinutes(2));
    closeables.add(node2);
    var proxy2 = node2.proxy();
    long relisted = System.nanoTime() - restart;
    awaitProgrammed(proxy2, restart);
    long restarted = System.nanoTime() - restart;
    // NodeProxy publishes its table a moment before it records the state (NodeProxy.sync): read
    // right after the table appeared, lastState() can still be null, which once reported the
    // kernel as differing after a restart. Wait for it, then compare and name any difference.
    DesiredState again = proxy2.lastState();
    for (int i = 0; again == null && i < 5_000; i++) {
      LockSupport.parkNanos(1_000_000);
      again = proxy2.lastState();
    }
    DesiredState kernelAgain = backend2.observe();
    boolean same = again != null && sameEndpoints(again, kernelAgain);
    if (!same) {
      List<String> diff =
          again == null
              ? List.of("the restarted proxy has no state after 5 s")
              : differences(kernelState(again), kernelState(kernelAgain));
      System.err.println("MISMATCH: the kernel differs from the restarted proxy's state: " + diff);
      results.put("restartDifferences", String.join("; ", first(diff)));
    }
    row(
        "node proxy restart: programmed again",
        ms(restarted),
        "ms",
        "a new proxy over the existing table (full resync); kernel equals its state: " + same);
    row("  of which informer lists", ms(relisted), "ms", "the new proxy's caches filled");
    row(
        "  of which first sync",
        ms(restarted - relisted),
        "ms",
        "map, table, convert, then the agent's full resync over the existing table");
    results.put("restartMs", ms(restarted));
    results.put("restartListsMs", ms(relisted));
    results.put("kernelMatchesAfterRestart", same);

    // The in-process parts go; the controller and the node proxy start again as the chart runs
    // them, each in a JVM of its own, so their heap and RSS are their own, not shares of one JVM.
    for (AutoCloseable c : List.of(node2, watcher)) {
      closeables.remove(c);
      c.close();
    }
    sh("ip", "netns", "add", childNetns);
    separateProcesses(client.getConfiguration().getMasterUrl(), childNetns, true);
    if (aot) {
      aotCache(client.getConfiguration().getMasterUrl(), childNetns);
    }
  }

  /**
   * The controller, then the node proxy (in-process kernel agent on a fresh namespace), each in a
   * JVM of its own with the image's flags under the chart's memory limit: the node proxy's cold
   * start from JVM launch, and each one's live heap and RSS once it has gone quiet. A process that
   * fails (for example out of memory under the limit) gets a row saying so; the run goes on.
   */
  private void separateProcesses(String masterUrl, String childNetns, boolean nodeProxy)
      throws Exception {
    try (var controller =
        ChildJvm.start(
            "controller",
            masterUrl,
            List.of("controller", "--identity", "scale-controller"),
            histogram)) {
      try {
        controller.awaitLog("leading", Duration.ofMinutes(5));
        controller.awaitQuiet(Duration.ofMinutes(20));
        long heap = controller.liveHeapBytes();
        long rss = controller.rssBytes();
        row("controller process: live heap", mib(heap), "MiB", "own JVM, after a full GC");
        row("controller process: RSS", mib(rss), "MiB", "own JVM, VmRSS (limit 512 MiB)");
        results.put("controllerProcessHeapMiB", mib(heap));
        results.put("controllerProcessRssMiB", mib(rss));
      } catch (IllegalStateException e) {
        failedRow("controller process", e);
      }
      if (!nodeProxy) {
        return;
      }
      int metricsPort = freePort();
      try (var proxy =
          ChildJvm.start("node-proxy", masterUrl, proxyArgs(childNetns, metricsPort), histogram)) {
        try {
          long programmed = programmed(proxy, metricsPort);
          row(
              "node proxy process: JVM launch to programmed",
              ms(programmed - proxy.startedAt()),
              "ms",
              "cold start of a fresh JVM on an empty namespace, from its metrics");
          results.put("proxyProcessColdStartMs", ms(programmed - proxy.startedAt()));
          proxy.awaitQuiet(Duration.ofMinutes(5));
          long heap = proxy.liveHeapBytes();
          long rss = proxy.rssBytes();
          row(
              "node proxy process: live heap",
              mib(heap),
              "MiB",
              "own JVM with its kernel agent, after a full GC (target 10k: 100)");
          row("node proxy process: RSS", mib(rss), "MiB", "own JVM, VmRSS (limit 512 MiB)");
          if (histogram) {
            nativeMemory = proxy.nativeMemory();
          }
          results.put("proxyProcessHeapMiB", mib(heap));
          results.put("proxyProcessRssMiB", mib(rss));
        } catch (IllegalStateException e) {
          failedRow("node proxy process", e);
        }
      }
    }
  }

  /** {@code multinet-proxy run} on {@code netns}, its metrics on {@code metricsPort}. */
  private static List<String> proxyArgs(String netns, int metricsPort) throws IOException {
    return List.of(
        "run",
        "--hostname-override",
        NODE,
        "--netns",
        netns,
        "--metrics-bind-address",
        "127.0.0.1:" + metricsPort,
        "--healthz-bind-address",
        "127.0.0.1:" + freePort());
  }

  /** When a node proxy child's metrics first counted every service port (nanoTime). */
  private long programmed(ChildJvm proxy, int metricsPort) throws Exception {
    return proxy.awaitMetric(
        URI.create("http://127.0.0.1:" + metricsPort + "/metrics"),
        "multinet_network_service_ports",
        services,
        Duration.ofMinutes(5));
  }

  /**
   * The node proxy's cold start from JVM launch with a JDK ahead-of-time cache (JEP 483/514/515):
   * one run on a fresh namespace records the cache ({@code -XX:AOTCacheOutput}, written when the
   * JVM exits), a second run on another fresh namespace uses it ({@code -XX:AOTCache}).
   */
  private void aotCache(String masterUrl, String childNetns) throws Exception {
    Path cache = Files.createTempDirectory("scale-aot").resolve("node-proxy.aot");
    try {
      for (String phase : List.of("training", "cached")) {
        if (Files.exists(Path.of("/run/netns", childNetns))) {
          sh("ip", "netns", "del", childNetns);
        }
        sh("ip", "netns", "add", childNetns);
        int metricsPort = freePort();
        List<String> flags =
            List.of(
                phase.equals("training") ? "-XX:AOTCacheOutput=" + cache : "-XX:AOTCache=" + cache);
        try (var proxy =
            ChildJvm.start(
                "node-proxy-" + phase,
                masterUrl,
                proxyArgs(childNetns, metricsPort),
                false,
                flags)) {
          long programmed = programmed(proxy, metricsPort);
          row(
              "node proxy process, AOT cache " + phase + ": JVM launch to programmed",
              ms(programmed - proxy.startedAt()),
              "ms",
              phase.equals("training")
                  ? "records the cache on exit"
                  : "with the cache the previous row recorded ("
                      + Files.size(cache) / (1024 * 1024)
                      + " MiB)");
        } catch (IllegalStateException e) {
          failedRow("node proxy process, AOT cache " + phase, e);
          return;
        }
        if (phase.equals("training") && !Files.exists(cache)) {
          row("node proxy process, AOT cache", 0, "", "failed: no cache written on exit");
          return;
        }
      }
    } finally {
      Files.deleteIfExists(cache);
      Files.deleteIfExists(cache.getParent());
    }
  }

  private void failedRow(String what, IllegalStateException e) {
    // The table gets the reason and, when the child's log tail follows it, that tail's last line
    // (an OutOfMemoryError, say).
    List<String> lines = String.valueOf(e.getMessage()).lines().toList();
    String reason =
        lines.isEmpty()
            ? ""
            : lines.size() == 1 ? lines.getFirst() : lines.getFirst() + " " + lines.getLast();
    table.add("| " + what + " | failed | " + reason.replace('|', '/') + " |");
    System.out.println(what + ": FAILED: " + e.getMessage());
    results.put(what.replace(' ', '_') + "_failed", reason);
  }

  private static int freePort() throws IOException {
    try (var s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
      return s.getLocalPort();
    }
  }

  /** Services svc-NNNNN with VIP 10.96.0.0/16 + i, one slice each with 10 ready endpoints. */
  private void load(KubernetesClient client) throws Exception {
    client
        .namespaces()
        .resource(
            new io.fabric8.kubernetes.api.model.NamespaceBuilder()
                .withNewMetadata()
                .withName(NS)
                .endMetadata()
                .build())
        .create();
    ExecutorService pool = Executors.newFixedThreadPool(4);
    for (int i = 0; i < services; i++) {
      int index = i;
      pool.execute(
          () -> {
            client.resource(service(index)).create();
            client.resource(slice(index, 0)).create();
          });
    }
    pool.shutdown();
    pool.awaitTermination(30, TimeUnit.MINUTES);
  }

  private ServicePortKey key(int service) {
    return threeNetworks
        ? ThreeNetworks.key(service)
        : ServicePortKey.of(0, vip(service), Protocol.TCP, 80);
  }

  /** Waits until {@code proxy} has the whole state (every service port) acknowledged. */
  private void awaitProgrammed(NodeProxy proxy, long start) {
    while (true) {
      // The table is published once the dataplane acknowledged it.
      if (proxy.table().size() >= services) {
        return;
      }
      if (System.nanoTime() - start > TimeUnit.MINUTES.toNanos(5)) {
        throw new IllegalStateException("not programmed within 5 minutes");
      }
      LockSupport.parkNanos(200_000);
    }
  }

  /** Cluster IP of service {@code i}: 10.96.0.10 on, into 10.97.0.0/16 past 65,526 Services. */
  static String vip(int i) {
    int n = i + 10;
    return "10." + (96 + (n >> 16)) + "." + (n >> 8 & 255) + "." + (n & 255);
  }

  /** Endpoint address {@code j} of service {@code i} in version {@code v}: 10.128.0.0/9 + ... */
  static String endpoint(int i, int j, int v) {
    long n = ((long) v * 200_000L + (long) i * 16 + j) % (1L << 23);
    return "10." + (128 + (n >> 16)) + "." + (n >> 8 & 255) + "." + (n & 255);
  }

  static Service service(int i) {
    return new ServiceBuilder()
        .withNewMetadata()
        .withName(name(i))
        .withNamespace(NS)
        .endMetadata()
        .withNewSpec()
        .withType("ClusterIP")
        .withClusterIP(vip(i))
        .withClusterIPs(vip(i))
        .addToSelector("app", name(i))
        .addNewPort()
        .withName("http")
        .withProtocol("TCP")
        .withPort(80)
        .withTargetPort(new IntOrString(8080))
        .endPort()
        .endSpec()
        .build();
  }

  private static String name(int i) {
    return String.format(Locale.ROOT, "svc-%05d", i);
  }

  /** The slice of service i in version v: endpoint 0 moves with v, the others stay. */
  static EndpointSlice slice(int i, int v) {
    var b =
        new EndpointSliceBuilder()
            .withNewMetadata()
            .withName(name(i) + "-1")
            .withNamespace(NS)
            .addToLabels("kubernetes.io/service-name", name(i))
            .addToLabels("endpointslice.kubernetes.io/managed-by", "scale.multinet.io")
            .endMetadata()
            .withAddressType("IPv4")
            .addNewPort()
            .withName("http")
            .withProtocol("TCP")
            .withPort(8080)
            .endPort();
    for (int j = 0; j < ENDPOINTS; j++) {
      b.addNewEndpoint()
          .withAddresses(endpoint(i, j, j == 0 ? v : 0))
          .withNodeName(node(i, j))
          .withNewConditions()
          .withReady(true)
          .withServing(true)
          .withTerminating(false)
          .endConditions()
          .endEndpoint();
    }
    return b.build();
  }

  /**
   * Spread over 100 nodes, as a real cluster is: one endpoint in ten of a service on this node.
   * (All 100k endpoints local overflows the kernel's hairpin set, sized by the service count.)
   */
  static String node(int i, int j) {
    return j == (i % 10) ? NODE : "node-" + (2 + (i * 10 + j) % 99);
  }

  private record Change(int service, String address, long writtenAt) {}

  /**
   * Steady churn at {@code rate} endpoint changes per second for {@code seconds}: each change moves
   * endpoint 0 of a random service to a fresh address. Latency is from the write being issued to
   * the first acknowledged sync (the agent's Ack of the generation) whose table holds the address.
   */
  @SuppressWarnings("ReferenceEquality") // a new snapshot is a new reference: identity is the point
  private void churn(KubernetesClient client, NodeProxy proxy, int rate) throws Exception {
    var pending = new ConcurrentHashMap<Long, Change>();
    var latencies = new ArrayList<Long>();
    var done = new java.util.concurrent.atomic.AtomicBoolean();
    Thread checker =
        Thread.ofPlatform()
            .name("scale-checker")
            .start(
                () -> {
                  // The table, not lastState(): that builds a whole state at each sync.
                  ServiceTable seen = proxy.table();
                  while (!done.get() || !pending.isEmpty()) {
                    ServiceTable now = proxy.table();
                    if (now == seen) {
                      LockSupport.parkNanos(100_000);
                      continue;
                    }
                    long at = System.nanoTime();
                    seen = now;
                    var t = now;
                    for (var e : pending.entrySet()) {
                      Change c = e.getValue();
                      ServicePort sp = t.servicePort(key(c.service()));
                      if (sp != null && has(sp, c.address())) {
                        synchronized (latencies) {
                          latencies.add(at - c.writtenAt());
                        }
                        pending.remove(e.getKey());
                      }
                    }
                    if (done.get() && System.nanoTime() - at > TimeUnit.SECONDS.toNanos(30)) {
                      break;
                    }
                  }
                });
    var os =
        (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
    long cpu0 = os.getProcessCpuTime();
    Written w =
        churnWrites(
            client,
            rate,
            (id, svc, address) -> pending.put(id, new Change(svc, address, System.nanoTime())),
            // Two writers on one slice: the later one lost (409), as a real controller's would.
            (id, svc, address) -> pending.remove(id));
    long elapsed = w.elapsedNanos();
    done.set(true);
    checker.join(TimeUnit.SECONDS.toMillis(60));
    long cpu = os.getProcessCpuTime() - cpu0;
    long[] sorted;
    synchronized (latencies) {
      sorted = latencies.stream().mapToLong(Long::longValue).sorted().toArray();
    }
    double achieved = w.written() * 1e9 / elapsed;
    // A change overwritten by a later one of the same service before any sync never shows; the
    // later change's latency covers it.
    long unseen = pending.size();
    double p50 = sorted.length == 0 ? Double.NaN : ms(sorted[sorted.length / 2]);
    double p99 = sorted.length == 0 ? Double.NaN : ms(sorted[(int) (sorted.length * 0.99)]);
    double max = sorted.length == 0 ? Double.NaN : ms(sorted[sorted.length - 1]);
    double cpuPerChange = cpu / 1e3 / Math.max(1, w.written());
    String label = "churn " + rate + "/s";
    row(
        label + " p50",
        p50,
        "ms",
        String.format(
            Locale.ROOT,
            "achieved %.0f/s, %d measured, %d superseded, %d lost to write conflicts",
            achieved,
            sorted.length,
            unseen,
            w.conflicts()));
    row(label + " p99", p99, "ms", String.format(Locale.ROOT, "max %.1f ms", max));
    row(label + " CPU per change", cpuPerChange, "µs", "whole JVM incl. API server and writers");
    var r = new LinkedHashMap<String, Object>();
    r.put("achievedPerSecond", achieved);
    r.put("measured", sorted.length);
    r.put("superseded", unseen);
    r.put("conflicts", w.conflicts());
    r.put("p50Ms", p50);
    r.put("p99Ms", p99);
    r.put("maxMs", max);
    r.put("cpuMicrosPerChange", cpuPerChange);
    r.put("load", loadAverage());
    results.put("churn" + rate, r);
  }

  private static boolean has(ServicePort sp, String address) {
    IpAddress a = IpAddress.parse(address);
    for (Endpoint e : sp.endpoints()) {
      if (e.address().equals(a)) {
        return true;
      }
    }
    return false;
  }

  private static boolean sameEndpoints(DesiredState a, DesiredState b) {
    return canonical(a).equals(canonical(b));
  }

  private static Map<String, List<String>> canonical(DesiredState s) {
    var m = new java.util.TreeMap<String, List<String>>();
    for (var sp : s.getServicePortsList()) {
      var eps = new ArrayList<String>();
      sp.getBackendsList().forEach(e -> eps.add(e.getAddress() + ":" + e.getPort()));
      eps.sort(null);
      m.put(
          sp.getNetworkId() + "/" + sp.getAddress() + "/" + sp.getProtocol() + "/" + sp.getPort(),
          eps);
    }
    return m;
  }

  /**
   * The same services in fresh namespaces: multinet's KernelBackend full load of the acknowledged
   * state, {@code nft -f} of the text it rendered, and kube-proxy-style rules through
   * iptables-legacy-restore and iptables-nft-restore.
   */
  private void baselines(@Nullable DesiredState state) throws Exception {
    if (state == null) {
      return;
    }
    String a = "scale-b-" + UUID.randomUUID().toString().substring(0, 8);
    String b = "scale-c-" + UUID.randomUUID().toString().substring(0, 8);
    Path dir = Files.createTempDirectory("scale");
    sh("ip", "netns", "add", a);
    sh("ip", "netns", "add", b);
    try (var backend = new KernelBackend(a)) {
      long t = System.nanoTime();
      backend.applyFull(state);
      long multinet = System.nanoTime() - t;
      Path nft = dir.resolve("state.nft");
      Files.writeString(nft, backend.lastBatch(), StandardCharsets.UTF_8);
      long nftFile = timed("ip", "netns", "exec", b, "nft", "-f", nft.toString());
      long process = timed("ip", "netns", "exec", b, "true");
      Path ipt = dir.resolve("kube.iptables");
      Files.writeString(ipt, kubeProxyRules(state), StandardCharsets.UTF_8);
      long legacy = timedInput(ipt, "ip", "netns", "exec", b, "iptables-legacy-restore");
      long nftIpt = timedInput(ipt, "ip", "netns", "exec", b, "iptables-nft-restore");
      row("baseline: KernelBackend.applyFull", ms(multinet), "ms", "1.00");
      row("baseline: nft -f (same text)", ms(nftFile), "ms", ratio(nftFile, multinet));
      row(
          "baseline: iptables-legacy-restore (kube-proxy style)",
          ms(legacy),
          "ms",
          ratio(legacy, multinet));
      row(
          "baseline: iptables-nft-restore (kube-proxy style)",
          ms(nftIpt),
          "ms",
          ratio(nftIpt, multinet));
      row("baseline: ip netns exec true", ms(process), "ms", "process cost inside the three above");
      results.put("applyFullMs", ms(multinet));
      results.put("nftFileMs", ms(nftFile));
      results.put("iptablesLegacyRestoreMs", ms(legacy));
      results.put("iptablesNftRestoreMs", ms(nftIpt));
      results.put("processMs", ms(process));
    } finally {
      sh("ip", "netns", "del", a);
      sh("ip", "netns", "del", b);
    }
  }

  private static String ratio(long x, long base) {
    return String.format(Locale.ROOT, "%.2f × applyFull", (double) x / base);
  }

  /** KUBE-SERVICES → KUBE-SVC-* → KUBE-SEP-* with statistic random probability, as kube-proxy. */
  static String kubeProxyRules(DesiredState state) {
    var sb = new StringBuilder("*nat\n:KUBE-SERVICES - [0:0]\n");
    var rules = new StringBuilder();
    int s = 0;
    for (var sp : state.getServicePortsList()) {
      String svc = "KUBE-SVC-" + s;
      sb.append(':').append(svc).append(" - [0:0]\n");
      String vip = sp.getAddress();
      rules
          .append("-A KUBE-SERVICES -d ")
          .append(vip)
          .append("/32 -p tcp -m tcp --dport ")
          .append(sp.getPort())
          .append(" -j ")
          .append(svc)
          .append('\n');
      int n = sp.getBackendsCount();
      for (int e = 0; e < n; e++) {
        String sep = "KUBE-SEP-" + s + "-" + e;
        sb.append(':').append(sep).append(" - [0:0]\n");
        rules.append("-A ").append(svc);
        if (e < n - 1) {
          rules.append(
              String.format(
                  Locale.ROOT, " -m statistic --mode random --probability %.11f", 1.0 / (n - e)));
        }
        rules.append(" -j ").append(sep).append('\n');
        var ep = sp.getBackends(e);
        rules
            .append("-A ")
            .append(sep)
            .append(" -p tcp -m tcp -j DNAT --to-destination ")
            .append(ep.getAddress())
            .append(':')
            .append(ep.getPort())
            .append('\n');
      }
      if (vip.isEmpty()) {
        throw new IllegalStateException("service port without a VIP");
      }
      s++;
    }
    return sb.append(rules).append("COMMIT\n").toString();
  }

  private record Memory(long heap, long rss) {
    static Memory now() throws IOException {
      for (int i = 0; i < 3; i++) {
        System.gc();
      }
      long heap = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage().getUsed();
      long rss = 0;
      for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
        if (line.startsWith("VmRSS:")) {
          rss = Long.parseLong(line.replaceAll("[^0-9]", "")) * 1024;
        }
      }
      return new Memory(heap, rss);
    }
  }

  private void row(String what, double value, String unit, String note) {
    String v = String.format(Locale.ROOT, "%.1f", value);
    table.add("| " + what + " | " + v + " " + unit + " | " + note + " |");
    System.out.println(what + ": " + v + " " + unit + " (" + note + ")");
  }

  private void write() throws IOException {
    var md = new StringBuilder();
    md.append("services: ")
        .append(services)
        .append(" × ")
        .append(ENDPOINTS)
        .append(" endpoints; load before ")
        .append(results.get("loadBefore"))
        .append(", after ")
        .append(results.get("loadAfter"))
        .append("\n\n");
    md.append("| measure | value | note |\n|---|---|---|\n");
    table.forEach(r -> md.append(r).append('\n'));
    if (!proxyClasses.isEmpty()) {
      md.append("\nWhat the node proxy's start added to the live heap (class histograms):\n\n")
          .append("| class | instances | bytes |\n|---|---:|---:|\n");
      proxyClasses.forEach(r -> md.append(r).append('\n'));
    }
    if (!nativeMemory.isEmpty()) {
      md.append(
              "\nThe node proxy process's native memory (jcmd VM.native_memory summary):\n\n```\n")
          .append(nativeMemory.strip())
          .append("\n```\n");
    }
    Files.writeString(Path.of(out + ".md"), md, StandardCharsets.UTF_8);
    Files.writeString(Path.of(out + ".json"), json(results) + "\n", StandardCharsets.UTF_8);
    System.out.println(md);
  }

  @SuppressWarnings("unchecked")
  private static String json(Object o) {
    if (o instanceof Map<?, ?> m) {
      var parts = new ArrayList<String>();
      ((Map<String, Object>) m).forEach((k, v) -> parts.add("\"" + k + "\": " + json(v)));
      return "{" + String.join(", ", parts) + "}";
    }
    if (o instanceof Double d) {
      return d.isNaN() ? "null" : String.format(Locale.ROOT, "%.3f", d);
    }
    if (o instanceof Number || o instanceof Boolean) {
      return o.toString();
    }
    return "\"" + o.toString().replace("\"", "'") + "\"";
  }

  private static String loadAverage() {
    try {
      return Files.readString(Path.of("/proc/loadavg")).trim();
    } catch (IOException e) {
      return "unknown";
    }
  }

  private static double ms(long nanos) {
    return nanos / 1e6;
  }

  private static double mib(long bytes) {
    return bytes / 1048576.0;
  }

  private static void sh(String... command) throws IOException, InterruptedException {
    var p = new ProcessBuilder(command).inheritIO().start();
    if (p.waitFor() != 0) {
      throw new IOException(String.join(" ", command) + ": exit " + p.exitValue());
    }
  }

  private static long timed(String... command) throws IOException, InterruptedException {
    long t = System.nanoTime();
    sh(command);
    return System.nanoTime() - t;
  }

  private static long timedInput(Path input, String... command)
      throws IOException, InterruptedException {
    long t = System.nanoTime();
    var p =
        new ProcessBuilder(command)
            .redirectInput(input.toFile())
            .inheritIO()
            .redirectInput(input.toFile())
            .start();
    if (p.waitFor() != 0) {
      throw new IOException(String.join(" ", command) + ": exit " + p.exitValue());
    }
    return System.nanoTime() - t;
  }

  /** What one churn's writers did. */
  private record Written(long written, long conflicts, long elapsedNanos) {}

  /** Told about change {@code id}: Service {@code svc}'s endpoint 0 moving to {@code address}. */
  @FunctionalInterface
  private interface ChangeHook {
    void on(long id, int svc, String address);
  }

  /**
   * Writes {@code rate} changes a second for the run's seconds from 8 writers: each moves endpoint
   * 0 of a random Service (its slice, or its pod over three networks) to a new address. {@code
   * written} runs just before the write is sent, {@code refused} when the API server refused it.
   */
  private Written churnWrites(
      KubernetesClient client, int rate, ChangeHook written, ChangeHook refused)
      throws InterruptedException {
    ExecutorService writers = Executors.newFixedThreadPool(8);
    var random = new java.util.Random(rate);
    long periodNanos = 1_000_000_000L / rate;
    long version = 1_000L * rate;
    long begin = System.nanoTime();
    long total = (long) rate * seconds;
    var sent = new AtomicLong();
    var lost = new AtomicLong();
    for (long k = 0; k < total; k++) {
      long due = begin + k * periodNanos;
      long wait = due - System.nanoTime();
      if (wait > 0) {
        LockSupport.parkNanos(wait);
      }
      int svc = random.nextInt(services);
      int v = (int) ++version;
      long id = k;
      writers.execute(
          () -> {
            HasMetadata s =
                threeNetworks ? ThreeNetworks.pod(svc, 0, v, namespaces) : slice(svc, v);
            String address = endpoint(svc, 0, v);
            written.on(id, svc, address);
            try {
              client.resource(s).update();
              sent.incrementAndGet();
            } catch (io.fabric8.kubernetes.client.KubernetesClientException e) {
              refused.on(id, svc, address);
              lost.incrementAndGet();
            }
          });
    }
    writers.shutdown();
    writers.awaitTermination(5, TimeUnit.MINUTES);
    return new Written(sent.get(), lost.get(), System.nanoTime() - begin);
  }
}
