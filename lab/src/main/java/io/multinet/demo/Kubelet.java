package io.multinet.demo;

import static java.util.Objects.requireNonNull;

import io.fabric8.kubernetes.api.model.ContainerStatus;
import io.fabric8.kubernetes.api.model.ContainerStatusBuilder;
import io.fabric8.kubernetes.api.model.EventBuilder;
import io.fabric8.kubernetes.api.model.HostIP;
import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.PodCondition;
import io.fabric8.kubernetes.api.model.PodConditionBuilder;
import io.fabric8.kubernetes.api.model.PodIP;
import io.fabric8.kubernetes.api.model.PodStatus;
import io.fabric8.kubernetes.api.model.PodStatusBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.dsl.base.PatchContext;
import io.fabric8.kubernetes.client.dsl.base.PatchType;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.fabric8.kubernetes.client.informers.cache.Cache;
import io.multinet.dataplane.lab.Topology;
import io.multinet.kube.attachment.NetworkStatus;
import io.multinet.kube.attachment.PodInterface;
import io.multinet.kube.network.NetworkCatalog;
import io.multinet.kube.network.NetworkDefinition;
import io.multinet.kube.service.ServiceNetworkResolver;
import io.multinet.network.Cidr;
import io.multinet.network.IpAddress;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.ObjectMapper;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * The demo node's kubelet and multus-style CNI: watches the API's pods and, for each pod of its
 * node (an unscheduled pod is first bound to it, as a scheduler would), builds a network namespace
 * with the cluster network on {@code eth0} and one interface per requested network ({@code
 * k8s.v1.cni.cncf.io/networks}, or the namespace's {@code multinet.io/default-network}), each
 * address from that network's {@link AddressPool}; runs an echo server on the container ports;
 * writes {@code k8s.v1.cni.cncf.io/network-status} as multus does, then the pod status a kubelet
 * writes (Running, Ready, podIP). A deleted pod loses its namespace, links, servers and addresses.
 *
 * <p>Reconciled one pod at a time on one thread (the spec's section 7.3: no parallel attachment
 * operations), from the pod's current state: a pod seen twice keeps its one namespace. A pod that
 * cannot be plumbed gets a Warning Event, stays Pending and is retried with backoff (up to 30 s);
 * other pods are not affected.
 */
final class Kubelet implements AutoCloseable {

  /** The cluster network's name in network-status, as the demo's manifests spell it. */
  static final String CLUSTER_NETWORK = "cbr0";

  /** The cluster network's pod range on this node. */
  static final Cidr CLUSTER_POD_RANGE = Cidr.parse("10.244.0.0/16");

  private static final ObjectMapper JSON = tools.jackson.databind.json.JsonMapper.builder().build();
  private static final Duration MAX_BACKOFF = Duration.ofSeconds(30);

  /** The demo's lab networks, created the first time a pod asks for one. */
  interface Lab {
    /** The lab network of {@code network}, or of the cluster network when null. */
    String network(@Nullable NetworkDefinition network) throws Exception;

    /** The lab network's client address, which its pool never hands out. */
    IpAddress clientAddress(String labNetwork);
  }

  /** One interface of a plumbed pod. */
  record Interface(
      String statusName, String podIf, IpAddress address, String mac, boolean isDefault) {}

  /** A plumbed pod: its namespace and interfaces, for the pod with {@code uid}. */
  record Sandbox(
      String key, String uid, String netns, List<Interface> interfaces, List<Integer> ports) {}

  private final KubernetesClient client;
  private final Topology topology;
  private final String nodeName;
  private final String nodeAddress;
  private final Supplier<NetworkCatalog> catalog;
  private final Lab lab;
  private final PrintWriter log;
  private final ScheduledExecutorService worker =
      Executors.newSingleThreadScheduledExecutor(
          Thread.ofPlatform().daemon().name("demo-kubelet").factory());
  private final Map<String, AddressPool> pools = new HashMap<>();
  // Written by the worker thread only; read by others (tests, the banner).
  private final Map<String, Sandbox> sandboxes = new ConcurrentHashMap<>();
  private final Set<String> queued = ConcurrentHashMap.newKeySet();
  private final Map<String, Integer> failures = new ConcurrentHashMap<>();
  private volatile boolean busy;
  private @Nullable SharedIndexInformer<Pod> pods;

  Kubelet(
      KubernetesClient client,
      Topology topology,
      String nodeName,
      String nodeAddress,
      Supplier<NetworkCatalog> catalog,
      Lab lab,
      PrintWriter log) {
    this.client = requireNonNull(client, "client");
    this.topology = requireNonNull(topology, "topology");
    this.nodeName = requireNonNull(nodeName, "nodeName");
    this.nodeAddress = requireNonNull(nodeAddress, "nodeAddress");
    this.catalog = requireNonNull(catalog, "catalog");
    this.lab = requireNonNull(lab, "lab");
    this.log = requireNonNull(log, "log");
  }

  /** Starts watching pods; every pod already in the API is reconciled first thing. */
  void start() {
    var informer = client.pods().inAnyNamespace().runnableInformer(0);
    informer.addEventHandler(
        new ResourceEventHandler<Pod>() {
          @Override
          public void onAdd(Pod pod) {
            enqueue(Cache.metaNamespaceKeyFunc(pod), Duration.ZERO);
          }

          @Override
          public void onUpdate(Pod oldPod, Pod newPod) {
            enqueue(Cache.metaNamespaceKeyFunc(newPod), Duration.ZERO);
          }

          @Override
          public void onDelete(Pod pod, boolean deletedFinalStateUnknown) {
            enqueue(Cache.metaNamespaceKeyFunc(pod), Duration.ZERO);
          }
        });
    pods = informer;
    informer.run();
  }

  /**
   * Waits until every pod known has been handled once: plumbed, skipped (another node's) or failed
   * (a failed pod's retries do not count).
   */
  boolean awaitSettled(Duration timeout) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    while (System.nanoTime() < deadline) {
      var informer = pods;
      if (informer != null
          && informer.hasSynced()
          && !busy
          && failures.keySet().containsAll(queued)) {
        return true;
      }
      Thread.sleep(20);
    }
    return false;
  }

  /** The network namespace of pod {@code namespace/name}, or null when it has none. */
  @Nullable String netns(String namespace, String name) {
    Sandbox s = sandboxes.get(namespace + "/" + name);
    return s == null ? null : s.netns();
  }

  /** How many pods have a namespace. */
  int plumbed() {
    return sandboxes.size();
  }

  private void enqueue(String key, Duration delay) {
    if (queued.add(key)) {
      try {
        var _ = worker.schedule(() -> run(key), delay.toMillis(), TimeUnit.MILLISECONDS);
      } catch (java.util.concurrent.RejectedExecutionException e) {
        queued.remove(key); // closing
      }
    }
  }

  private void run(String key) {
    busy = true;
    queued.remove(key);
    try {
      reconcile(key);
    } catch (RuntimeException e) {
      // Never lose the worker: one pod's surprise is logged and retried.
      log.println("demo kubelet: " + key + ": " + e);
      log.flush();
      retry(key);
    } finally {
      busy = false;
    }
  }

  private void reconcile(String key) {
    var informer = requireNonNull(pods, "pods");
    Pod pod = informer.getStore().getByKey(key);
    Sandbox have = sandboxes.get(key);
    if (pod == null || pod.getMetadata().getDeletionTimestamp() != null) {
      if (have != null) {
        tearDown(have);
      }
      failures.remove(key);
      return;
    }
    if (have != null && !have.uid().equals(pod.getMetadata().getUid())) {
      tearDown(have); // deleted and created again under the same name while we looked away
      have = null;
    }
    String node = pod.getSpec() == null ? null : pod.getSpec().getNodeName();
    if (node == null || node.isEmpty()) {
      bind(pod); // the update brings it back here
      return;
    }
    if (!node.equals(nodeName)) {
      return;
    }
    String phase = pod.getStatus() == null ? null : pod.getStatus().getPhase();
    if (have == null && ("Succeeded".equals(phase) || "Failed".equals(phase))) {
      return; // finished pods are not started again
    }
    if (have == null) {
      try {
        have = setUp(pod);
      } catch (Exception e) {
        fail(pod, e);
        return;
      }
      sandboxes.put(key, have);
    }
    try {
      writeStatus(pod, have);
      failures.remove(key);
    } catch (RuntimeException e) {
      log.println("demo kubelet: status of " + key + ": " + e.getMessage());
      log.flush();
      retry(key);
    }
  }

  private void bind(Pod pod) {
    String ns = pod.getMetadata().getNamespace();
    String name = pod.getMetadata().getName();
    client
        .pods()
        .inNamespace(ns)
        .withName(name)
        .edit(p -> new PodBuilder(p).editOrNewSpec().withNodeName(nodeName).endSpec().build());
    event(
        pod,
        "default-scheduler",
        "Normal",
        "Scheduled",
        "Successfully assigned " + ns + "/" + name + " to " + nodeName);
  }

  /** One interface to create: which lab network, what the status calls it, where it goes. */
  private record Planned(
      String labNetwork,
      String statusName,
      String podIf,
      boolean isDefault,
      List<IpAddress> ips,
      @Nullable String mac) {}

  private Sandbox setUp(Pod pod) throws Exception {
    String ns = pod.getMetadata().getNamespace();
    String name = pod.getMetadata().getName();
    String key = ns + "/" + name;
    String owner = key + " (" + pod.getMetadata().getUid() + ")";
    List<Planned> plan = plan(pod);
    // Addresses first: an exhausted or conflicting pool fails the pod before anything exists.
    List<PodInterface> previous = previousStatus(pod);
    List<IpAddress> addresses = new ArrayList<>();
    String netns = null;
    try {
      for (Planned p : plan) {
        AddressPool pool = pool(p.labNetwork());
        if (!p.ips().isEmpty()) {
          IpAddress wanted =
              p.ips().stream()
                  .filter(IpAddress::isV4)
                  .findFirst()
                  .orElseThrow(
                      () ->
                          new IllegalArgumentException(
                              "ips: "
                                  + p.ips()
                                  + " (expected: an IPv4 address; the demo's pods are IPv4)"));
          addresses.add(pool.claim(owner, wanted));
        } else {
          addresses.add(pool.allocate(owner, previousAddress(previous, p)));
        }
      }
      netns = topology.addPodNamespace(ns + "." + name);
      List<Interface> interfaces = new ArrayList<>();
      for (int i = 0; i < plan.size(); i++) {
        Planned p = plan.get(i);
        var a =
            topology.attach(
                netns,
                p.labNetwork(),
                p.podIf(),
                addresses.get(i).toString(),
                pool(p.labNetwork()).range().toString(),
                p.isDefault(),
                p.mac());
        interfaces.add(
            new Interface(p.statusName(), p.podIf(), addresses.get(i), a.mac(), p.isDefault()));
      }
      List<Integer> ports = containerPorts(pod);
      for (int port : ports) {
        topology.startEchoServer(netns, name, port);
      }
      for (Interface i : interfaces) {
        Cidr range = pool(labOf(plan, i)).range();
        event(
            pod,
            "multus",
            "Normal",
            "AddedInterface",
            "Add "
                + i.podIf()
                + " ["
                + i.address()
                + "/"
                + range.prefixLength()
                + "] from "
                + i.statusName());
      }
      event(
          pod,
          "kubelet",
          "Normal",
          "Started",
          "Started echo servers on ports " + ports + " in network namespace " + netns);
      return new Sandbox(key, pod.getMetadata().getUid(), netns, interfaces, ports);
    } catch (Exception e) {
      // Leave nothing behind: the next attempt starts from scratch.
      if (netns != null) {
        try {
          topology.removePodNamespace(netns);
        } catch (Exception cleanup) {
          e.addSuppressed(cleanup);
        }
      }
      pools.values().forEach(p -> p.release(owner));
      throw e;
    }
  }

  private static String labOf(List<Planned> plan, Interface i) {
    for (Planned p : plan) {
      if (p.podIf().equals(i.podIf())) {
        return p.labNetwork();
      }
    }
    throw new IllegalStateException("no plan for " + i.podIf());
  }

  /** The cluster network, then each requested network, resolved before anything is built. */
  private List<Planned> plan(Pod pod) throws Exception {
    String ns = pod.getMetadata().getNamespace();
    List<Planned> plan = new ArrayList<>();
    plan.add(new Planned(lab.network(null), CLUSTER_NETWORK, "eth0", true, List.of(), null));
    Map<String, String> annotations =
        Objects.requireNonNullElse(pod.getMetadata().getAnnotations(), Map.of());
    String request = annotations.get(NetworkRequests.ANNOTATION);
    NetworkCatalog networks = catalog.get();
    Set<String> names = new LinkedHashSet<>(List.of("eth0"));
    if (request != null) {
      int n = 1;
      for (NetworkRequests.Request r : NetworkRequests.parse(request, ns)) {
        NetworkDefinition d = networks.byAttachment(r.namespace(), r.name());
        if (d == null) {
          throw new IllegalArgumentException(
              NetworkRequests.ANNOTATION
                  + ": "
                  + r.qualifiedName()
                  + " (expected: a NetworkAttachmentDefinition listed in a Network's"
                  + " spec.attachments; none lists "
                  + r.qualifiedName()
                  + ")");
        }
        String podIf = r.interfaceName() != null ? r.interfaceName() : "net" + n;
        n++;
        if (!names.add(podIf)) {
          throw new IllegalArgumentException(
              NetworkRequests.ANNOTATION
                  + ": interface "
                  + podIf
                  + " for "
                  + r.qualifiedName()
                  + " (expected: unique in the pod; an earlier attachment has it)");
        }
        plan.add(new Planned(lab.network(d), r.qualifiedName(), podIf, false, r.ips(), r.mac()));
      }
      return plan;
    }
    Namespace namespace = client.namespaces().withName(ns).get();
    String network =
        namespace == null || namespace.getMetadata().getAnnotations() == null
            ? null
            : namespace
                .getMetadata()
                .getAnnotations()
                .get(ServiceNetworkResolver.NAMESPACE_DEFAULT_NETWORK);
    if (network != null) {
      NetworkDefinition d = networks.byName(network.strip());
      if (d == null || d.attachments().isEmpty()) {
        throw new IllegalArgumentException(
            "namespace "
                + ns
                + " annotation "
                + ServiceNetworkResolver.NAMESPACE_DEFAULT_NETWORK
                + ": "
                + network
                + " (expected: a Network with spec.attachments; "
                + (d == null ? "there is none of that name" : "it lists no attachments")
                + ")");
      }
      String attachment = d.attachments().getFirst();
      String statusName = attachment.indexOf('/') >= 0 ? attachment : ns + "/" + attachment;
      plan.add(new Planned(lab.network(d), statusName, "net1", false, List.of(), null));
    }
    return plan;
  }

  private static List<PodInterface> previousStatus(Pod pod) {
    try {
      return NetworkStatus.fromAnnotations(
          Objects.requireNonNullElse(pod.getMetadata().getAnnotations(), Map.of()));
    } catch (IllegalArgumentException e) {
      return List.of(); // written by someone else, and wrong: we write our own
    }
  }

  /**
   * The address a pod's earlier network-status gave this interface: a pod loaded from a dump (as
   * examples/demo's are) keeps its addresses where they are free, so explain on the same manifests
   * shows the demo's backends.
   */
  private static @Nullable IpAddress previousAddress(List<PodInterface> previous, Planned p) {
    for (PodInterface i : previous) {
      boolean same =
          p.isDefault()
              ? i.isDefault()
              : !i.isDefault()
                  && p.podIf().equals(i.interfaceName())
                  && i.matches(p.statusName(), "");
      if (same) {
        return i.addresses().stream().filter(IpAddress::isV4).findFirst().orElse(null);
      }
    }
    return null;
  }

  private AddressPool pool(String labNetwork) {
    AddressPool pool = pools.get(labNetwork);
    if (pool != null) {
      return pool;
    }
    Cidr range;
    NetworkDefinition d = catalog.get().byName(labNetwork);
    if (d == null) {
      range = CLUSTER_POD_RANGE;
    } else {
      range =
          d.network().podCidrs().stream()
              .filter(c -> c.address().isV4())
              .findFirst()
              .orElseThrow(
                  () ->
                      new IllegalArgumentException(
                          "network "
                              + labNetwork
                              + ": spec.podCIDRs (expected: an IPv4 range the demo hands pod"
                              + " addresses from)"));
    }
    pool = new AddressPool(labNetwork, range, List.of(lab.clientAddress(labNetwork)));
    pools.put(labNetwork, pool);
    return pool;
  }

  private void tearDown(Sandbox s) {
    sandboxes.remove(s.key());
    String owner = s.key() + " (" + s.uid() + ")";
    pools.values().forEach(p -> p.release(owner));
    try {
      topology.removePodNamespace(s.netns());
    } catch (Exception e) {
      log.println("demo kubelet: removing " + s.netns() + ": " + e.getMessage());
      log.flush();
    }
  }

  private void fail(Pod pod, Exception e) {
    String key = Cache.metaNamespaceKeyFunc(pod);
    String message = String.valueOf(e.getMessage());
    if (!failures.containsKey(key)) {
      log.println("demo kubelet: pod " + key + ": " + message); // once; retries count in the Event
      log.flush();
    }
    event(
        pod,
        "kubelet",
        "Warning",
        "FailedCreatePodSandBox",
        "Failed to create pod sandbox: plugin type=\"multus\" name=\"multus-cni-network\" failed"
            + " (add): "
            + message);
    // Scheduled before the status write, whose update event then finds the retry queued.
    retry(key);
    try {
      writePending(pod, message);
    } catch (RuntimeException statusFailure) {
      log.println("demo kubelet: status of " + key + ": " + statusFailure.getMessage());
      log.flush();
    }
  }

  private void retry(String key) {
    int n = failures.merge(key, 1, Integer::sum);
    long millis = Math.min(MAX_BACKOFF.toMillis(), 1000L << Math.min(n - 1, 5));
    enqueue(key, Duration.ofMillis(millis));
  }

  /** The network-status multus writes: one map per interface, the cluster network's default. */
  static String networkStatus(List<Interface> interfaces) {
    ArrayNode list = JSON.createArrayNode();
    for (Interface i : interfaces) {
      ObjectNode entry = list.addObject();
      entry.put("name", i.statusName());
      entry.put("interface", i.podIf());
      entry.putArray("ips").add(i.address().toString());
      entry.put("mac", i.mac());
      entry.put("default", i.isDefault());
      entry.putObject("dns");
    }
    try {
      return JSON.writerWithDefaultPrettyPrinter().writeValueAsString(list);
    } catch (JacksonException e) {
      throw new IllegalStateException(e);
    }
  }

  private void writeStatus(Pod pod, Sandbox s) {
    String ns = pod.getMetadata().getNamespace();
    String name = pod.getMetadata().getName();
    String status = networkStatus(s.interfaces());
    Map<String, String> annotations =
        Objects.requireNonNullElse(pod.getMetadata().getAnnotations(), Map.of());
    if (!status.equals(annotations.get(NetworkStatus.ANNOTATION))) {
      ObjectNode patch = JSON.createObjectNode();
      patch.putObject("metadata").putObject("annotations").put(NetworkStatus.ANNOTATION, status);
      client
          .pods()
          .inNamespace(ns)
          .withName(name)
          .patch(PatchContext.of(PatchType.JSON_MERGE), patch.toString());
    }
    String podIp = s.interfaces().getFirst().address().toString();
    PodStatus current = pod.getStatus();
    if (current != null
        && "Running".equals(current.getPhase())
        && podIp.equals(current.getPodIP())
        && ready(current)) {
      return; // written already: a pod seen twice is left alone
    }
    String now = now();
    String started =
        current != null && current.getStartTime() != null ? current.getStartTime() : now;
    List<ContainerStatus> containers = new ArrayList<>();
    if (pod.getSpec() != null) {
      pod.getSpec()
          .getContainers()
          .forEach(
              c ->
                  containers.add(
                      new ContainerStatusBuilder()
                          .withName(c.getName())
                          .withImage(c.getImage())
                          .withImageID("")
                          .withContainerID("demo://" + s.uid() + "-" + c.getName())
                          .withReady(true)
                          .withStarted(true)
                          .withRestartCount(0)
                          .withNewState()
                          .withNewRunning(started)
                          .endState()
                          .build()));
    }
    PodStatus desired =
        new PodStatusBuilder()
            .withPhase("Running")
            .withHostIP(nodeAddress)
            .withHostIPs(new HostIP(nodeAddress))
            .withPodIP(podIp)
            .withPodIPs(new PodIP(podIp))
            .withStartTime(started)
            .withQosClass("BestEffort")
            .withConditions(
                condition("PodReadyToStartContainers", "True", now),
                condition("Initialized", "True", now),
                condition("Ready", "True", now),
                condition("ContainersReady", "True", now),
                condition("PodScheduled", "True", now))
            .withContainerStatuses(containers)
            .build();
    client
        .pods()
        .inNamespace(ns)
        .withName(name)
        .editStatus(p -> new PodBuilder(p).withStatus(desired).build());
  }

  /** A failed pod stays Pending, not Ready, with no network-status: nothing serves it. */
  private void writePending(Pod pod, String message) {
    String ns = pod.getMetadata().getNamespace();
    String name = pod.getMetadata().getName();
    Map<String, String> annotations =
        Objects.requireNonNullElse(pod.getMetadata().getAnnotations(), Map.of());
    if (annotations.containsKey(NetworkStatus.ANNOTATION)) {
      ObjectNode patch = JSON.createObjectNode();
      patch.putObject("metadata").putObject("annotations").putNull(NetworkStatus.ANNOTATION);
      client
          .pods()
          .inNamespace(ns)
          .withName(name)
          .patch(PatchContext.of(PatchType.JSON_MERGE), patch.toString());
    }
    PodStatus current = pod.getStatus();
    if (current != null && "Pending".equals(current.getPhase()) && current.getPodIP() == null) {
      return;
    }
    String now = now();
    PodStatus desired =
        new PodStatusBuilder()
            .withPhase("Pending")
            .withHostIP(nodeAddress)
            .withHostIPs(new HostIP(nodeAddress))
            .withQosClass("BestEffort")
            .withConditions(
                condition("PodReadyToStartContainers", "False", now),
                condition("Initialized", "True", now),
                new PodConditionBuilder(condition("Ready", "False", now))
                    .withReason("ContainersNotReady")
                    .withMessage(message)
                    .build(),
                new PodConditionBuilder(condition("ContainersReady", "False", now))
                    .withReason("ContainersNotReady")
                    .build(),
                condition("PodScheduled", "True", now))
            .build();
    client
        .pods()
        .inNamespace(ns)
        .withName(name)
        .editStatus(p -> new PodBuilder(p).withStatus(desired).build());
  }

  private static PodCondition condition(String type, String status, String now) {
    return new PodConditionBuilder()
        .withType(type)
        .withStatus(status)
        .withLastTransitionTime(now)
        .build();
  }

  private static boolean ready(PodStatus status) {
    for (PodCondition c : status.getConditions()) {
      if ("Ready".equals(c.getType())) {
        return "True".equals(c.getStatus());
      }
    }
    return false;
  }

  private void event(Pod pod, String component, String type, String reason, String message) {
    String ns = pod.getMetadata().getNamespace();
    String name = pod.getMetadata().getName();
    String uid = Objects.toString(pod.getMetadata().getUid(), "");
    // One Event per (pod, reason, message), counted, as the kubelet's recorder aggregates them.
    byte[] digest = (uid + "\n" + reason + "\n" + message).getBytes(StandardCharsets.UTF_8);
    String eventName = name + "." + HexFormat.of().toHexDigits(java.util.Arrays.hashCode(digest));
    String now = now();
    try {
      var events = client.v1().events().inNamespace(ns);
      var existing = events.withName(eventName).get();
      if (existing != null) {
        events
            .withName(eventName)
            .edit(
                e ->
                    new EventBuilder(e)
                        .withCount(Objects.requireNonNullElse(e.getCount(), 1) + 1)
                        .withLastTimestamp(now)
                        .build());
        return;
      }
      events
          .resource(
              new EventBuilder()
                  .withNewMetadata()
                  .withName(eventName)
                  .withNamespace(ns)
                  .endMetadata()
                  .withType(type)
                  .withReason(reason)
                  .withMessage(message)
                  .withCount(1)
                  .withFirstTimestamp(now)
                  .withLastTimestamp(now)
                  .withNewSource(component, nodeName)
                  .withReportingComponent(component)
                  .withReportingInstance(nodeName)
                  .withNewInvolvedObject()
                  .withApiVersion("v1")
                  .withKind("Pod")
                  .withNamespace(ns)
                  .withName(name)
                  .withUid(uid)
                  .endInvolvedObject()
                  .build())
          .create();
    } catch (RuntimeException e) {
      log.println(
          "demo kubelet: event " + reason + " on " + ns + "/" + name + ": " + e.getMessage());
      log.flush();
    }
  }

  private static List<Integer> containerPorts(Pod pod) {
    var ports = new LinkedHashSet<Integer>();
    if (pod.getSpec() != null) {
      pod.getSpec()
          .getContainers()
          .forEach(c -> c.getPorts().forEach(p -> ports.add(p.getContainerPort())));
    }
    // A container that declares no port still listens: the demo's echo image on 8080.
    return ports.isEmpty() ? List.of(8080) : List.copyOf(ports);
  }

  private static String now() {
    return Instant.now().truncatedTo(ChronoUnit.SECONDS).toString();
  }

  /** Stops watching and removes every pod namespace it made. */
  @Override
  public void close() {
    var informer = pods;
    if (informer != null) {
      informer.close();
    }
    worker.shutdownNow();
    try {
      worker.awaitTermination(30, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    for (Sandbox s : List.copyOf(sandboxes.values())) {
      tearDown(s);
    }
  }
}
