package io.multinet.nodeproxy;

import static java.util.Objects.requireNonNull;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.informers.ResourceEventHandler;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import io.fabric8.kubernetes.client.utils.KubernetesSerialization;
import io.multinet.change.ChangeTracker;
import io.multinet.dataplane.DesiredStates;
import io.multinet.dataplane.programmer.DataplaneProgrammer;
import io.multinet.dataplane.v1.DesiredState;
import io.multinet.dataplane.v1.KernelHints;
import io.multinet.dataplane.v1.NetworkSpec;
import io.multinet.dataplane.v1.NodeFacts;
import io.multinet.dataplane.v1.VppHints;
import io.multinet.service.NodeInfo;
import io.multinet.sync.SyncRunner;
import io.multinet.table.ServiceTable;
import io.multinet.table.ServiceTableHolder;
import io.multinet.table.TableDiff;
import io.multinet.watcher.crd.CalicoNetworkResource;
import io.multinet.watcher.crd.NetworkAttachmentDefinition;
import io.multinet.watcher.crd.NetworkResource;
import io.multinet.watcher.network.NetworkCatalog;
import io.multinet.watcher.network.NetworkDefinition;
import io.multinet.watcher.slice.EndpointBuilder;
import io.multinet.watcher.view.NodeView;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
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
  private static final String CALICO_CRD = "networks.projectcalico.org";
  private static final String NAD_CRD = "network-attachment-definitions.k8s.cni.cncf.io";

  /** Settings, kube-proxy's names in brackets. */
  public record Options(
      Duration minSyncPeriod,
      Duration syncPeriod,
      @Nullable String serviceProxyName,
      List<String> clusterCidrs,
      boolean masqueradeAll,
      List<String> nodePortAddresses) {
    public static final Options DEFAULTS =
        new Options(Duration.ofSeconds(1), Duration.ofSeconds(30), null, List.of(), false);

    public Options {
      requireNonNull(minSyncPeriod, "minSyncPeriod");
      requireNonNull(syncPeriod, "syncPeriod");
      clusterCidrs = List.copyOf(requireNonNull(clusterCidrs, "clusterCidrs"));
      nodePortAddresses = List.copyOf(requireNonNull(nodePortAddresses, "nodePortAddresses"));
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
  }

  private final KubernetesClient client;
  private final String nodeName;
  private final DataplaneProgrammer programmer;
  private final Clock clock;
  private final Options options;
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
  private volatile @Nullable DesiredState lastState;
  private volatile @Nullable ServiceHealthServers serviceHealth;
  private final ChangeTracker<String, String> changes = new ChangeTracker<>();
  private static final KubernetesSerialization SERIALIZATION = new KubernetesSerialization();

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
    this.options = requireNonNull(options, "options");
    this.holder = new ServiceTableHolder(ServiceTable.empty(new NodeInfo(nodeName, null)));
    this.metrics = new ProxyMetrics(clock);
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
    services = inform(client.services().inAnyNamespace().runnableInformer(0));
    slices = inform(client.discovery().v1().endpointSlices().inAnyNamespace().runnableInformer(0));
    networks = inform(client.resources(NetworkResource.class).runnableInformer(0));
    if (crdExists(CALICO_CRD)) {
      calico =
          inform(
              client.resources(CalicoNetworkResource.class).inAnyNamespace().runnableInformer(0));
    }
    if (crdExists(NAD_CRD)) {
      nads =
          inform(
              client
                  .resources(NetworkAttachmentDefinition.class)
                  .inAnyNamespace()
                  .runnableInformer(0));
    }
    node = inform(client.nodes().withName(nodeName).runnableInformer(0));
    for (SharedIndexInformer<?> i : informers) {
      i.start().toCompletableFuture().join();
    }
    runner.start();
  }

  private void sync(boolean full) throws Exception {
    long start = System.nanoTime();
    changes.drain(); // the sync reads every cache whole; pending changes are covered by it
    Instant queued = runner.queuedSince();
    NetworkCatalog catalog = NetworkCatalog.build(list(networks), list(calico), list(nads));
    Node self = node == null ? null : node.getStore().getByKey(nodeName);
    String zone =
        self == null || self.getMetadata().getLabels() == null
            ? null
            : self.getMetadata().getLabels().get(EndpointBuilder.ZONE_LABEL);
    var view =
        NodeView.build(
            new NodeInfo(nodeName, zone),
            catalog,
            list(services),
            list(slices),
            ns -> namespaces == null ? null : namespaces.getStore().getByKey(ns),
            options.serviceProxyName(),
            holder.current());
    DesiredState state =
        DesiredStates.from(
            view.table(),
            networkSpecs(catalog),
            NodeFacts.newBuilder()
                .setName(nodeName)
                .addAllClusterCidrs(options.clusterCidrs())
                .setMasqueradeAll(options.masqueradeAll())
                .addAllNodePortAddresses(options.nodePortAddresses())
                .build());
    if (full) {
      programmer.forceFull();
    }
    try {
      programmer.apply(state);
    } catch (Exception e) {
      metrics.syncFailed();
      throw e;
    }
    TableDiff diff = holder.publish(view.table());
    syncServiceHealth(view.table());
    lastState = state;
    metrics.synced(Duration.ofNanos(System.nanoTime() - start), queued, view.table(), diff, full);
    observeProgrammingLatency(view.table(), diff);
    if (!view.skipped().isEmpty()) {
      LOG.log(Level.FINE, "skipped: {0}", view.skipped());
    }
  }

  /** Health check node ports of default-network Services with external traffic policy Local. */
  private void syncServiceHealth(ServiceTable table) {
    ServiceHealthServers servers = serviceHealth;
    if (servers == null) {
      return;
    }
    var wanted = new HashMap<Integer, ServiceHealthServers.Target>();
    for (Service s : list(services)) {
      var spec = s.getSpec();
      if (spec == null
          || spec.getHealthCheckNodePort() == null
          || spec.getHealthCheckNodePort() == 0
          || !"Local".equals(spec.getExternalTrafficPolicy())) {
        continue;
      }
      int local = 0;
      for (var sp : table.servicePorts()) {
        if (sp.key().networkId() == 0
            && sp.name().namespace().equals(s.getMetadata().getNamespace())
            && sp.name().name().equals(s.getMetadata().getName())) {
          for (var e : sp.endpoints()) {
            if (e.ready() && e.isLocalTo(nodeName)) {
              local++;
            }
          }
        }
      }
      wanted.put(
          spec.getHealthCheckNodePort(),
          new ServiceHealthServers.Target(
              s.getMetadata().getNamespace(), s.getMetadata().getName(), local));
    }
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
    for (EndpointSlice s : list(slices)) {
      var labels = s.getMetadata().getLabels();
      var annotations = s.getMetadata().getAnnotations();
      String svc = labels == null ? null : labels.get("kubernetes.io/service-name");
      String trigger =
          annotations == null
              ? null
              : annotations.get("endpoints.kubernetes.io/last-change-trigger-time");
      if (svc != null
          && trigger != null
          && services.contains(s.getMetadata().getNamespace() + "/" + svc)) {
        try {
          metrics.programmed(Duration.between(Instant.parse(trigger), now));
        } catch (DateTimeParseException e) {
          // a foreign slice with a malformed annotation: no sample
        }
      }
    }
  }

  /** The dataplane's view of each network in the catalog (the proxy and explain both send it). */
  public static Map<Integer, NetworkSpec> networkSpecs(NetworkCatalog catalog) {
    Map<Integer, NetworkSpec> out = new HashMap<>();
    for (NetworkDefinition d : catalog.networks()) {
      var spec =
          NetworkSpec.newBuilder()
              .setId(d.network().id())
              .setName(d.name())
              .setKernel(
                  KernelHints.newBuilder()
                      .addAllInterfaces(d.kernelInterfaces())
                      .setRoutingTable(Objects.requireNonNullElse(d.routingTable(), 0)));
      if (d.vrf() != null) {
        spec.setVpp(VppHints.newBuilder().setVrf(d.vrf()));
      }
      out.put(d.network().id(), spec.build());
    }
    return out;
  }

  /** The table the dataplane was last programmed with. */
  public ServiceTable table() {
    return holder.current();
  }

  /** The desired state last acknowledged by the dataplane, or null before the first sync. */
  public @Nullable DesiredState lastState() {
    return lastState;
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
  }

  private <T extends HasMetadata> SharedIndexInformer<T> inform(SharedIndexInformer<T> informer) {
    informer.exceptionHandler((started, t) -> true);
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
    String k =
        key.getKind() + "/" + key.getMetadata().getNamespace() + "/" + key.getMetadata().getName();
    if (changes.update(k, relevant(before), relevant(after))) {
      runner.request();
    }
  }

  private static @Nullable String relevant(@Nullable HasMetadata o) {
    if (o == null) {
      return null;
    }
    var copy =
        KubernetesSerialization.class.cast(SERIALIZATION).convertValue(o, java.util.Map.class);
    @SuppressWarnings("unchecked")
    var metadata = (java.util.Map<String, Object>) copy.get("metadata");
    if (metadata != null) {
      metadata
          .keySet()
          .retainAll(
              java.util.Set.of("name", "namespace", "labels", "annotations", "deletionTimestamp"));
    }
    if (!(o instanceof Service)) {
      copy.remove("status"); // a Service's status holds its load-balancer IPs
    }
    return String.valueOf(copy);
  }

  private boolean crdExists(String name) {
    try {
      return client.apiextensions().v1().customResourceDefinitions().withName(name).get() != null;
    } catch (KubernetesClientException e) {
      return false;
    }
  }

  private static <T> List<T> list(@Nullable SharedIndexInformer<T> informer) {
    return informer == null ? List.of() : informer.getStore().list();
  }

  Clock clock() {
    return clock;
  }
}
