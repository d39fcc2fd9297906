package io.multinet.watcher;

import static java.util.Objects.requireNonNull;

import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.ConditionBuilder;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.discovery.v1.Endpoint;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.fabric8.kubernetes.client.informers.cache.Cache;
import io.multinet.kube.Informers;
import io.multinet.kube.Problem;
import io.multinet.kube.WellKnown;
import io.multinet.kube.crd.CalicoNetworkResource;
import io.multinet.kube.crd.ClusterIPClaim;
import io.multinet.kube.crd.NetworkAttachmentDefinition;
import io.multinet.kube.crd.NetworkResource;
import io.multinet.kube.network.NetworkCatalog;
import io.multinet.kube.network.NetworkDefinition;
import io.multinet.kube.network.NetworkDns;
import io.multinet.kube.service.ServiceNetwork;
import io.multinet.kube.service.ServiceNetworkResolver;
import io.multinet.network.IpAddress;
import io.multinet.watcher.ipam.ClusterIpAllocator;
import io.multinet.watcher.slice.EndpointBuilder;
import io.multinet.watcher.slice.SlicePlanner;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;
import java.util.logging.Level;
import java.util.logging.Logger;
import org.jspecify.annotations.Nullable;

/**
 * The endpoint-watcher controller: informers on Services, Pods, Namespaces, Nodes, EndpointSlices,
 * Networks and cluster IP claims feed a work queue of Service keys; one worker reconciles each key
 * from the informer caches alone (level-triggered), so dropped watches, relists and restarts lose
 * nothing. Only while {@linkplain #setLeading leading} does it write: cluster IP claims, the
 * Service's {@value WellKnown#CLUSTER_IPS_ANNOTATION} annotation, EndpointSlices, Network status
 * (conditions and DNS addresses) and Events. A failing key is retried with backoff and never blocks
 * the others.
 */
public final class EndpointWatcher implements AutoCloseable {

  private static final Logger LOG = Logger.getLogger(EndpointWatcher.class.getName());
  static final String NETWORKS_KEY = "#networks";
  static final String GC_KEY = "#gc";
  static final String DNS_KEY = "#dns";

  private final KubernetesClient client;
  private final Clock clock;
  private final ProblemMetrics metrics = new ProblemMetrics();
  private final EventRecorder events;
  private final WorkQueue queue = new WorkQueue();
  private final ScheduledExecutorService retries;
  private final AtomicBoolean leading = new AtomicBoolean();
  private final AtomicBoolean running = new AtomicBoolean();
  private final AtomicLong writes = new AtomicLong();
  private final AtomicLong pendingRetries = new AtomicLong();
  private final Map<String, Integer> failures = new HashMap<>();
  private final List<SharedIndexInformer<?>> informers = new ArrayList<>();
  private final ClusterIpAllocator allocator;
  private volatile NetworkCatalog catalog = NetworkCatalog.empty();

  private @Nullable SharedIndexInformer<Service> services;
  private @Nullable SharedIndexInformer<Pod> pods;
  private final PodStore podStore = new PodStore();
  private @Nullable SharedIndexInformer<Namespace> namespaces;
  private @Nullable SharedIndexInformer<Node> nodes;
  private @Nullable SharedIndexInformer<EndpointSlice> slices;
  private @Nullable SharedIndexInformer<ClusterIPClaim> claims;
  private @Nullable SharedIndexInformer<NetworkResource> networks;
  private @Nullable SharedIndexInformer<CalicoNetworkResource> calicoNetworks;
  private @Nullable SharedIndexInformer<NetworkAttachmentDefinition> nads;
  private @Nullable Thread worker;

  public EndpointWatcher(KubernetesClient client, Clock clock) {
    this.client = requireNonNull(client, "client");
    this.clock = requireNonNull(clock, "clock");
    this.events = new EventRecorder(client, clock, metrics);
    this.allocator = new ClusterIpAllocator(client, () -> store(claims));
    this.retries =
        Executors.newSingleThreadScheduledExecutor(
            r -> Thread.ofPlatform().name("endpoint-watcher-retry").daemon().unstarted(r));
  }

  /** Starts the informers (returns once every cache has synced) and the worker. */
  public void start() {
    if (!running.compareAndSet(false, true)) {
      throw new IllegalStateException("already started");
    }
    namespaces =
        inform(
            client.namespaces().runnableInformer(0), ns -> servicesIn(ns.getMetadata().getName()));
    nodes = inform(client.nodes().runnableInformer(0), n -> allServices());
    services = inform(client.services().inAnyNamespace().runnableInformer(0), s -> List.of(key(s)));
    pods =
        inform(
            client.pods().inAnyNamespace().runnableInformer(0).itemStore(podStore),
            this::servicesSelecting);
    // The store keeps records by namespace itself: the informer's namespace index would only add a
    // key string per pod.
    pods.removeNamespaceIndex();
    slices =
        inform(
            client.discovery().v1().endpointSlices().inAnyNamespace().runnableInformer(0),
            EndpointWatcher::sliceService);
    // A reconcile reads one Service's slices: by index, not by scanning its namespace's slices
    // (10k Services in one namespace made starting to lead O(N^2)).
    slices.addIndexers(Map.of(BY_SERVICE, EndpointWatcher::sliceService));
    claims = inform(client.resources(ClusterIPClaim.class).runnableInformer(0), this::claimKeys);
    networks =
        inform(
            client.resources(NetworkResource.class).runnableInformer(0),
            n -> List.of(NETWORKS_KEY));
    if (Informers.crdExists(client, Informers.CALICO_CRD)) {
      calicoNetworks =
          inform(
              client.resources(CalicoNetworkResource.class).inAnyNamespace().runnableInformer(0),
              n -> List.of(NETWORKS_KEY));
    }
    if (Informers.crdExists(client, Informers.NAD_CRD)) {
      nads =
          inform(
              client
                  .resources(NetworkAttachmentDefinition.class)
                  .inAnyNamespace()
                  .runnableInformer(0),
              n -> List.of(NETWORKS_KEY));
    }
    for (SharedIndexInformer<?> i : informers) {
      i.start().toCompletableFuture().join();
    }
    rebuildCatalog(false);
    Thread t = Thread.ofPlatform().name("endpoint-watcher").daemon().start(this::work);
    worker = t;
  }

  /** Leadership gained or lost (from the leader elector); only a leader writes. */
  public synchronized void setLeading(boolean value) {
    if (leading.get() == value) {
      return;
    }
    LOG.info(value ? "leading: reconciling every Service" : "not leading: writes stop");
    if (value) {
      Instant now = clock.instant();
      // The informers queued every Service meanwhile; the networks pass goes first (queued before
      // the worker may take anything), so that a requested DNS address is claimed before a
      // Service asking for it runs.
      queue.addFirst(NETWORKS_KEY, now);
      queue.add(GC_KEY, now);
    }
    leading.set(value);
  }

  public boolean isLeading() {
    return leading.get();
  }

  public ProblemMetrics metrics() {
    return metrics;
  }

  /** The networks currently valid. */
  public NetworkCatalog catalog() {
    return catalog;
  }

  /** How many API writes this controller made: a way to check that no-op passes write nothing. */
  public long writes() {
    return writes.get();
  }

  /**
   * Waits until nothing is queued, running or waiting to retry, and stays so for {@code settle} (so
   * that the watch events of our own writes have come back and been processed).
   */
  public boolean awaitIdle(Duration timeout, Duration settle) throws InterruptedException {
    long deadline = System.nanoTime() + timeout.toNanos();
    long quietSince = -1;
    while (System.nanoTime() < deadline) {
      boolean idle = queue.isIdle() && pendingRetries.get() == 0;
      long now = System.nanoTime();
      if (!idle) {
        quietSince = -1;
      } else if (quietSince < 0) {
        quietSince = now;
      } else if (now - quietSince >= settle.toNanos()) {
        return true;
      }
      TimeUnit.MILLISECONDS.sleep(20);
    }
    return false;
  }

  @Override
  public void close() {
    running.set(false);
    Thread t = worker;
    if (t != null) {
      t.interrupt();
    }
    for (SharedIndexInformer<?> i : informers) {
      i.close();
    }
    retries.shutdownNow();
  }

  // --- the worker ---------------------------------------------------------------------------

  private void work() {
    while (running.get()) {
      WorkQueue.Item item;
      try {
        if (!leading.get()) {
          TimeUnit.MILLISECONDS.sleep(50);
          continue;
        }
        item = queue.take(200);
      } catch (InterruptedException e) {
        return;
      }
      if (item == null) {
        continue;
      }
      if (!leading.get()) {
        // Leadership was lost while waiting for this key: the next leader writes it.
        queue.done(item.key());
        queue.add(item.key(), item.triggered());
        continue;
      }
      try {
        process(item);
        failures.remove(item.key());
      } catch (RuntimeException e) {
        int n = failures.merge(item.key(), 1, Integer::sum);
        long delay = Math.min(30_000, 100L << Math.min(n, 8));
        LOG.log(
            Level.WARNING,
            "reconciling "
                + item.key()
                + " failed (attempt "
                + n
                + "), retrying in "
                + delay
                + " ms",
            e);
        metrics.increment("ReconcileError");
        if (!running.get()) {
          return;
        }
        pendingRetries.incrementAndGet();
        try {
          var _ =
              retries.schedule(
                  () -> {
                    queue.add(item.key(), item.triggered());
                    pendingRetries.decrementAndGet();
                  },
                  delay,
                  TimeUnit.MILLISECONDS);
        } catch (java.util.concurrent.RejectedExecutionException closing) {
          pendingRetries.decrementAndGet(); // closed meanwhile: nothing to retry for
        }
      } finally {
        queue.done(item.key());
      }
    }
  }

  private void process(WorkQueue.Item item) {
    switch (item.key()) {
      case NETWORKS_KEY -> {
        rebuildCatalog(true);
        Instant now = clock.instant();
        for (String k : allServices()) {
          queue.add(k, now);
        }
      }
      case GC_KEY -> {
        Set<String> live = new HashSet<>();
        for (Service s : store(services)) {
          live.add(Objects.requireNonNullElse(s.getMetadata().getUid(), ""));
        }
        int n = allocator.collectOrphans(live);
        writes.addAndGet(n);
      }
      case DNS_KEY -> reconcileNetworks(catalog);
      default -> reconcile(item.key(), item.triggered());
    }
  }

  private void rebuildCatalog(boolean write) {
    NetworkCatalog next = NetworkCatalog.build(store(networks), store(calicoNetworks), store(nads));
    catalog = next;
    if (!write) {
      return;
    }
    for (Problem p : next.problems()) {
      events.warn(p);
    }
    // Before the Services are queued: a requested DNS address is claimed before a Service can ask.
    reconcileNetworks(next);
  }

  /**
   * Every Network's DNS claims and status. A network with service CIDRs and a valid {@code
   * spec.dns} holds its addresses (requested or allocated) and lists them in {@code
   * status.dns.clusterIPs}; one without service CIDRs, or deleted, loses them; an invalid network
   * or {@code spec.dns} keeps what was written, as Services do, so fixing it changes no address.
   */
  private void reconcileNetworks(NetworkCatalog cat) {
    Map<String, String> keep = new HashMap<>();
    for (NetworkResource r : store(networks)) {
      String name = r.getMetadata().getName();
      String uid = Objects.requireNonNullElse(r.getMetadata().getUid(), "");
      List<String> current = dnsStatus(r);
      NetworkDefinition d = cat.byName(name);
      List<String> desired;
      if (d == null || (d.dns() == null && !d.network().serviceCidrs().isEmpty())) {
        keep.put(name, uid);
        desired = current;
      } else if (d.dns() == null) {
        desired = null; // no service CIDRs: no DNS
      } else {
        List<IpAddress> previous = new ArrayList<>();
        for (String a : Objects.requireNonNullElse(current, List.<String>of())) {
          try {
            previous.add(IpAddress.parse(a));
          } catch (IllegalArgumentException e) {
            // not ours: rewritten below
          }
        }
        ClusterIpAllocator.Result result = allocator.ensureDns(r, d, previous);
        for (Problem p : result.problems()) {
          events.warn(p);
        }
        keep.put(name, uid);
        desired = result.addresses().stream().map(IpAddress::toString).toList();
      }
      updateNetworkStatus(r, cat, desired);
    }
    writes.addAndGet(allocator.releaseDnsExcept(keep));
  }

  private static @Nullable List<String> dnsStatus(NetworkResource r) {
    NetworkResource.Status status = r.getStatus();
    return status == null || status.dns == null ? null : List.copyOf(status.dns.clusterIPs);
  }

  private void updateNetworkStatus(
      NetworkResource r, NetworkCatalog cat, @Nullable List<String> dns) {
    String name = r.getMetadata().getName();
    Problem problem = null;
    for (Problem p : cat.problems()) {
      // InvalidDNS and InvalidNamespaceSelector leave the network serving: Events say those.
      if (p.kind().equals("Network")
          && p.name().equals(name)
          && p.reason().equals("InvalidNetwork")) {
        problem = p;
      }
    }
    boolean valid = problem == null && cat.byName(name) != null;
    String reason = valid ? "Valid" : "Invalid";
    String message =
        valid ? "network " + name + " is ready" : problem == null ? "not valid" : problem.message();
    NetworkResource.Status status = r.getStatus();
    boolean ready = false;
    if (status != null) {
      for (Condition c : status.conditions) {
        if ("Ready".equals(c.getType())
            && (valid ? "True" : "False").equals(c.getStatus())
            && reason.equals(c.getReason())
            && message.equals(c.getMessage())) {
          ready = true;
        }
      }
    }
    if (ready && Objects.equals(dnsStatus(r), dns)) {
      return;
    }
    var next = new NetworkResource.Status();
    if (ready) {
      next.conditions.addAll(requireNonNull(status, "status").conditions);
    } else {
      next.conditions.add(
          new ConditionBuilder()
              .withType("Ready")
              .withStatus(valid ? "True" : "False")
              .withReason(reason)
              .withMessage(message)
              .withLastTransitionTime(clock.instant().toString())
              .withObservedGeneration(r.getMetadata().getGeneration())
              .build());
    }
    if (dns != null) {
      next.dns = new NetworkResource.DnsStatus();
      next.dns.clusterIPs = new ArrayList<>(dns);
    }
    // A copy: the informer's object stays what the API server last said, so a failed write is
    // retried by the next pass.
    var write = new NetworkResource();
    write.setMetadata(r.getMetadata());
    write.setSpec(r.getSpec());
    write.setStatus(next);
    try {
      client.resources(NetworkResource.class).resource(write).updateStatus();
      writes.incrementAndGet();
    } catch (KubernetesClientException e) {
      LOG.log(Level.WARNING, "updating status of Network " + name + " failed", e);
    }
  }

  private void reconcile(String key, Instant triggered) {
    int slash = key.indexOf('/');
    String ns = key.substring(0, slash);
    String name = key.substring(slash + 1);
    List<EndpointSlice> ours = new ArrayList<>();
    List<EndpointSlice> foreign = new ArrayList<>();
    List<EndpointSlice> named =
        slices == null ? List.of() : slices.getIndexer().byIndex(BY_SERVICE, key);
    for (EndpointSlice s : named) {
      (WellKnown.MANAGED_BY.equals(label(s, WellKnown.MANAGED_BY_LABEL)) ? ours : foreign).add(s);
    }
    checkForeignSliceNamespaces(foreign, ns);
    Service svc = get(services, key);
    if (svc == null) {
      deleteAll(ours);
      allocator.releaseAll(ns, name);
      return;
    }
    var result = ServiceNetworkResolver.resolve(svc, get(namespaces, ns), catalog);
    if (result instanceof ServiceNetworkResolver.Rejected rejected) {
      events.warn(rejected.problem());
      if (rejected.problem().reason().equals(NAMESPACE_NOT_ADMITTED)) {
        // The network's owner decides: the Service loses its address and slices in the network.
        deleteAll(ours);
        allocator.releaseAll(ns, name);
      }
      // Otherwise keep what was written: a typo in a Network must not take a working Service down.
      return;
    }
    ServiceNetwork sn = ((ServiceNetworkResolver.Resolved) result).serviceNetwork();
    NetworkDefinition network = sn.network();
    if (network == null) {
      deleteAll(ours); // back on the default network: Kubernetes' own slices serve it
      allocator.releaseAll(ns, name);
      return;
    }
    ensureClusterIps(svc, network);
    if (sn.selector().isEmpty()) {
      checkForeignSlices(foreign, network);
    }
    EndpointBuilder.Result built =
        EndpointBuilder.build(
            svc, network, sn.selector(), podStore.inNamespace(ns), n -> get(nodes, n));
    for (Problem p : built.problems()) {
      events.warn(p);
    }
    var owner =
        new SlicePlanner.Owner(
            ns, name, Objects.requireNonNullElse(svc.getMetadata().getUid(), ""));
    SlicePlanner.Plan plan =
        SlicePlanner.plan(owner, network.name(), built.endpoints(), ours, triggered.toString());
    apply(plan);
  }

  private void ensureClusterIps(Service svc, NetworkDefinition network) {
    if (network.network().serviceCidrs().isEmpty()) {
      return; // Calico/VPP-style network: the Service keeps Kubernetes' cluster IPs
    }
    if (svc.getSpec() != null && "None".equals(svc.getSpec().getClusterIP())) {
      return; // headless
    }
    ClusterIpAllocator.Result r = allocator.ensure(svc, network);
    for (Problem p : r.problems()) {
      events.warn(p);
    }
    if (!r.problems().isEmpty() || r.addresses().isEmpty()) {
      return; // a user-requested address that failed stays requested, for the user to fix
    }
    String value = String.join(",", r.addresses().stream().map(IpAddress::toString).toList());
    Map<String, String> annotations = svc.getMetadata().getAnnotations();
    if (annotations != null && value.equals(annotations.get(WellKnown.CLUSTER_IPS_ANNOTATION))) {
      return;
    }
    client
        .services()
        .inNamespace(svc.getMetadata().getNamespace())
        .withName(svc.getMetadata().getName())
        .edit(
            s -> {
              var a =
                  new LinkedHashMap<String, String>(
                      Objects.requireNonNullElse(s.getMetadata().getAnnotations(), Map.of()));
              a.put(WellKnown.CLUSTER_IPS_ANNOTATION, value);
              s.getMetadata().setAnnotations(a);
              return s;
            });
    writes.incrementAndGet();
  }

  static final String NAMESPACE_NOT_ADMITTED = "NamespaceNotAdmitted";

  /**
   * A hand-written slice labelled with a network whose {@code namespaceSelector} does not admit its
   * namespace is reported; the node proxy serves a slice only through its Service, which the same
   * selector keeps out of the network.
   */
  private void checkForeignSliceNamespaces(List<EndpointSlice> foreign, String ns) {
    Namespace namespace = null;
    for (EndpointSlice s : foreign) {
      String net = label(s, WellKnown.NETWORK_LABEL);
      NetworkDefinition d = net == null ? null : catalog.byName(net.trim());
      if (d == null || d.namespaces().selectsAll()) {
        continue;
      }
      if (namespace == null) {
        namespace = get(namespaces, ns);
      }
      if (!d.namespaces().admits(namespace)) {
        events.warn(
            new Problem(
                "EndpointSlice",
                ns,
                s.getMetadata().getName(),
                NAMESPACE_NOT_ADMITTED,
                "namespace: "
                    + ns
                    + " (expected: a namespace matching network "
                    + d.name()
                    + "'s namespaceSelector "
                    + d.namespaces()
                    + "; the slice is not served in it)"));
      }
    }
  }

  /** A tenant's hand-written slice must not point into another network's address space. */
  private void checkForeignSlices(List<EndpointSlice> foreign, NetworkDefinition network) {
    for (EndpointSlice s : foreign) {
      for (Endpoint e : s.getEndpoints()) {
        for (String a : e.getAddresses()) {
          boolean ok;
          try {
            ok = network.network().isPodAddress(IpAddress.parse(a));
          } catch (IllegalArgumentException ex) {
            ok = false;
          }
          if (!ok) {
            events.warn(
                new Problem(
                    "EndpointSlice",
                    s.getMetadata().getNamespace(),
                    s.getMetadata().getName(),
                    "ForeignEndpointAddress",
                    "address: "
                        + a
                        + " (expected: within network "
                        + network.name()
                        + "'s podCIDRs "
                        + network.network().podCidrs()
                        + "; the node proxy ignores it)"));
          }
        }
      }
    }
  }

  private void apply(SlicePlanner.Plan plan) {
    var api = client.discovery().v1().endpointSlices();
    for (EndpointSlice s : plan.deletes()) {
      api.inNamespace(s.getMetadata().getNamespace()).resource(s).delete();
      writes.incrementAndGet();
    }
    for (EndpointSlice s : plan.updates()) {
      api.inNamespace(s.getMetadata().getNamespace()).resource(s).update();
      writes.incrementAndGet();
    }
    for (EndpointSlice s : plan.creates()) {
      api.inNamespace(s.getMetadata().getNamespace()).resource(s).create();
      writes.incrementAndGet();
    }
  }

  private void deleteAll(List<EndpointSlice> ours) {
    apply(new SlicePlanner.Plan(List.of(), List.of(), ours));
  }

  // --- informer plumbing --------------------------------------------------------------------

  private <T extends HasMetadata> SharedIndexInformer<T> inform(
      SharedIndexInformer<T> informer, Function<T, Collection<String>> keys) {
    Informers.keepWatching(informer);
    informer.addEventHandler(
        new ResourceEventHandler<>() {
          @Override
          public void onAdd(T obj) {
            enqueue(keys.apply(obj));
          }

          @Override
          public void onUpdate(T oldObj, T newObj) {
            enqueue(keys.apply(oldObj));
            enqueue(keys.apply(newObj));
          }

          @Override
          public void onDelete(T obj, boolean deletedFinalStateUnknown) {
            enqueue(keys.apply(obj));
          }
        });
    informers.add(informer);
    return informer;
  }

  private void enqueue(Collection<String> keys) {
    Instant now = clock.instant();
    for (String k : keys) {
      queue.add(k, now);
    }
  }

  /**
   * The network Services of a pod's namespace whose selector matches the pod. Only those can change
   * when the pod does (an update is asked for both the old and the new pod, so a pod that leaves a
   * selector is covered); the others would reconcile to no change, and with 100 Services and 1,000
   * pods a namespace that was 100 reconciles of 1,000 pods each per pod update. Changes of
   * Services, Namespaces and Networks enqueue their Services themselves.
   */
  private List<String> servicesSelecting(Pod pod) {
    String ns = pod.getMetadata().getNamespace();
    Namespace namespace = get(namespaces, ns);
    NetworkCatalog current = catalog;
    List<String> out = new ArrayList<>();
    for (Service s : byNamespace(services, ns)) {
      if (ServiceNetworkResolver.resolve(s, namespace, current)
              instanceof ServiceNetworkResolver.Resolved r
          && r.serviceNetwork().network() != null
          && EndpointBuilder.matches(
              r.serviceNetwork().selector(), pod.getMetadata().getLabels())) {
        out.add(key(s));
      }
    }
    return out;
  }

  /**
   * A claim's holder; and the networks pass for a Service's claim on an address a network asks for
   * as its DNS address, so that the network claims it once the Service lets it go.
   */
  private List<String> claimKeys(ClusterIPClaim c) {
    ClusterIPClaim.Spec s = c.getSpec();
    if (s == null) {
      return List.of();
    }
    if (s.heldByNetwork()) {
      return List.of(DNS_KEY);
    }
    String service = s.serviceNamespace + "/" + s.serviceName;
    NetworkDefinition d = s.network == null ? null : catalog.byName(s.network);
    NetworkDns dns = d == null ? null : d.dns();
    if (dns != null && s.address != null) {
      try {
        if (dns.requested().contains(IpAddress.parse(s.address))) {
          return List.of(service, DNS_KEY);
        }
      } catch (IllegalArgumentException e) {
        // not an address: no network asks for it
      }
    }
    return List.of(service);
  }

  private List<String> servicesIn(String namespace) {
    List<String> out = new ArrayList<>();
    for (Service s : byNamespace(services, namespace)) {
      out.add(key(s));
    }
    return out;
  }

  private List<String> allServices() {
    List<String> out = new ArrayList<>();
    for (Service s : store(services)) {
      out.add(key(s));
    }
    return out;
  }

  private static final String BY_SERVICE = "multinet.io/by-service";

  /** The namespace/name of the Service a slice names, as a list (the index's and queue's form). */
  private static List<String> sliceService(EndpointSlice s) {
    String svc = label(s, WellKnown.SERVICE_NAME_LABEL);
    return svc == null ? List.of() : List.of(s.getMetadata().getNamespace() + "/" + svc);
  }

  private static String key(HasMetadata o) {
    return o.getMetadata().getNamespace() + "/" + o.getMetadata().getName();
  }

  private static @Nullable String label(HasMetadata o, String key) {
    Map<String, String> labels = o.getMetadata().getLabels();
    return labels == null ? null : labels.get(key);
  }

  private static <T> List<T> store(@Nullable SharedIndexInformer<T> informer) {
    return informer == null ? List.of() : informer.getStore().list();
  }

  private static <T> List<T> byNamespace(
      @Nullable SharedIndexInformer<T> informer, String namespace) {
    return informer == null
        ? List.of()
        : informer.getIndexer().byIndex(Cache.NAMESPACE_INDEX, namespace);
  }

  private static <T> @Nullable T get(@Nullable SharedIndexInformer<T> informer, String key) {
    return informer == null ? null : informer.getStore().getByKey(key);
  }
}
