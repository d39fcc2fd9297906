package io.multinet.demo;

import static java.util.Objects.requireNonNull;

import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSliceBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.multinet.dataplane.agent.AgentServer;
import io.multinet.dataplane.agent.DataplaneAgent;
import io.multinet.dataplane.kernel.KernelBackend;
import io.multinet.dataplane.lab.Probe;
import io.multinet.dataplane.lab.Topology;
import io.multinet.dataplane.programmer.DataplaneProgrammer;
import io.multinet.dataplane.v1.DesiredState;
import io.multinet.network.IpAddress;
import io.multinet.network.Protocol;
import io.multinet.nodeproxy.NodeProxy;
import io.multinet.service.ServicePort;
import io.multinet.watcher.EndpointWatcher;
import io.multinet.watcher.attachment.NetworkStatus;
import io.multinet.watcher.attachment.PodInterface;
import io.multinet.watcher.network.NetworkDefinition;
import io.multinet.watcher.service.ServiceNetworkResolver;
import java.io.PrintWriter;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.UUID;

/**
 * The local demo cluster, built from the objects in an API server: one lab network per Network
 * (plus the default network), one namespace per pod interface running an echo server on the pod's
 * container ports, a client namespace per network, the controller and a node proxy programming the
 * kernel dataplane of the lab's node. {@link #probeAll} shows which backend answers each VIP.
 */
public final class Demo implements AutoCloseable {

  static final String NODE = "node-1";
  // The node's uplink address in the lab's address plan (Topology): where NodePorts are reached.
  private static final String NODE_ADDRESS = "192.0.2.1";

  private final KubernetesClient client;
  private final PrintWriter out;
  private final Topology topology;
  private final Map<String, String> clients = new LinkedHashMap<>();
  private final List<AutoCloseable> closeables = new ArrayList<>();
  private List<AutoCloseable> proxyParts = List.of();
  private List<AutoCloseable> agentParts = List.of();
  private String agentName = "";

  @SuppressWarnings("NullAway.Init") // set by build(), before anyone can call in
  private EndpointWatcher watcher;

  @SuppressWarnings("NullAway.Init") // set by build(), before anyone can call in
  private NodeProxy proxy;

  private Demo(KubernetesClient client, PrintWriter out, Topology topology) {
    this.client = client;
    this.out = out;
    this.topology = topology;
  }

  /** Builds the lab from the API server's current objects and starts the controller and proxy. */
  public static Demo start(KubernetesClient client, PrintWriter out) throws Exception {
    requireNonNull(client, "client");
    var demo =
        new Demo(
            client, out, Topology.create("mnd", Topology.Options.DEFAULTS.withMarkRules(false)));
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
    // Lab networks: the default network and every valid Network, routed by ingress interface.
    Map<String, String> prefixes = new LinkedHashMap<>();
    // The default network routes in the main table, as the cluster's primary CNI does: traffic
    // arriving at a NodePort from outside finds its pods there.
    topology.addDefaultNetwork("default", "df-");
    prefixes.put("default", "df-");
    int index = 2;
    for (NetworkDefinition d : watcher.catalog().networks()) {
      String prefix =
          d.kernelInterfaces().isEmpty()
              ? d.name() + "-"
              : d.kernelInterfaces().getFirst().replace("*", "");
      int table = Objects.requireNonNullElse(d.routingTable(), 1000 + d.network().id());
      topology.addNetwork(d.name(), index++, prefix, table);
      prefixes.put(d.name(), prefix);
    }
    // Pods: one namespace per interface, echo servers on the container ports.
    for (Pod pod : client.pods().inAnyNamespace().list().getItems()) {
      var taken = new java.util.HashSet<String>();
      for (var iface : interfaces(pod)) {
        // The pod's name for its network interface, "-def" for its default-network one.
        String base =
            pod.getMetadata().getName() + (iface.getKey().equals("default") ? "-def" : "");
        String name = base;
        for (int n = 2; !taken.add(name); n++) {
          name = base + "-" + n;
        }
        var labPod = topology.addPod(iface.getKey(), name, iface.getValue(), null);
        for (int port : containerPorts(pod)) {
          topology.startEchoServer(labPod, port);
        }
      }
    }
    // A client per network, at the top of its first pod range.
    for (String network : prefixes.keySet()) {
      String client = "client-" + network;
      topology.addClient(network, client, clientAddress(network), null);
      clients.put(network, client);
    }
    writeDefaultNetworkSlices();
    startNodeProxy();
    DesiredState state = requireNonNull(proxy.lastState());
    out.printf(
        "demo cluster up: %d networks, %d pods, %d service ports programmed into namespace %s%n",
        prefixes.size(),
        client.pods().inAnyNamespace().list().getItems().size(),
        state.getServicePortsCount(),
        topology.node());
  }

  /**
   * Starts a node proxy with its own in-process kernel agent on the lab's node, as a restarted
   * DaemonSet pod would, and waits for its first sync.
   */
  private void startNodeProxy() throws Exception {
    agentName = "demo-" + UUID.randomUUID();
    startAgent();
    var programmer = DataplaneProgrammer.connect("inprocess:" + agentName, Duration.ofSeconds(30));
    var next =
        new NodeProxy(client, NODE, programmer, Clock.systemUTC(), NodeProxy.Options.DEFAULTS);
    proxyParts = List.of(next, programmer);
    proxy = next;
    next.start();
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    while (next.lastState() == null && System.nanoTime() < deadline) {
      Thread.sleep(50);
    }
    if (next.lastState() == null) {
      throw new IllegalStateException("the node proxy programmed nothing within 30 s");
    }
  }

  /**
   * Stops the node proxy gracefully (its rules stay in the kernel) and starts a new one, which
   * takes over with a full, atomic sync.
   */
  public void restartNodeProxy() throws Exception {
    stopNodeProxy();
    startNodeProxy();
  }

  /** A kernel agent with no memory of its own, as a restarted agent process has. */
  private void startAgent() throws Exception {
    var backend = new KernelBackend(topology.node());
    agentParts = List.of(AgentServer.inProcess(agentName, new DataplaneAgent(backend)), backend);
  }

  /**
   * Kills the dataplane agent (the node proxy's connection breaks; the kernel keeps its rules) and
   * starts a new one under the same address: the node proxy's next sync is a full one.
   */
  public void restartAgent() throws Exception {
    close(agentParts);
    startAgent();
  }

  private void stopNodeProxy() {
    close(proxyParts);
    proxyParts = List.of();
    close(agentParts);
    agentParts = List.of();
  }

  private void close(List<AutoCloseable> parts) {
    for (AutoCloseable c : parts) {
      try {
        c.close();
      } catch (Exception e) {
        out.println("demo: stopping " + c.getClass().getSimpleName() + ": " + e.getMessage());
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
      if (client == null || sp.key().protocol() != Protocol.TCP) {
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

  private List<Map.Entry<String, String>> interfaces(Pod pod) {
    var out = new ArrayList<Map.Entry<String, String>>();
    Map<String, String> annotations =
        Objects.requireNonNullElse(pod.getMetadata().getAnnotations(), Map.of());
    List<PodInterface> status;
    try {
      status = NetworkStatus.fromAnnotations(annotations);
    } catch (IllegalArgumentException e) {
      return out; // the controller reports it
    }
    for (PodInterface i : status) {
      if (i.addresses().isEmpty() || !i.addresses().getFirst().isV4()) {
        continue;
      }
      String address = i.addresses().getFirst().toString();
      if (i.isDefault()) {
        out.add(Map.entry("default", address));
        continue;
      }
      for (NetworkDefinition d : watcher.catalog().networks()) {
        if (d.includes(i, pod.getMetadata().getNamespace())) {
          out.add(Map.entry(d.name(), address));
        }
      }
    }
    return out;
  }

  private static List<Integer> containerPorts(Pod pod) {
    var ports = new ArrayList<Integer>();
    if (pod.getSpec() != null) {
      pod.getSpec()
          .getContainers()
          .forEach(c -> c.getPorts().forEach(p -> ports.add(p.getContainerPort())));
    }
    return ports.isEmpty() ? List.of(8080) : ports;
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

  /**
   * The embedded API server has no kube-controller-manager: write the default network's
   * EndpointSlices from the pods' default addresses, as its EndpointSlice controller would.
   */
  private void writeDefaultNetworkSlices() {
    for (Service s : client.services().inAnyNamespace().list().getItems()) {
      var resolved =
          ServiceNetworkResolver.resolve(
              s,
              client.namespaces().withName(s.getMetadata().getNamespace()).get(),
              watcher.catalog());
      if (!(resolved instanceof ServiceNetworkResolver.Resolved r)
          || r.serviceNetwork().network() != null
          || r.serviceNetwork().selector().isEmpty()) {
        continue;
      }
      var b =
          new EndpointSliceBuilder()
              .withNewMetadata()
              .withName(s.getMetadata().getName() + "-default")
              .withNamespace(s.getMetadata().getNamespace())
              .addToLabels("kubernetes.io/service-name", s.getMetadata().getName())
              .addToLabels("endpointslice.kubernetes.io/managed-by", "demo.multinet.io")
              .endMetadata()
              .withAddressType("IPv4");
      for (var p : s.getSpec().getPorts()) {
        int target =
            p.getTargetPort() != null && p.getTargetPort().getIntVal() != null
                ? p.getTargetPort().getIntVal()
                : 8080;
        b.addNewPort()
            .withName(p.getName())
            .withProtocol(p.getProtocol())
            .withPort(target)
            .endPort();
      }
      for (Pod pod :
          client
              .pods()
              .inNamespace(s.getMetadata().getNamespace())
              .withLabels(r.serviceNetwork().selector())
              .list()
              .getItems()) {
        for (var iface : interfaces(pod)) {
          if (iface.getKey().equals("default")) {
            b.addNewEndpoint()
                .withAddresses(iface.getValue())
                .withNodeName(NODE)
                .withNewConditions()
                .withReady(true)
                .withServing(true)
                .withTerminating(false)
                .endConditions()
                .endEndpoint();
          }
        }
      }
      EndpointSlice slice = b.build();
      client.resource(slice).createOr(existing -> existing.update());
    }
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
