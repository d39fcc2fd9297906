package io.multinet.nodeproxy;

import static java.util.Objects.requireNonNull;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.fabric8.kubernetes.client.CustomResource;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.multinet.change.Change;
import io.multinet.change.ChangeTracker;
import io.multinet.dataplane.programmer.DataplaneProgrammer;
import io.multinet.dataplane.v1.DesiredState;
import io.multinet.kube.Informers;
import io.multinet.kube.crd.CalicoNetworkResource;
import io.multinet.kube.crd.NetworkAttachmentDefinition;
import io.multinet.kube.crd.NetworkResource;
import io.multinet.network.IpAddress;
import io.multinet.nodeproxy.dns.DnsOptions;
import io.multinet.nodeproxy.dns.DnsServer;
import io.multinet.nodeproxy.view.ServicePortMapper;
import io.multinet.nodeproxy.view.SliceRecord;
import io.multinet.service.NodeInfo;
import io.multinet.sync.SyncRunner;
import io.multinet.table.ServiceTable;
import io.multinet.table.ServiceTableHolder;
import io.multinet.table.TableDiff;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.function.Supplier;
import java.util.logging.Level;
import java.util.logging.Logger;
import org.jspecify.annotations.Nullable;

/**
 * The node proxy: informers on Services, EndpointSlices, Namespaces, Networks and its own Node
 * request syncs from one {@link SyncRunner}; a sync builds the node's {@link ServiceTable}
 * (kube-proxy semantics for the default network, per-network Services for the others), publishes
 * it, and hands the desired state to the dataplane programmer, which sends only what changed.
 * Nothing is programmed before every informer has synced; any failure makes the next sync a full
 * one.
 */
public final class NodeProxy implements AutoCloseable {

  private static final Logger LOG = Logger.getLogger(NodeProxy.class.getName());

  /**
   * Settings, kube-proxy's names in brackets.
   *
   * @param dns the per-network DNS server's settings; null: no DNS server
   * @param defaultNetworkDns the default network's DNS addresses, when {@code dns} serves it too
   *     ({@link DnsOptions#defaultNetwork}); the default network has no Network to say them
   */
  public record Options(
      Duration minSyncPeriod,
      Duration syncPeriod,
      @Nullable String serviceProxyName,
      List<String> clusterCidrs,
      boolean masqueradeAll,
      List<String> nodePortAddresses,
      @Nullable DnsOptions dns,
      List<IpAddress> defaultNetworkDns) {
    public static final Options DEFAULTS =
        new Options(Duration.ofSeconds(1), Duration.ofSeconds(30), null, List.of(), false);

    public Options {
      requireNonNull(minSyncPeriod, "minSyncPeriod");
      requireNonNull(syncPeriod, "syncPeriod");
      clusterCidrs = List.copyOf(requireNonNull(clusterCidrs, "clusterCidrs"));
      nodePortAddresses = List.copyOf(requireNonNull(nodePortAddresses, "nodePortAddresses"));
      defaultNetworkDns = List.copyOf(requireNonNull(defaultNetworkDns, "defaultNetworkDns"));
    }

    /** Without a DNS server. */
    public Options(
        Duration minSyncPeriod,
        Duration syncPeriod,
        @Nullable String serviceProxyName,
        List<String> clusterCidrs,
        boolean masqueradeAll,
        List<String> nodePortAddresses) {
      this(
          minSyncPeriod,
          syncPeriod,
          serviceProxyName,
          clusterCidrs,
          masqueradeAll,
          nodePortAddresses,
          null,
          List.of());
    }

    /** NodePorts on every local address (kube-proxy's nodePortAddresses left empty). */
    public Options(
        Duration minSyncPeriod,
        Duration syncPeriod,
        @Nullable String serviceProxyName,
        List<String> clusterCidrs,
        boolean masqueradeAll) {
      this(minSyncPeriod, syncPeriod, serviceProxyName, clusterCidrs, masqueradeAll, List.of());
    }

    /** These options with a DNS server ({@code null}: none). */
    public Options withDns(@Nullable DnsOptions value, List<IpAddress> defaultNetworkAddresses) {
      return new Options(
          minSyncPeriod,
          syncPeriod,
          serviceProxyName,
          clusterCidrs,
          masqueradeAll,
          nodePortAddresses,
          value,
          defaultNetworkAddresses);
    }
  }

  private final KubernetesClient client;
  private final String nodeName;
  private final DataplaneProgrammer programmer;
  private final Clock clock;
  private final SyncRunner runner;
  private final ServiceTableHolder holder;
  private final ProxyMetrics metrics;
  private final List<SharedIndexInformer<?>> informers = new ArrayList<>();
  private @Nullable SharedIndexInformer<Service> services;
  private @Nullable SharedIndexInformer<EndpointSlice> slices;
  private @Nullable SharedIndexInformer<Namespace> namespaces;
  private @Nullable SharedIndexInformer<NetworkResource> networks;
  private @Nullable SharedIndexInformer<CalicoNetworkResource> calico;
  private @Nullable SharedIndexInformer<NetworkAttachmentDefinition> nads;
  private @Nullable SharedIndexInformer<Node> node;
  private volatile @Nullable Supplier<DesiredState> lastState;
  private volatile @Nullable ServiceHealthServers serviceHealth;
  private final ChangeTracker<String, Relevant> changes = new ChangeTracker<>();
  private final NodePipeline pipeline;
  private final @Nullable DnsServer dns;
  private final Caches caches = new InformerCaches();
  private final SliceStore sliceStore = new SliceStore();

  public NodeProxy(
      KubernetesClient client,
      String nodeName,
      DataplaneProgrammer programmer,
      Clock clock,
      Options options) {
    this.client = requireNonNull(client, "client");
    this.nodeName = requireNonNull(nodeName, "nodeName");
    this.programmer = requireNonNull(programmer, "programmer");
    this.clock = requireNonNull(clock, "clock");
    requireNonNull(options, "options");
    DnsOptions dnsOptions = options.dns();
    this.dns = dnsOptions == null ? null : new DnsServer(dnsOptions);
    DnsServer server = dns;
    this.pipeline =
        new NodePipeline(
            nodeName,
            options,
            server == null
                ? null
                : snapshot -> {
                  server.update(snapshot);
                  return server.ports();
                });
    this.holder = new ServiceTableHolder(ServiceTable.empty(new NodeInfo(nodeName, null)));
    this.metrics = new ProxyMetrics(clock);
    if (server != null) {
      metrics.include(server.metrics()::render);
    }
    this.runner =
        new SyncRunner(
            "node-proxy-sync",
            this::sync,
            clock,
            options.minSyncPeriod(),
            options.syncPeriod(),
            Duration.ofMillis(500),
            options.syncPeriod());
  }

  /** Starts the informers, waits for every cache, then starts syncing. */
  public void start() {
    namespaces = inform(client.namespaces().runnableInformer(0));
    services =
        inform(client.services().inAnyNamespace().runnableInformer(0).itemStore(new SlimStore<>()));
    slices =
        inform(
            client
                .discovery()
                .v1()
                .endpointSlices()
                .inAnyNamespace()
                .runnableInformer(0)
                .itemStore(sliceStore));
    // The store indexes its records by Service itself: the informer's namespace index would only
    // add a key per slice.
    slices.removeNamespaceIndex();
    networks = inform(client.resources(NetworkResource.class).runnableInformer(0));
    if (Informers.crdExists(client, Informers.CALICO_CRD)) {
      calico =
          inform(
              client.resources(CalicoNetworkResource.class).inAnyNamespace().runnableInformer(0));
    }
    if (Informers.crdExists(client, Informers.NAD_CRD)) {
      nads =
          inform(
              client
                  .resources(NetworkAttachmentDefinition.class)
                  .inAnyNamespace()
                  .runnableInformer(0));
    }
    node = inform(client.nodes().withName(nodeName).runnableInformer(0));
    // All lists at once: at 10k Services the Service and EndpointSlice lists take as long each.
    var started = new ArrayList<CompletableFuture<Void>>();
    for (SharedIndexInformer<?> i : informers) {
      started.add(i.start().toCompletableFuture());
    }
    started.forEach(CompletableFuture::join);
    runner.start();
  }

  /**
   * A partial sync remaps only the Services whose Service or EndpointSlices changed (kube-proxy's
   * change trackers) and reuses everything else: the other ports' table entries, Maglev tables and
   * protos, so the dataplane programmer's diff finds them identical at once. Any other change
   * (Networks, Namespaces, the Node) and every full sync remap every Service from the caches.
   */
  private void sync(boolean full) throws Exception {
    long start = System.nanoTime();
    Map<String, Change<Relevant>> pending = changes.drain();
    Instant queued = runner.queuedSince();
    NodePipeline.Result run = pipeline.run(caches, full ? null : dirtyServices(pending));
    if (full) {
      programmer.forceFull();
    }
    try {
      programmer.apply(run.snapshot(), run.revision(), run.baseRevision(), run.delta());
    } catch (Exception e) {
      metrics.syncFailed();
      throw e;
    }
    ServiceTable before = holder.current();
    TableDiff diff = holder.publish(run.table());
    syncServiceHealth(run.table());
    lastState = run.snapshot();
    metrics.synced(
        Duration.ofNanos(System.nanoTime() - start), queued, before, run.table(), diff, full);
    observeProgrammingLatency(run.table(), diff);
    if (!run.skipped().isEmpty()) {
      LOG.log(Level.FINE, "skipped: {0}", run.skipped());
    }
  }

  /**
   * The Services that {@code pending} touches, or null when it holds a change that can affect every
   * Service (a Network, Namespace or Node).
   */
  private static @Nullable Set<String> dirtyServices(Map<String, Change<Relevant>> pending) {
    Set<String> dirty = new HashSet<>();
    for (Change<Relevant> c : pending.values()) {
      for (Relevant r : Arrays.asList(c.previous(), c.current())) {
        if (r == null) {
          continue;
        }
        if (r.service() == null) {
          return null;
        }
        dirty.add(r.service());
      }
    }
    return dirty;
  }

  private static String key(HasMetadata o) {
    return o.getMetadata().getNamespace() + "/" + o.getMetadata().getName();
  }

  /** Health check node ports of default-network Services with external traffic policy Local. */
  private void syncServiceHealth(ServiceTable table) {
    ServiceHealthServers servers = serviceHealth;
    if (servers == null) {
      return;
    }
    var wanted = new HashMap<Integer, ServiceHealthServers.Target>();
    var healthPorts = new HashMap<String, Integer>();
    for (Service s : list(services)) {
      var spec = s.getSpec();
      if (spec != null
          && spec.getHealthCheckNodePort() != null
          && spec.getHealthCheckNodePort() != 0
          && "Local".equals(spec.getExternalTrafficPolicy())) {
        healthPorts.put(key(s), spec.getHealthCheckNodePort());
      }
    }
    if (healthPorts.isEmpty()) {
      servers.sync(wanted);
      return;
    }
    var local = new HashMap<String, Integer>();
    for (var sp : table.servicePorts()) {
      String k = sp.name().namespace() + "/" + sp.name().name();
      if (sp.key().networkId() != 0 || !healthPorts.containsKey(k)) {
        continue;
      }
      for (var e : sp.endpoints()) {
        if (e.ready() && e.isLocalTo(nodeName)) {
          local.merge(k, 1, Integer::sum);
        }
      }
    }
    healthPorts.forEach(
        (k, port) -> {
          int slash = k.indexOf('/');
          wanted.put(
              port,
              new ServiceHealthServers.Target(
                  k.substring(0, slash), k.substring(slash + 1), local.getOrDefault(k, 0)));
        });
    servers.sync(wanted);
  }

  /** Serves health check node ports from now on (the DaemonSet does; tests may not). */
  public void enableServiceHealth(ServiceHealthServers servers) {
    this.serviceHealth = servers;
    runner.request();
  }

  /**
   * kube-proxy's network programming latency: for each changed service, the time since its
   * EndpointSlices' last-change-trigger-time.
   */
  private void observeProgrammingLatency(ServiceTable table, TableDiff diff) {
    var services = new java.util.HashSet<String>();
    for (var key : diff.added()) {
      var sp = table.servicePort(key);
      if (sp != null) {
        services.add(sp.name().namespace() + "/" + sp.name().name());
      }
    }
    for (var key : diff.changed()) {
      var sp = table.servicePort(key);
      if (sp != null) {
        services.add(sp.name().namespace() + "/" + sp.name().name());
      }
    }
    if (services.isEmpty()) {
      return;
    }
    Instant now = clock.instant();
    for (String service : services) {
      for (SliceRecord s : sliceStore.slices(service)) {
        String trigger = s.triggerTime();
        if (trigger == null) {
          continue;
        }
        try {
          metrics.programmed(Duration.between(Instant.parse(trigger), now));
        } catch (DateTimeParseException e) {
          // a foreign slice with a malformed annotation: no sample
        }
      }
    }
  }

  /** The table the dataplane was last programmed with. */
  public ServiceTable table() {
    return holder.current();
  }

  /**
   * The desired state last acknowledged by the dataplane, or null before the first sync. Built on
   * the first read of each state (O(ports)); {@link #table} is the cheap way to watch for syncs.
   */
  public @Nullable DesiredState lastState() {
    Supplier<DesiredState> s = lastState;
    return s == null ? null : s.get();
  }

  public SyncRunner runner() {
    return runner;
  }

  public ProxyMetrics metrics() {
    return metrics;
  }

  /** Whether this node still exists and is not being removed (kube-proxy's NodeEligible). */
  public boolean nodeEligible() {
    Node self = node == null ? null : node.getStore().getByKey(nodeName);
    return self != null && self.getMetadata().getDeletionTimestamp() == null;
  }

  /** A graceful stop: the rules stay in place for the next start. */
  @Override
  public void close() {
    runner.close();
    for (SharedIndexInformer<?> i : informers) {
      i.close();
    }
    if (dns != null) {
      dns.close();
    }
  }

  /** The DNS server, or null when the options have none. */
  public @Nullable DnsServer dns() {
    return dns;
  }

  private <T extends HasMetadata> SharedIndexInformer<T> inform(SharedIndexInformer<T> informer) {
    Informers.keepWatching(informer);
    informer.addEventHandler(
        new ResourceEventHandler<>() {
          @Override
          public void onAdd(T obj) {
            track(obj, null, obj);
          }

          @Override
          public void onUpdate(T oldObj, T newObj) {
            track(newObj, oldObj, newObj);
          }

          @Override
          public void onDelete(T obj, boolean deletedFinalStateUnknown) {
            track(obj, obj, null);
          }
        });
    informers.add(informer);
    return informer;
  }

  /**
   * kube-proxy's change tracking: {previous, current} per object, where "current" is only what a
   * sync reads (labels, annotations, spec, endpoints, a Service's status; not resourceVersion or
   * managed fields), so updates that change nothing programmable never cost a sync.
   */
  private void track(HasMetadata key, @Nullable HasMetadata before, @Nullable HasMetadata after) {
    String k = key.getKind() + "/" + key(key);
    if (changes.update(k, relevant(before), relevant(after))) {
      runner.request();
    }
  }

  /**
   * The parts of an object a sync reads, by reference to the informer's own objects (compared with
   * the model classes' equals: no copies kept), and the Service it concerns: null for objects that
   * can concern every Service.
   */
  record Relevant(@Nullable String service, List<@Nullable Object> parts) {}

  static @Nullable Relevant relevant(@Nullable HasMetadata o) {
    if (o == null) {
      return null;
    }
    var m = o.getMetadata();
    List<@Nullable Object> parts =
        new ArrayList<>(
            Arrays.asList(
                m.getName(),
                m.getNamespace(),
                m.getLabels(),
                m.getAnnotations(),
                m.getDeletionTimestamp()));
    String service = null;
    switch (o) {
      case Service s -> {
        parts.add(s.getSpec());
        parts.add(s.getStatus()); // its load-balancer IPs
        service = key(s);
      }
      case EndpointSlice s -> {
        // The record is what a sync reads: compared without its resourceVersion.
        SliceRecord r = s instanceof SliceStore.View v ? v.record() : SliceRecord.of(s);
        service = r.serviceKey();
        if (service == null) {
          return null; // names no Service: no sync reads it
        }
        return new Relevant(
            service,
            Arrays.asList(
                r.namespace(),
                r.name(),
                r.network(),
                r.ours(),
                r.addressType(),
                r.endpoints(),
                r.ports(),
                r.triggerTime()));
      }
      case NetworkResource r -> {
        parts.add(r.getSpec());
        // The DNS addresses the controller allocated; its conditions are not read.
        parts.add(r.getStatus() == null ? null : r.getStatus().dns);
      }
      case CustomResource<?, ?> r -> parts.add(r.getSpec());
      case Namespace _ -> {
        // labels and annotations (the default network) are all a sync reads
      }
      case Node _ -> {
        // labels (the zone) and the deletion timestamp are all a sync reads
      }
      default -> parts.add(o); // unknown kinds: every update counts
    }
    return new Relevant(service, parts);
  }

  private static <T> List<T> list(@Nullable SharedIndexInformer<T> informer) {
    return informer == null ? List.of() : informer.getStore().list();
  }

  Clock clock() {
    return clock;
  }

  /** What the last sync mapped for a Service (sync-thread state, read by tests once settled). */
  ServicePortMapper.@Nullable Result mapped(String service) {
    return pipeline.mapped(service);
  }

  /** The informers' caches as the pipeline reads them (empty until {@link #start}). */
  private final class InformerCaches implements Caches {
    @Override
    public List<Service> services() {
      return list(services);
    }

    @Override
    public @Nullable Service service(String key) {
      return services == null ? null : services.getStore().getByKey(key);
    }

    @Override
    public List<SliceRecord> slices(String key) {
      return sliceStore.slices(key);
    }

    @Override
    public @Nullable Namespace namespace(String name) {
      return namespaces == null ? null : namespaces.getStore().getByKey(name);
    }

    @Override
    public List<NetworkResource> networks() {
      return list(networks);
    }

    @Override
    public List<CalicoNetworkResource> calicoNetworks() {
      return list(calico);
    }

    @Override
    public List<NetworkAttachmentDefinition> attachments() {
      return list(nads);
    }

    @Override
    public @Nullable Node node() {
      return node == null ? null : node.getStore().getByKey(nodeName);
    }
  }
}
