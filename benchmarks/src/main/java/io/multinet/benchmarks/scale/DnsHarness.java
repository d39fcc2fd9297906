package io.multinet.benchmarks.scale;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import io.multinet.dataplane.Netns;
import io.multinet.dataplane.kernel.KernelBackend;
import io.multinet.dataplane.lab.Topology;
import io.multinet.nodeproxy.InProcessNode;
import io.multinet.nodeproxy.NodeProxy;
import io.multinet.nodeproxy.dns.DnsOptions;
import io.multinet.nodeproxy.dns.DnsServer;
import io.multinet.watcher.EndpointWatcher;
import java.io.IOException;
import java.net.DatagramPacket;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.SocketTimeoutException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.locks.LockSupport;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * DNS harness: the {@code 10k-3net} workload ({@link ThreeNetworks}: Services over networks blue,
 * red and green, pods with network-status, the real controller building their slices) in the
 * embedded API server, and the real node proxy with its DNS server on, programming the kernel
 * dataplane of a lab node ({@link Topology}): a client namespace per network behind a veth, each
 * network's DNS address {@link ThreeNetworks#DNS_IP}:53 DNATed to the network's listener in the
 * node namespace. Then:
 *
 * <ul>
 *   <li><b>throughput</b>: {@code dnsperf} from blue's client against blue's DNS address, and, in
 *       the same run, {@code dnsperf} against {@code unbound} (one thread) serving blue's names as
 *       local data from a namespace of its own behind one veth, the same query file; the query rate
 *       is stepped until p99 latency (lost queries counting as infinitely slow) passes 1 ms.
 *       Servers on CPU 0, dnsperf on CPU 1 ({@code taskset}): the load generator shares the
 *       machine's two cores.
 *   <li><b>creation to resolution</b>: blue Services created at R per second; latency from the
 *       create request to the first answer from blue's DNS address (queried over UDP from blue's
 *       client namespace in a loop) holding the Service's cluster IP.
 * </ul>
 *
 * Writes {@code DIR/dns.md} and {@code .json}. Run with {@code benchmarks/dns.sh}.
 */
public final class DnsHarness {

  private static final String DOMAIN = "cluster.local";
  private static final String CLIENT_V4 = "10.1.0.50";
  private static final String UNBOUND_CLIENT = "10.53.0.1";
  private static final String UNBOUND_SERVER = "10.53.0.2";
  private static final double P99_LIMIT_MS = 1.0;

  private final int services;
  private final int endpoints;
  private final int seconds;
  private final List<Integer> creationRates;
  private final int creationSeconds;
  private final Duration minSyncPeriod;
  private final int clients;
  private final Path out;
  private final Map<String, Object> results = new LinkedHashMap<>();
  private final List<String> table = new ArrayList<>();
  private final List<String> steps = new ArrayList<>();

  private DnsHarness(
      int services,
      int endpoints,
      int seconds,
      List<Integer> creationRates,
      int creationSeconds,
      Duration minSyncPeriod,
      int clients,
      Path out) {
    this.services = services;
    this.endpoints = endpoints;
    this.seconds = seconds;
    this.creationRates = creationRates;
    this.creationSeconds = creationSeconds;
    this.minSyncPeriod = minSyncPeriod;
    this.clients = clients;
    this.out = out;
  }

  public static void main(String[] args) throws Exception {
    java.util.logging.Logger.getLogger("io.fabric8.mockwebserver")
        .setLevel(java.util.logging.Level.WARNING);
    int services = 10_000;
    int endpoints = 10;
    int seconds = 10;
    String creation = "10,100";
    int creationSeconds = 10;
    Duration minSync = Duration.ofMillis(10);
    int clients = 8;
    Path out = Path.of("benchmarks/target/dns");
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "--services" -> services = Integer.parseInt(args[++i]);
        case "--endpoints" -> endpoints = Integer.parseInt(args[++i]);
        case "--seconds" -> seconds = Integer.parseInt(args[++i]);
        case "--creation" -> creation = args[++i];
        case "--creation-seconds" -> creationSeconds = Integer.parseInt(args[++i]);
        case "--min-sync-period" -> minSync = Duration.parse(args[++i]);
        case "--clients" -> clients = Integer.parseInt(args[++i]);
        case "--out" -> out = Path.of(args[++i]);
        default ->
            throw new IllegalArgumentException(
                "argument: "
                    + args[i]
                    + " (expected: --services, --endpoints, --seconds, --creation,"
                    + " --creation-seconds, --min-sync-period, --clients, --out)");
      }
    }
    if (services < 3) {
      throw new IllegalArgumentException("services: " + services + " (expected: >= 3)");
    }
    List<Integer> rates =
        creation.isEmpty()
            ? List.of()
            : Arrays.stream(creation.split(",", -1)).map(Integer::parseInt).toList();
    Files.createDirectories(out);
    new DnsHarness(
            services,
            endpoints,
            seconds,
            rates,
            creationSeconds,
            minSync,
            clients,
            out.resolve("dns"))
        .run();
    System.exit(0); // informer and vert.x threads are not all daemons
  }

  private void run() throws Exception {
    results.put("services", services);
    results.put("endpointsPerService", endpoints);
    results.put("loadBefore", loadAverage());
    var server =
        new KubernetesMockServer(
            new Context(),
            new MockWebServer(),
            new java.util.HashMap<>(),
            new io.multinet.apiserver.IndexedCrudDispatcher(),
            false);
    server.init(InetAddress.getLoopbackAddress(), 0);
    KubernetesClient client = server.createClient();
    List<AutoCloseable> closeables = new ArrayList<>();
    String tag = UUID.randomUUID().toString().substring(0, 6);
    String unboundNs = "dnb-" + tag + "-u";
    String unboundClient = "dnb-" + tag + "-uc";
    Path dir = Files.createTempDirectory("dnsbench");
    Process unbound = null;
    try {
      long t0 = System.nanoTime();
      ThreeNetworks.load(client, services, endpoints, true);
      row("load into API server", ms(System.nanoTime() - t0), "ms", "Services + pods, HTTP");
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
          idle ? "slices built from pods" : "NOT idle after 20 min");

      Topology topo = Topology.create("dnb", Topology.Options.DEFAULTS.withMarkRules(false));
      closeables.add(topo);
      for (int n = 0; n < 3; n++) {
        topo.addNetwork(
            ThreeNetworks.NAMES[n],
            n + 2,
            ThreeNetworks.interfacePrefix(n),
            ThreeNetworks.routingTable(n));
        topo.addClient(ThreeNetworks.NAMES[n], "c-" + ThreeNetworks.NAMES[n], CLIENT_V4, null);
      }
      String blueClient = topo.pod("c-blue").netns();

      // dnsperf is one source: the per-source limit (1000/s by default) is off for the benchmark.
      DnsOptions dns = DnsOptions.defaults().withNetns(topo.node()).withRateLimit(0, 1);
      var options =
          new NodeProxy.Options(minSyncPeriod, Duration.ofSeconds(30), null, List.of(), false)
              .withDns(dns, List.of());
      long start = System.nanoTime();
      var node =
          InProcessNode.start(
              client,
              ScaleHarness.NODE,
              new KernelBackend(topo.node()),
              options,
              Duration.ofMinutes(2));
      closeables.add(0, node); // closed before the topology
      NodeProxy proxy = node.proxy();
      DnsServer dnsServer = java.util.Objects.requireNonNull(proxy.dns(), "dns");
      int blueServices = (services + 2) / 3;
      while (proxy.lastState() == null
          || proxy.lastState().getServicePortsCount() < services
          || dnsServer.snapshot().networks().size() < 3) {
        if (System.nanoTime() - start > TimeUnit.MINUTES.toNanos(5)) {
          throw new IllegalStateException("not programmed within 5 minutes");
        }
        LockSupport.parkNanos(1_000_000);
      }
      row(
          "node proxy: start to programmed with DNS",
          ms(System.nanoTime() - start),
          "ms",
          "names per network: "
              + dnsServer.snapshot().names(56)
              + " / "
              + dnsServer.snapshot().names(57)
              + " / "
              + dnsServer.snapshot().names(58));

      // The query file: blue's names, one in ten NXDOMAIN (half of those red's names, which blue
      // must not see, half names no network has).
      List<String> queries = new ArrayList<>();
      var random = new Random(16);
      for (int i = 0; i < services; i += 3) {
        queries.add(fqdn(i) + " A");
      }
      int misses = queries.size() / 9;
      for (int k = 0; k < misses; k++) {
        queries.add(
            k % 2 == 0
                ? fqdn(1 + 3 * random.nextInt(services / 3)) + " A"
                : "nope-" + k + "." + ThreeNetworks.namespace(k) + ".svc." + DOMAIN + " A");
      }
      Collections.shuffle(queries, random);
      Path queryFile = dir.resolve("queries.txt");
      Files.write(queryFile, queries);
      results.put("queries", queries.size());

      // unbound: blue's names as local data, one thread, in a namespace of its own.
      sh("ip", "netns", "add", unboundNs);
      sh("ip", "netns", "add", unboundClient);
      sh("ip", "-n", unboundNs, "link", "set", "lo", "up");
      sh("ip", "-n", unboundClient, "link", "set", "lo", "up");
      sh(
          "ip",
          "-n",
          unboundClient,
          "link",
          "add",
          "u0",
          "type",
          "veth",
          "peer",
          "name",
          "u0",
          "netns",
          unboundNs);
      sh("ip", "-n", unboundClient, "address", "add", UNBOUND_CLIENT + "/30", "dev", "u0");
      sh("ip", "-n", unboundNs, "address", "add", UNBOUND_SERVER + "/30", "dev", "u0");
      sh("ip", "-n", unboundClient, "link", "set", "u0", "up");
      sh("ip", "-n", unboundNs, "link", "set", "u0", "up");
      Path conf = dir.resolve("unbound.conf");
      Files.writeString(conf, unboundConfig(), StandardCharsets.UTF_8);
      unbound =
          new ProcessBuilder(
                  "ip",
                  "netns",
                  "exec",
                  unboundNs,
                  "taskset",
                  "-c",
                  "0",
                  "unbound",
                  "-d",
                  "-c",
                  conf.toString())
              .redirectErrorStream(true)
              .redirectOutput(dir.resolve("unbound.log").toFile())
              .start();
      awaitAnswer(unboundClient, UNBOUND_SERVER, fqdn(0));
      try {
        awaitAnswer(blueClient, ThreeNetworks.DNS_IP, fqdn(0));
      } catch (IllegalStateException e) {
        System.err.println("listeners: " + dnsServer.ports());
        for (var sp : java.util.Objects.requireNonNull(proxy.lastState()).getServicePortsList()) {
          if (sp.getAddress().equals(ThreeNetworks.DNS_IP)) {
            System.err.println("dns port: " + sp.toString().replace('\n', ' '));
          }
        }
        new ProcessBuilder(
                "sh",
                "-c",
                "ip netns exec "
                    + topo.node()
                    + " nft list ruleset > "
                    + dir.resolve("ruleset.txt"))
            .inheritIO()
            .start()
            .waitFor();
        throw e;
      }

      // The same answers from both: a name of blue, a name of red, a name of none.
      for (String name :
          List.of(fqdn(0), fqdn(3 * (blueServices / 2)), fqdn(1), "nope-1.x.svc." + DOMAIN)) {
        String ours = dig(blueClient, ThreeNetworks.DNS_IP, name);
        String theirs = dig(unboundClient, UNBOUND_SERVER, name);
        steps.add("| check `" + name + "` | multinet: " + ours + " | unbound: " + theirs + " |");
        if (!ours.equals(theirs)) {
          throw new IllegalStateException(
              name + ": multinet answers " + ours + ", unbound " + theirs);
        }
      }

      // Both servers on CPU 0, dnsperf on CPU 1. The whole harness JVM moves to CPU 0: its DNS
      // event loop is the server; API server, controller and sync loop idle meanwhile.
      long pid = ProcessHandle.current().pid();
      quiet("taskset", "-a", "-p", "-c", "0", Long.toString(pid));
      results.put("loadBeforeThroughput", loadAverage());
      // Twice: as the machine is, then with every CPU kept from halting by a SCHED_IDLE spinner.
      // An idle vCPU of a (micro)VM halts and its wake-up IPI goes through the hypervisor, which
      // here adds milliseconds to a query that finds the server's CPU idle: at low rates that is
      // most of them, so p99 measures the hypervisor. A spinner of the idle class gives way at
      // once to any other thread, so the servers and dnsperf run as on a busy node.
      for (boolean busy : new boolean[] {false, true}) {
        String pass = busy ? "CPUs kept busy" : "idle CPUs halt";
        List<Process> spinners = busy ? spinners() : List.of();
        Sweep ours;
        Sweep theirs;
        try {
          steps.add("| " + pass + " | | | | | | |");
          theirs = sweep("unbound", unboundClient, UNBOUND_SERVER, queryFile, dir);
          ours = sweep("multinet", blueClient, ThreeNetworks.DNS_IP, queryFile, dir);
        } finally {
          for (Process p : spinners) {
            p.destroyForcibly();
            p.waitFor(10, TimeUnit.SECONDS);
          }
        }
        String suffix = busy ? " (CPUs kept busy)" : " (idle CPUs halt)";
        row(
            "multinet node proxy: qps at p99 <= 1 ms" + suffix,
            ours.best,
            "qps",
            "client netns -> veth -> node netns, DNAT to the listener; unlimited: "
                + ours.unlimited.summary());
        row(
            "unbound 1.17 (baseline): qps at p99 <= 1 ms" + suffix,
            theirs.best,
            "qps",
            "own netns behind one veth, local-data; unlimited: " + theirs.unlimited.summary());
        row(
            "ratio multinet / unbound" + suffix,
            theirs.best == 0 ? Double.NaN : ours.best / theirs.best,
            "×",
            "unlimited "
                + String.format(Locale.ROOT, "%.2f", ours.unlimited.qps / theirs.unlimited.qps)
                + "; CoreDNS published: 33,669 qps internal names, 2 vCPUs (ratio "
                + String.format(Locale.ROOT, "%.2f", ours.best / 33_669.0)
                + ")");
        String key = busy ? "Busy" : "";
        results.put("multinetQps" + key, ours.best);
        results.put("unboundQps" + key, theirs.best);
        results.put("multinetUnlimited" + key, ours.unlimited.summary());
        results.put("unboundUnlimited" + key, theirs.unlimited.summary());
      }
      quiet(
          "taskset",
          "-a",
          "-p",
          "-c",
          "0-" + (Runtime.getRuntime().availableProcessors() - 1),
          Long.toString(pid));
      unbound.destroy();
      unbound.waitFor(10, TimeUnit.SECONDS);
      unbound = null;

      int index = 3 * ((services + 2) / 3) + 3 * 1000; // blue indices past those loaded
      for (int rate : creationRates) {
        index = creation(client, blueClient, rate, index);
      }
    } finally {
      if (unbound != null) {
        unbound.destroy();
      }
      for (AutoCloseable c : closeables) {
        try {
          c.close();
        } catch (Exception e) {
          System.err.println("closing: " + e);
        }
      }
      client.close();
      server.destroy();
      for (String ns : List.of(unboundNs, unboundClient)) {
        if (Files.exists(Path.of("/run/netns", ns))) {
          sh("ip", "netns", "del", ns);
        }
      }
    }
    results.put("loadAfter", loadAverage());
    write();
  }

  private static String fqdn(int i) {
    return ThreeNetworks.name(i) + "." + ThreeNetworks.namespace(i) + ".svc." + DOMAIN;
  }

  private String unboundConfig() {
    var sb = new StringBuilder();
    sb.append(
        """
        server:
          interface: %s
          port: 53
          num-threads: 1
          do-daemonize: no
          chroot: ""
          username: ""
          use-syslog: no
          logfile: ""
          verbosity: 0
          pidfile: ""
          module-config: "iterator"
          so-rcvbuf: 1m
          access-control: 0.0.0.0/0 allow
          local-zone: "%s." static
          local-data: "%s. 5 IN SOA ns.dns.%s. hostmaster.%s. 1 7200 1800 86400 5"
        """
            .formatted(UNBOUND_SERVER, DOMAIN, DOMAIN, DOMAIN, DOMAIN));
    for (int i = 0; i < services; i += 3) {
      sb.append("  local-data: \"")
          .append(fqdn(i))
          .append(". 5 IN A ")
          .append(ThreeNetworks.vip(i))
          .append("\"\n");
    }
    sb.append("remote-control:\n  control-enable: no\n");
    return sb.toString();
  }

  /** One dnsperf run. */
  private record Run(double target, double qps, long sent, long lost, double p50, double p99) {
    String summary() {
      return String.format(
          Locale.ROOT, "%.0f qps, p50 %.3f ms, p99 %s, lost %d", qps, p50, p99s(), lost);
    }

    String p99s() {
      return Double.isInfinite(p99) ? "lost" : String.format(Locale.ROOT, "%.3f ms", p99);
    }

    boolean passes() {
      return p99 <= P99_LIMIT_MS && qps >= 0.97 * target;
    }
  }

  private record Sweep(double best, Run unlimited) {}

  /**
   * Steps dnsperf's rate: doubling from 4,000 until a step fails, then bisecting between the last
   * pass and the first failure; one unlimited run first says roughly where.
   */
  private Sweep sweep(String server, String netns, String address, Path queries, Path dir)
      throws Exception {
    Run unlimited = dnsperf(server, netns, address, queries, dir, 0);
    double lo = 0;
    double hi = 0;
    for (double q = 4_000; q <= 400_000; q *= 2) {
      if (dnsperf(server, netns, address, queries, dir, q).passes()) {
        lo = q;
      } else {
        hi = q;
        break;
      }
    }
    if (hi == 0) {
      return new Sweep(lo, unlimited);
    }
    for (int k = 0; k < 4 && hi - lo > 1_000; k++) {
      double mid = Math.round((lo + hi) / 2 / 500) * 500.0;
      if (dnsperf(server, netns, address, queries, dir, mid).passes()) {
        lo = mid;
      } else {
        hi = mid;
      }
    }
    return new Sweep(lo, unlimited);
  }

  private static final Pattern VERBOSE = Pattern.compile("^> (\\S+) \\S+ \\S+ ([0-9.]+)$");
  private static final Pattern SENT = Pattern.compile("Queries sent:\\s+(\\d+)");
  private static final Pattern LOST = Pattern.compile("Queries lost:\\s+(\\d+)");
  private static final Pattern QPS = Pattern.compile("Queries per second:\\s+([0-9.]+)");

  /** dnsperf at {@code qps} (0: as fast as it goes) for the run's seconds, per query latencies. */
  private Run dnsperf(
      String server, String netns, String address, Path queries, Path dir, double qps)
      throws Exception {
    Path log = dir.resolve("dnsperf.log");
    List<String> cmd =
        new ArrayList<>(
            List.of(
                "ip",
                "netns",
                "exec",
                netns,
                "taskset",
                "-c",
                "1",
                "dnsperf",
                "-s",
                address,
                "-d",
                queries.toString(),
                "-l",
                Integer.toString(seconds),
                "-c",
                Integer.toString(clients),
                "-t",
                "1",
                "-v"));
    if (qps > 0) {
      cmd.add("-Q");
      cmd.add(Long.toString((long) qps));
    }
    var p = new ProcessBuilder(cmd).redirectErrorStream(true).redirectOutput(log.toFile()).start();
    if (!p.waitFor(seconds + 60L, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new IllegalStateException("dnsperf did not finish");
    }
    long[] micros = new long[1 << 16];
    int n = 0;
    long sent = 0;
    long lost = 0;
    double achieved = 0;
    try (var lines = Files.lines(log)) {
      for (String line : (Iterable<String>) lines::iterator) {
        Matcher m = VERBOSE.matcher(line);
        if (m.matches()) {
          if (n == micros.length) {
            micros = Arrays.copyOf(micros, n * 2);
          }
          micros[n++] = Math.round(Double.parseDouble(m.group(2)) * 1e6);
          continue;
        }
        Matcher s = SENT.matcher(line);
        if (s.find()) {
          sent = Long.parseLong(s.group(1));
        }
        Matcher l = LOST.matcher(line);
        if (l.find()) {
          lost = Long.parseLong(l.group(1));
        }
        Matcher r = QPS.matcher(line);
        if (r.find()) {
          achieved = Double.parseDouble(r.group(1));
        }
      }
    }
    long[] sorted = Arrays.copyOf(micros, n);
    Arrays.sort(sorted);
    long total = Math.max(sent, n);
    double p50 = percentile(sorted, total, 0.50);
    double p99 = percentile(sorted, total, 0.99);
    var run = new Run(qps, achieved, sent, lost, p50, p99);
    String target = qps == 0 ? "unlimited" : String.format(Locale.ROOT, "%.0f", qps);
    String line =
        String.format(
            Locale.ROOT,
            "| %s | %s | %.0f | %.3f ms | %s | %d of %d | %s |",
            server,
            target,
            run.qps,
            run.p50,
            run.p99s(),
            lost,
            sent,
            qps == 0 ? "" : run.passes() ? "pass" : "fail");
    steps.add(line);
    System.out.println(line + "  load " + loadAverage());
    return run;
  }

  /**
   * The q-quantile in ms of {@code total} queries of which those not in {@code sorted} were lost.
   */
  private static double percentile(long[] sorted, long total, double q) {
    if (total == 0) {
      return Double.POSITIVE_INFINITY;
    }
    long rank = (long) Math.ceil(q * total) - 1;
    return rank < sorted.length ? sorted[(int) rank] / 1e3 : Double.POSITIVE_INFINITY;
  }

  private record Created(String name, int address, long at) {}

  /**
   * Creates blue Services at {@code rate} per second for the creation seconds, from index {@code
   * first} on, and measures each one's create request to the first answer holding its address.
   */
  private int creation(KubernetesClient client, String netns, int rate, int first)
      throws Exception {
    var pending = new ConcurrentHashMap<Integer, Created>();
    var latencies = new ArrayList<Long>();
    var done = new AtomicBoolean();
    long total = (long) rate * creationSeconds;
    var prober =
        Thread.ofPlatform()
            .name("dns-prober")
            .start(
                () -> {
                  try {
                    Netns.enter(netns);
                    probe(pending, latencies, done);
                  } catch (Exception e) {
                    System.err.println("prober: " + e);
                  }
                });
    ExecutorService writers = Executors.newFixedThreadPool(4);
    long period = 1_000_000_000L / rate;
    long begin = System.nanoTime();
    int index = first;
    for (long k = 0; k < total; k++) {
      long wait = begin + k * period - System.nanoTime();
      if (wait > 0) {
        LockSupport.parkNanos(wait);
      }
      int i = index;
      index += 3; // blue
      int id = (int) (k & 0xffff);
      writers.execute(
          () -> {
            long at = System.nanoTime();
            pending.put(
                id,
                new Created(
                    fqdn(i),
                    java.nio.ByteBuffer.wrap(
                            io.multinet.network.IpAddress.parse(ThreeNetworks.vip(i)).toBytes())
                        .getInt(),
                    at));
            client.resource(ThreeNetworks.service(i)).create();
          });
    }
    writers.shutdown();
    writers.awaitTermination(5, TimeUnit.MINUTES);
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(60);
    while (!pending.isEmpty() && System.nanoTime() < deadline) {
      LockSupport.parkNanos(10_000_000);
    }
    done.set(true);
    prober.join(10_000);
    long[] sorted;
    synchronized (latencies) {
      sorted = latencies.stream().mapToLong(Long::longValue).sorted().toArray();
    }
    double p50 = sorted.length == 0 ? Double.NaN : ms(sorted[sorted.length / 2]);
    double p99 = sorted.length == 0 ? Double.NaN : ms(sorted[(int) (sorted.length * 0.99)]);
    double max = sorted.length == 0 ? Double.NaN : ms(sorted[sorted.length - 1]);
    String label = "create -> resolves, " + rate + "/s";
    row(
        label + " p50",
        p50,
        "ms",
        sorted.length
            + " of "
            + total
            + " resolved; min sync period "
            + minSyncPeriod.toMillis()
            + " ms");
    row(label + " p99", p99, "ms", String.format(Locale.ROOT, "max %.1f ms", max));
    var r = new LinkedHashMap<String, Object>();
    r.put("resolved", sorted.length);
    r.put("created", total);
    r.put("p50Ms", p50);
    r.put("p99Ms", p99);
    r.put("maxMs", max);
    r.put("load", loadAverage());
    results.put("creation" + rate, r);
    return index;
  }

  /**
   * Asks blue's DNS address for every pending name, about every millisecond, until {@code done}: a
   * name counts once an answer holds its address.
   */
  private static void probe(Map<Integer, Created> pending, List<Long> latencies, AtomicBoolean done)
      throws Exception {
    var to = new InetSocketAddress(InetAddress.getByName(ThreeNetworks.DNS_IP), 53);
    byte[] buf = new byte[1500];
    try (var socket = new DatagramSocket()) {
      socket.setSoTimeout(1);
      while (!done.get()) {
        long round = System.nanoTime();
        for (var e : pending.entrySet()) {
          byte[] q = query(e.getKey(), e.getValue().name());
          socket.send(new DatagramPacket(q, q.length, to));
        }
        while (true) {
          var p = new DatagramPacket(buf, buf.length);
          try {
            socket.receive(p);
          } catch (SocketTimeoutException t) {
            break;
          }
          long now = System.nanoTime();
          int id = (buf[0] & 0xff) << 8 | (buf[1] & 0xff);
          Created c = pending.get(id);
          if (c != null && answers(buf, p.getLength(), c.address())) {
            if (pending.remove(id, c)) {
              synchronized (latencies) {
                latencies.add(now - c.at());
              }
            }
          }
        }
        long rest = 1_000_000 - (System.nanoTime() - round);
        if (rest > 0) {
          LockSupport.parkNanos(rest);
        }
      }
    }
  }

  /** An A query, RD set, for {@code name} with {@code id}. */
  static byte[] query(int id, String name) {
    var b = new java.io.ByteArrayOutputStream();
    b.write(id >> 8);
    b.write(id);
    b.write(1); // RD
    b.write(0);
    b.writeBytes(new byte[] {0, 1, 0, 0, 0, 0, 0, 0});
    for (String label : name.split("\\.", -1)) {
      byte[] l = label.getBytes(StandardCharsets.US_ASCII);
      b.write(l.length);
      b.writeBytes(l);
    }
    b.write(0);
    b.writeBytes(new byte[] {0, 1, 0, 1});
    return b.toByteArray();
  }

  /** Whether a reply is NOERROR with an A record of {@code address} among its answers. */
  static boolean answers(byte[] m, int length, int address) {
    if (length < 12 || (m[3] & 0x0f) != 0) {
      return false;
    }
    int answers = (m[6] & 0xff) << 8 | (m[7] & 0xff);
    int at = skipName(m, 12, length) + 4;
    for (int a = 0; a < answers && at > 0 && at + 10 <= length; a++) {
      at = skipName(m, at, length);
      if (at < 0 || at + 10 > length) {
        return false;
      }
      int type = (m[at] & 0xff) << 8 | (m[at + 1] & 0xff);
      int rdlength = (m[at + 8] & 0xff) << 8 | (m[at + 9] & 0xff);
      at += 10;
      if (type == 1 && rdlength == 4 && at + 4 <= length) {
        if (java.nio.ByteBuffer.wrap(m, at, 4).getInt() == address) {
          return true;
        }
      }
      at += rdlength;
    }
    return false;
  }

  private static int skipName(byte[] m, int at, int length) {
    while (at < length) {
      int len = m[at] & 0xff;
      if (len == 0) {
        return at + 1;
      }
      if ((len & 0xc0) == 0xc0) {
        return at + 2;
      }
      at += len + 1;
    }
    return -1;
  }

  private static void awaitAnswer(String netns, String server, String name) throws Exception {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    while (dig(netns, server, name).isEmpty() || dig(netns, server, name).startsWith("status")) {
      if (System.nanoTime() > deadline) {
        throw new IllegalStateException(server + " does not answer " + name + " from " + netns);
      }
      Thread.sleep(200);
    }
  }

  /** {@code dig +short}'s answer, or the rcode when there is none. */
  private static String dig(String netns, String server, String name) throws Exception {
    var p =
        new ProcessBuilder(
                "ip",
                "netns",
                "exec",
                netns,
                "dig",
                "+tries=1",
                "+time=1",
                "+noall",
                "+answer",
                "+comments",
                "@" + server,
                name,
                "A")
            .redirectErrorStream(true)
            .start();
    String text = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    p.waitFor(10, TimeUnit.SECONDS);
    Matcher status = Pattern.compile("status: (\\w+)").matcher(text);
    String rcode = status.find() ? status.group(1) : "";
    List<String> addresses = new ArrayList<>();
    for (String line : text.lines().toList()) {
      String[] f = line.trim().split("\\s+", -1);
      if (!line.startsWith(";") && f.length == 5 && f[3].equals("A")) {
        addresses.add(f[4]);
      }
    }
    return rcode.isEmpty() ? "" : rcode + (addresses.isEmpty() ? "" : " " + addresses);
  }

  private void row(String what, double value, String unit, String note) {
    String v = String.format(Locale.ROOT, "%,.1f", value);
    table.add("| " + what + " | " + v + " " + unit + " | " + note + " |");
    System.out.println(what + ": " + v + " " + unit + " (" + note + ")");
  }

  private void write() throws IOException {
    var md = new StringBuilder();
    md.append("services: ")
        .append(services)
        .append(" over 3 networks × ")
        .append(endpoints)
        .append(" endpoints; load before ")
        .append(results.get("loadBefore"))
        .append(", before throughput ")
        .append(results.get("loadBeforeThroughput"))
        .append(", after ")
        .append(results.get("loadAfter"))
        .append("\n\n| measure | value | note |\n|---|---|---|\n");
    table.forEach(r -> md.append(r).append('\n'));
    md.append("\n| server | -Q | achieved qps | p50 | p99 | lost | p99 <= 1 ms |\n")
        .append("|---|---:|---:|---:|---:|---:|---|\n");
    steps.forEach(r -> md.append(r).append('\n'));
    Files.writeString(Path.of(out + ".md"), md, StandardCharsets.UTF_8);
    var json = new StringBuilder("{");
    results.forEach(
        (k, v) -> {
          if (json.length() > 1) {
            json.append(", ");
          }
          json.append('"').append(k).append("\": ");
          json.append(
              v instanceof Number ? v.toString() : "\"" + v.toString().replace("\"", "'") + "\"");
        });
    Files.writeString(Path.of(out + ".json"), json.append("}\n"), StandardCharsets.UTF_8);
    System.out.println(md);
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

  /** One busy loop of the SCHED_IDLE class per CPU. */
  private static List<Process> spinners() throws IOException {
    var out = new ArrayList<Process>();
    try {
      for (int cpu = 0; cpu < Runtime.getRuntime().availableProcessors(); cpu++) {
        out.add(
            new ProcessBuilder(
                    "chrt",
                    "--idle",
                    "0",
                    "taskset",
                    "-c",
                    Integer.toString(cpu),
                    "sh",
                    "-c",
                    "while :; do :; done")
                .redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.DISCARD)
                .start());
      }
    } catch (IOException e) {
      out.forEach(Process::destroyForcibly);
      throw e;
    }
    return out;
  }

  private static void quiet(String... command) throws IOException, InterruptedException {
    var p =
        new ProcessBuilder(command)
            .redirectErrorStream(true)
            .redirectOutput(ProcessBuilder.Redirect.DISCARD)
            .start();
    if (p.waitFor() != 0) {
      throw new IOException(String.join(" ", command) + ": exit " + p.exitValue());
    }
  }

  private static void sh(String... command) throws IOException, InterruptedException {
    var p = new ProcessBuilder(command).inheritIO().start();
    if (p.waitFor() != 0) {
      throw new IOException(String.join(" ", command) + ": exit " + p.exitValue());
    }
  }
}
