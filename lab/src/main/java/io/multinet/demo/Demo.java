package io.multinet.demo;

import static java.util.Objects.requireNonNull;

import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.multinet.dataplane.kernel.KernelBackend;
import io.multinet.dataplane.lab.DnsProbe;
import io.multinet.dataplane.lab.Probe;
import io.multinet.dataplane.lab.Topology;
import io.multinet.dataplane.v1.DesiredState;
import io.multinet.kube.network.NetworkDefinition;
import io.multinet.network.IpAddress;
import io.multinet.network.Protocol;
import io.multinet.nodeproxy.InProcessNode;
import io.multinet.nodeproxy.NodePipeline;
import io.multinet.nodeproxy.NodeProxy;
import io.multinet.nodeproxy.dns.DnsOptions;
import io.multinet.service.ServicePort;
import io.multinet.watcher.EndpointWatcher;
import java.io.PrintWriter;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import org.jspecify.annotations.Nullable;

/**
 * The local demo cluster, live on an API server: one lab network per Network (plus the default
 * network) with a client namespace each, a {@link Kubelet} that gives every pod of the node its
 * network namespace, interfaces, echo servers and status as they are created and deleted, the
 * default network's EndpointSlices ({@link DefaultEndpointSlices}), the controller, and a node
 * proxy programming the kernel dataplane of the lab's node, with each network's DNS. {@link
 * #probeAll} shows which backend answers each VIP, {@link #resolveAll} what each network's client
 * resolves a name of its network to and which backend then answers.
 */
public final class Demo implements AutoCloseable {

  static final String NODE = "node-1";
  // The node's uplink address in the lab's address plan (Topology): where NodePorts are reached.
  private static final String NODE_ADDRESS = "192.0.2.1";

  private final KubernetesClient client;
  private final KubernetesClient kubeletClient;
  private final PrintWriter out;
  private final Topology topology;
  private final DnsOptions dnsOptions;
  private final Map<String, String> clients = new ConcurrentHashMap<>();
  private int nextIndex = 2;
  private final List<AutoCloseable> closeables = new ArrayList<>();
  private @Nullable InProcessNode node;

  @SuppressWarnings("NullAway.Init") // set by build(), before anyone can call in
  private EndpointWatcher watcher;

  @SuppressWarnings("NullAway.Init") // set by build(), before anyone can call in
  private NodeProxy proxy;

  @SuppressWarnings("NullAway.Init") // set by build(), before anyone can call in
  private Kubelet kubelet;

  @SuppressWarnings("NullAway.Init") // set by build(), before anyone can call in
  private DefaultEndpointSlices slices;

  private Demo(
      KubernetesClient client, KubernetesClient kubeletClient, PrintWriter out, Topology topology) {
    this.client = client;
    this.kubeletClient = kubeletClient;
    this.out = out;
    this.topology = topology;
    this.dnsOptions = DnsOptions.defaults().withNetns(topology.node());
  }

  /** Builds the lab from the API server's current objects and starts the controller and proxy. */
  public static Demo start(KubernetesClient client, PrintWriter out) throws Exception {
    return start(client, client, out);
  }

  /**
   * As {@link #start(KubernetesClient, PrintWriter)}, with the node's kubelet on a connection of
   * its own ({@code kubeletClient}), as it is a process of its own in a cluster: cutting the
   * controller's and node proxy's connection leaves pod plumbing going.
   */
  public static Demo start(KubernetesClient client, KubernetesClient kubeletClient, PrintWriter out)
      throws Exception {
    requireNonNull(client, "client");
    requireNonNull(kubeletClient, "kubeletClient");
    var demo =
        new Demo(
            client,
            kubeletClient,
            out,
            Topology.create("mnd", Topology.Options.DEFAULTS.withMarkRules(false)));
    try {
      demo.build();
      return demo;
    } catch (Exception | Error e) {
      demo.close();
      throw e;
    }
  }

  private void build() throws Exception {
    watcher = new EndpointWatcher(client, Clock.systemUTC());
    closeables.add(watcher);
    watcher.start();
    watcher.setLeading(true);
    if (!watcher.awaitIdle(Duration.ofSeconds(30), Duration.ofMillis(300))) {
      throw new IllegalStateException("the controller did not settle");
    }
    registerNode();
    // Lab networks: the default network and every valid Network, routed by ingress interface, each
    // with its client; a Network applied later gets its own when a pod first asks for it.
    labNetwork(null);
    for (NetworkDefinition d : watcher.catalog().networks()) {
      labNetwork(d);
    }
    // Pods, those of the manifests and any created later: the kubelet plumbs them as they come.
    kubelet =
        new Kubelet(
            kubeletClient,
            topology,
            NODE,
            NODE_ADDRESS,
            watcher::catalog,
            new Kubelet.Lab() {
              @Override
              public String network(@Nullable NetworkDefinition network) throws Exception {
                return labNetwork(network);
              }

              @Override
              public IpAddress clientAddress(String labNetwork) {
                return IpAddress.parse(Demo.this.clientAddress(labNetwork));
              }
            },
            out);
    closeables.add(kubelet);
    kubelet.start();
    slices = new DefaultEndpointSlices(client, watcher::catalog, NODE, out);
    closeables.add(slices);
    slices.start();
    if (!kubelet.awaitSettled(Duration.ofSeconds(60))) {
      throw new IllegalStateException("the demo's kubelet did not plumb the pods within 60 s");
    }
    slices.reconcile();
    if (!watcher.awaitIdle(Duration.ofSeconds(30), Duration.ofMillis(300))) {
      throw new IllegalStateException("the controller did not settle");
    }
    startNodeProxy();
    DesiredState state = requireNonNull(proxy.lastState());
    out.printf(
        "demo cluster up: %d networks, %d pods, %d service ports programmed into namespace %s%n",
        clients.size(), kubelet.plumbed(), state.getServicePortsCount(), topology.node());
  }

  /**
   * The lab network of {@code d} (the default network when null), created with its client the first
   * time it is asked for.
   */
  private synchronized String labNetwork(@Nullable NetworkDefinition d) throws Exception {
    String name = d == null ? "default" : d.name();
    if (clients.containsKey(name)) {
      return name;
    }
    if (d == null) {
      // The default network routes in the main table, as the cluster's primary CNI does: traffic
      // arriving at a NodePort from outside finds its pods there.
      topology.addDefaultNetwork(name, "df-");
    } else {
      String prefix =
          d.kernelInterfaces().isEmpty()
              ? d.name() + "-"
              : d.kernelInterfaces().getFirst().replace("*", "");
      int table = Objects.requireNonNullElse(d.routingTable(), 1000 + d.network().id());
      topology.addNetwork(name, nextIndex++, prefix, table);
    }
    String client = "client-" + name;
    topology.addClient(name, client, clientAddress(name), null);
    clients.put(name, client);
    return name;
  }

  /** The kubelet registers its Node when the manifests do not have it. */
  private void registerNode() {
    if (client.nodes().withName(NODE).get() == null) {
      client
          .resource(
              new NodeBuilder()
                  .withNewMetadata()
                  .withName(NODE)
                  .endMetadata()
                  .withNewStatus()
                  .addNewAddress()
                  .withType("InternalIP")
                  .withAddress(NODE_ADDRESS)
                  .endAddress()
                  .endStatus()
                  .build())
          .create();
    }
  }

  /**
   * Starts a node proxy with its own in-process kernel agent on the lab's node, as a restarted
   * DaemonSet pod would, and waits for its first sync.
   */
  private void startNodeProxy() throws Exception {
    var next =
        InProcessNode.start(client, NODE, new KernelBackend(topology.node()), nodeProxyOptions());
    node = next;
    proxy = next.proxy();
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    while (proxy.lastState() == null && System.nanoTime() < deadline) {
      Thread.sleep(50);
    }
    if (proxy.lastState() == null) {
      throw new IllegalStateException("the node proxy programmed nothing within 30 s");
    }
  }

  /**
   * The node proxy's settings: kube-proxy's defaults, and DNS for every network with its listeners
   * in the node's namespace, as the DaemonSet's pod has them in the host's.
   */
  private NodeProxy.Options nodeProxyOptions() {
    return NodeProxy.Options.DEFAULTS.withDns(dnsOptions, List.of());
  }

  /**
   * Stops the node proxy gracefully (its rules stay in the kernel) and starts a new one, which
   * takes over with a full, atomic sync.
   */
  public void restartNodeProxy() throws Exception {
    stopNodeProxy();
    startNodeProxy();
  }

  /**
   * Kills the dataplane agent (the node proxy's connection breaks; the kernel keeps its rules) and
   * starts a new one under the same address: the node proxy's next sync is a full one.
   */
  public void restartAgent() throws Exception {
    // A kernel agent with no memory of its own, as a restarted agent process has.
    requireNonNull(node, "node").restartAgent(new KernelBackend(topology.node()));
  }

  private void stopNodeProxy() {
    InProcessNode running = node;
    node = null;
    if (running != null) {
      try {
        running.close();
      } catch (RuntimeException e) {
        out.println("demo: stopping the node proxy: " + e.getMessage());
      }
    }
  }

  /**
   * Sends {@code n} requests from each network's client to each of its VIPs; prints the answers.
   */
  public Map<String, Map<String, Integer>> probeAll(int n) throws Exception {
    var results = new TreeMap<String, Map<String, Integer>>();
    for (ServicePort sp : proxy.table().servicePorts()) {
      var net = proxy.table().networks().get(sp.key().networkId());
      String network = net == null || net.isDefault() ? "default" : net.name();
      String client = clients.get(network);
      if (client == null || sp.key().protocol() != Protocol.TCP || isDns(sp)) {
        continue;
      }
      IpAddress vip = sp.key().address();
      var counts =
          Probe.from(topology.pod(client)).count(n, Protocol.TCP, vip.toString(), sp.key().port());
      String label = network + " " + sp.name() + " " + vip + ":" + sp.key().port();
      results.put(label, counts);
      out.printf("%-46s from %-15s -> %s%n", label, client, counts);
    }
    probeNodePorts(n, results);
    out.flush();
    return results;
  }

  /** Sends {@code n} requests from outside the node (the uplink) to each TCP NodePort. */
  private void probeNodePorts(int n, Map<String, Map<String, Integer>> results) throws Exception {
    for (ServicePort sp : proxy.table().servicePorts()) {
      if (sp.nodePort() == 0 || sp.key().protocol() != Protocol.TCP) {
        continue;
      }
      var counts =
          Probe.from(topology.uplink()).count(n, Protocol.TCP, NODE_ADDRESS, sp.nodePort());
      String label = "nodeport " + sp.name() + " " + NODE_ADDRESS + ":" + sp.nodePort();
      results.put(label, counts);
      out.printf("%-46s from %-15s -> %s%n", label, "outside", counts);
    }
  }

  private static boolean isDns(ServicePort sp) {
    return sp.name().namespace().equals(NodePipeline.DNS_NAMESPACE);
  }

  /**
   * One network's chain: {@code name}, asked from the network's client at its DNS address {@code
   * dns}, resolved to {@code answer}, whose {@code port} then answered from {@code backends}.
   *
   * @param answer what the DNS answered: its A records, or its rcode when it has none
   * @param backends what {@code n} requests to the first address and {@code port} got, by backend
   *     (empty when nothing resolved)
   */
  public record DnsChain(
      String network,
      String clientNamespace,
      IpAddress dns,
      String name,
      List<String> answer,
      int port,
      Map<String, Integer> backends) {
    public DnsChain {
      answer = List.copyOf(answer);
      backends = Map.copyOf(backends);
    }

    /** {@code blue: web.demo.svc.cluster.local -> 10.96.0.10 -> {web-blue-1=3, web-blue-2=3}}. */
    @Override
    public String toString() {
      String resolved = String.join(",", answer);
      return backends.isEmpty()
          ? network + ": " + name + " -> " + resolved
          : network + ": " + name + " -> " + resolved + " -> " + new TreeMap<>(backends);
    }
  }

  /**
   * For each network with a DNS address on this node: resolves the name of its first TCP Service
   * (by name) from the network's client over UDP, as the client's resolver would, then sends {@code
   * n} requests to the first address it got; prints each chain.
   */
  public List<DnsChain> resolveAll(int n) throws Exception {
    var dnsByNetwork = new TreeMap<String, IpAddress>();
    var serviceByNetwork = new TreeMap<String, ServicePort>();
    for (ServicePort sp : proxy.table().servicePorts()) {
      var net = proxy.table().networks().get(sp.key().networkId());
      if (net == null || net.isDefault() || !clients.containsKey(net.name())) {
        continue;
      }
      if (isDns(sp)) {
        dnsByNetwork.merge(net.name(), sp.key().address(), (a, b) -> a.isV4() ? a : b);
      } else if (sp.key().protocol() == Protocol.TCP) {
        serviceByNetwork.merge(
            net.name(),
            sp,
            (a, b) -> a.name().toString().compareTo(b.name().toString()) <= 0 ? a : b);
      }
    }
    List<DnsChain> chains = new ArrayList<>();
    for (var e : dnsByNetwork.entrySet()) {
      ServicePort sp = serviceByNetwork.get(e.getKey());
      if (sp == null) {
        continue;
      }
      String netns = clientNamespace(e.getKey());
      String name =
          sp.name().name() + "." + sp.name().namespace() + ".svc." + clusterDomain(e.getKey());
      DnsProbe.Answer answer = DnsProbe.from(netns).udp(e.getValue().toString(), 53, name, "A");
      List<String> addresses = answer.data("A");
      Map<String, Integer> backends =
          addresses.isEmpty()
              ? Map.of()
              : Probe.from(netns).count(n, Protocol.TCP, addresses.getFirst(), sp.key().port());
      var chain =
          new DnsChain(
              e.getKey(),
              netns,
              e.getValue(),
              name,
              addresses.isEmpty() ? List.of(answer.rcode()) : addresses,
              sp.key().port(),
              backends);
      chains.add(chain);
      out.printf("  %s%n", chain);
    }
    out.flush();
    return chains;
  }

  private String clusterDomain(String network) {
    NetworkDefinition d = watcher.catalog().byName(network);
    String domain = d == null || d.dns() == null ? null : requireNonNull(d.dns()).clusterDomain();
    return domain != null ? domain : dnsOptions.clusterDomain();
  }

  public Topology topology() {
    return topology;
  }

  /** The controller (endpoint-watcher), for its problem metrics. */
  public EndpointWatcher controller() {
    return watcher;
  }

  public NodeProxy proxy() {
    return proxy;
  }

  /** The network namespace of pod {@code namespace/name}, or null while it has none. */
  public @Nullable String podNamespace(String namespace, String name) {
    return kubelet.netns(namespace, name);
  }

  /** Whether {@code network} has a client (every network the demo knows has one). */
  public boolean hasClient(String network) {
    return clients.containsKey(network);
  }

  /** The network namespace of {@code network}'s client ({@code default} for the default one). */
  public String clientNamespace(String network) {
    String client = clients.get(network);
    if (client == null) {
      throw new IllegalArgumentException("no client for network: " + network);
    }
    return topology.pod(client).netns();
  }

  private String clientAddress(String network) {
    NetworkDefinition d = watcher.catalog().byName(network);
    if (d != null && !d.network().podCidrs().isEmpty()) {
      var cidr = d.network().podCidrs().getFirst();
      byte[] b = cidr.address().toBytes();
      b[b.length - 1] = (byte) 250;
      return IpAddress.of(b).toString();
    }
    return "10.244.0.250";
  }

  private final java.util.concurrent.atomic.AtomicBoolean closed =
      new java.util.concurrent.atomic.AtomicBoolean();

  /** Stops everything and removes every namespace; safe to call more than once. */
  @Override
  public void close() {
    if (!closed.compareAndSet(false, true)) {
      return;
    }
    stopNodeProxy();
    for (int i = closeables.size() - 1; i >= 0; i--) {
      try {
        closeables.get(i).close();
      } catch (Exception e) {
        out.println(
            "demo: closing "
                + closeables.get(i).getClass().getSimpleName()
                + ": "
                + e.getMessage());
      }
    }
    try {
      topology.close();
    } catch (Exception e) {
      out.println("demo: removing namespaces: " + e.getMessage());
    }
  }
}
