package io.multinet.app;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientBuilder;
import io.multinet.dataplane.programmer.DataplaneProgrammer;
import io.multinet.nodeproxy.HealthServer;
import io.multinet.nodeproxy.InProcessNode;
import io.multinet.nodeproxy.NodeProxy;
import io.multinet.nodeproxy.dns.DnsOptions;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Clock;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import org.jspecify.annotations.Nullable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** {@code multinet-proxy run}: the node proxy, the DaemonSet process that replaces kube-proxy. */
@Command(
    name = "run",
    mixinStandardHelpOptions = true,
    versionProvider = BuildInfo.class,
    description = "Run the node proxy (replaces kube-proxy on this node).",
    footer = {
      "",
      "Examples:",
      "  multinet-proxy run --hostname-override node-1",
      "  multinet-proxy run --config /etc/multinet/kube-proxy-config.yaml",
      "  multinet-proxy run --dataplane-endpoint unix:///run/multinet/dataplane.sock",
      "  multinet-proxy run --dns-upstream 192.0.2.53 --dns-ttl 30",
      "  multinet-proxy run --dns-default-network --dns-default-network-ip 10.96.0.10",
      "  multinet-proxy run --cleanup      # remove the rules, then exit",
    })
final class RunCommand implements Callable<Integer> {

  @CommandLine.Spec
  @SuppressWarnings("NullAway.Init")
  CommandLine.Model.CommandSpec spec;

  @Option(
      names = "--hostname-override",
      description = "This node's name (default: $NODE_NAME, else the host name).")
  @Nullable String nodeName;

  @Option(
      names = "--dataplane-endpoint",
      description = "unix:///path of a dataplane agent; default: an in-process kernel agent.")
  @Nullable String endpoint;

  @Option(
      names = "--netns",
      description = "With the in-process agent: the network namespace to program.")
  @Nullable String netns;

  @Option(names = "--min-sync-period", defaultValue = "PT1S")
  Duration minSyncPeriod = Duration.ofSeconds(1);

  @Option(names = "--sync-period", defaultValue = "PT30S")
  Duration syncPeriod = Duration.ofSeconds(30);

  @Option(names = "--healthz-bind-address", defaultValue = "0.0.0.0:10256")
  String healthz = "0.0.0.0:10256";

  @Option(names = "--metrics-bind-address", defaultValue = "127.0.0.1:10249")
  String metricsAddress = "127.0.0.1:10249";

  @Option(
      names = "--cluster-cidr",
      split = ",",
      description = "The default network's pod CIDRs: VIP traffic from outside is masqueraded.")
  List<String> clusterCidrs = List.of();

  @Option(names = "--masquerade-all")
  boolean masqueradeAll;

  @Option(
      names = "--nodeport-addresses",
      split = ",",
      description =
          "CIDRs of the local addresses NodePorts answer on (default: every local address).")
  List<String> nodePortAddresses = List.of();

  @Option(
      names = "--service-proxy-name",
      description =
          "Serve Services labelled service.kubernetes.io/service-proxy-name with this value.")
  @Nullable String serviceProxyName;

  @Option(
      names = "--config",
      description = "A KubeProxyConfiguration file; flags given on the command line win.")
  java.nio.file.@Nullable Path config;

  @CommandLine.Mixin DnsFlags dns = new DnsFlags();

  @CommandLine.Mixin KernelFlags kernel = new KernelFlags();

  @Option(
      names = "--cleanup",
      description = "Remove everything multinet-proxy programmed on this node, then exit.")
  boolean cleanup;

  @Override
  public Integer call() throws Exception {
    java.nio.file.Path file = config;
    if (file != null) {
      applyConfig(ProxyConfig.read(file));
    }
    List<String> nodePorts = nodePortAddresses(nodePortAddresses);
    NodeProxy.Options options;
    int batchElements;
    try {
      options = options(nodePorts);
      batchElements = kernel.batchElements();
    } catch (IllegalArgumentException e) {
      spec.commandLine().getErr().println("run: " + e.getMessage());
      spec.commandLine().getErr().flush();
      return 2;
    }
    if (cleanup) {
      try (var b = BackendOptions.open(BackendOptions.BackendKind.kernel, netns)) {
        b.cleanup();
      }
      spec.commandLine().getOut().println("cleaned up");
      spec.commandLine().getOut().flush();
      return 0;
    }
    String node =
        nodeName != null
            ? nodeName
            : System.getenv().getOrDefault("NODE_NAME", InetAddress.getLocalHost().getHostName());
    var stop = new CountDownLatch(1);
    try (KubernetesClient client = new KubernetesClientBuilder().build();
        var running = start(client, node, options, batchElements)) {
      NodeProxy proxy = running.proxy();
      // kube-proxy's healthTimeout: twice the sync period.
      try (var serviceHealth =
              new io.multinet.nodeproxy.ServiceHealthServers(
                  java.net.InetAddress.getByName("0.0.0.0"), () -> true);
          var health =
              new HealthServer(
                  proxy, address(healthz), address(metricsAddress), syncPeriod.multipliedBy(2))) {
        proxy.enableServiceHealth(serviceHealth);
        spec.commandLine()
            .getOut()
            .println(
                "node proxy for "
                    + node
                    + " running; health on :"
                    + health.healthPort()
                    + ", metrics on :"
                    + health.metricsPort());
        spec.commandLine().getOut().flush();
        // A graceful stop leaves the rules in place for the next start.
        Runtime.getRuntime().addShutdownHook(new Thread(stop::countDown));
        stop.await();
      }
    }
    return 0;
  }

  /**
   * The node proxy's options from the flags (and the config file applied before). The DNS server's
   * sockets live where the in-process agent programs ({@code --netns}); with a remote agent, in
   * this process's namespace (the DaemonSet's: the host's).
   *
   * @throws IllegalArgumentException for a bad DNS flag
   */
  NodeProxy.Options options(List<String> nodePorts) {
    DnsOptions server = dns.options(endpoint == null ? netns : null);
    return new NodeProxy.Options(
            minSyncPeriod, syncPeriod, serviceProxyName, clusterCidrs, masqueradeAll, nodePorts)
        .withDns(server, server == null ? List.of() : dns.defaultNetworkIps());
  }

  /** The started node proxy and what it owns: an in-process kernel agent, or a remote agent's. */
  private interface Running extends AutoCloseable {
    NodeProxy proxy();

    @Override
    void close();
  }

  private Running start(
      KubernetesClient client, String node, NodeProxy.Options options, int batchElements)
      throws Exception {
    String target = endpoint;
    if (target == null) {
      var local =
          InProcessNode.start(
              client,
              node,
              BackendOptions.open(
                  BackendOptions.BackendKind.kernel,
                  netns,
                  BackendOptions.DEFAULT_VPP_SOCKET,
                  batchElements),
              options);
      return new Running() {
        @Override
        public NodeProxy proxy() {
          return local.proxy();
        }

        @Override
        public void close() {
          local.close();
        }
      };
    }
    var programmer = DataplaneProgrammer.connect(target, InProcessNode.ACK_TIMEOUT);
    var proxy = new NodeProxy(client, node, programmer, Clock.systemUTC(), options);
    try {
      proxy.start();
    } catch (RuntimeException e) {
      proxy.close();
      programmer.close();
      throw e;
    }
    return new Running() {
      @Override
      public NodeProxy proxy() {
        return proxy;
      }

      @Override
      public void close() {
        try {
          proxy.close();
        } finally {
          programmer.close();
        }
      }
    };
  }

  /** Config-file values for every option not given on the command line. */
  private void applyConfig(ProxyConfig c) {
    var given = spec.commandLine().getParseResult();
    if (c.minSyncPeriod() != null && !given.hasMatchedOption("--min-sync-period")) {
      minSyncPeriod = c.minSyncPeriod();
    }
    if (c.syncPeriod() != null && !given.hasMatchedOption("--sync-period")) {
      syncPeriod = c.syncPeriod();
    }
    if (c.healthzBindAddress() != null && !given.hasMatchedOption("--healthz-bind-address")) {
      healthz = c.healthzBindAddress();
    }
    if (c.metricsBindAddress() != null && !given.hasMatchedOption("--metrics-bind-address")) {
      metricsAddress = c.metricsBindAddress();
    }
    if (!c.clusterCidrs().isEmpty() && !given.hasMatchedOption("--cluster-cidr")) {
      clusterCidrs = c.clusterCidrs();
    }
    if (!c.nodePortAddresses().isEmpty() && !given.hasMatchedOption("--nodeport-addresses")) {
      nodePortAddresses = c.nodePortAddresses();
    }
    if (c.masqueradeAll() != null && !given.hasMatchedOption("--masquerade-all")) {
      masqueradeAll = c.masqueradeAll();
    }
    if (c.hostnameOverride() != null && nodeName == null) {
      nodeName = c.hostnameOverride();
    }
  }

  /**
   * Checks {@code --nodeport-addresses} before anything starts: CIDRs (an address alone is its /32
   * or /128). kube-proxy's {@code primary} keyword is refused: it needs the Node's addresses.
   */
  private List<String> nodePortAddresses(List<String> given) {
    List<String> out = new java.util.ArrayList<>();
    for (String a : given) {
      String t = a.trim();
      if (t.isEmpty()) {
        continue;
      }
      try {
        io.multinet.network.Cidr.parse(
            t.contains("/") ? t : t + (t.contains(":") ? "/128" : "/32"));
      } catch (IllegalArgumentException e) {
        throw new picocli.CommandLine.ParameterException(
            spec.commandLine(),
            "--nodeport-addresses: " + t + " (expected: CIDRs such as 192.0.2.0/24)",
            e,
            null,
            t);
      }
      out.add(t);
    }
    return out;
  }

  static InetSocketAddress address(String hostPort) {
    int colon = hostPort.lastIndexOf(':');
    if (colon < 0) {
      throw new IllegalArgumentException("address: " + hostPort + " (expected: host:port)");
    }
    return new InetSocketAddress(
        hostPort.substring(0, colon).replace("[", "").replace("]", ""),
        Integer.parseInt(hostPort.substring(colon + 1)));
  }
}
