package io.multinet.benchmarks.scale;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.api.model.OwnerReferenceBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodCondition;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.PodStatus;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.discovery.v1.Endpoint;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointConditions;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.fabric8.kubernetes.client.informers.cache.BasicItemStore;
import io.fabric8.kubernetes.client.informers.cache.Cache;
import io.fabric8.kubernetes.client.informers.cache.ItemStore;
import io.fabric8.kubernetes.client.informers.impl.cache.CacheImpl;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.multinet.kube.WellKnown;
import io.multinet.kube.crd.NetworkResource;
import io.multinet.network.IpAddress;
import io.multinet.nodeproxy.NodePipeline;
import io.multinet.nodeproxy.NodeProxy;
import io.multinet.nodeproxy.SliceStore;
import io.multinet.nodeproxy.SlimStore;
import io.multinet.nodeproxy.view.SliceRecord;
import io.multinet.watcher.PodStore;
import io.multinet.watcher.slice.DesiredEndpoint;
import io.multinet.watcher.slice.PortRef;
import io.multinet.watcher.slice.SlicePlanner;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.IntFunction;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;

/**
 * Retained heap of the stores the informers fill, the old way (fabric8 objects trimmed in place, as
 * the stores did before records: a copy of that code is kept here as the baseline) and the record
 * way, in the same run. Each object arrives as a watch delivers it: its JSON parsed by fabric8 into
 * fresh strings and objects, then put into an informer cache ({@link CacheImpl}, with the indexes
 * the process gives it) whose item store is the one measured. Retained heap is the live heap of a
 * class histogram (a full GC first) with the store filled, minus the one before.
 *
 * <p>Node proxy: Services × 10 endpoints, on the default network (the scale harness's slices with
 * the metadata an API server adds) and over three networks (the controller's own slices, as {@link
 * SlicePlanner} writes them: pod references, the interfaces annotation, the trigger time); the
 * Service store (fabric8 objects in both) and the node pipeline's state after a full sync (table
 * and protos) are measured beside. Controller: 100k pods (10k Services × 10) with the
 * network-status annotation and the metadata a Deployment's pods carry.
 *
 * <p>Run: {@code java -Xmx4g -cp benchmarks/target/benchmarks.jar
 * io.multinet.benchmarks.scale.StoreHeap [scenario...]} (scenarios: {@code np-10k}, {@code
 * np-10k-3net}, {@code np-100k}, {@code ctl-100k}; all by default).
 */
public final class StoreHeap {

  private static final int ENDPOINTS = 10;

  private StoreHeap() {}

  public static void main(String[] args) throws Exception {
    List<String> which =
        args.length == 0 ? List.of("np-10k", "np-10k-3net", "np-100k", "ctl-100k") : List.of(args);
    System.out.println(
        "| store | old (fabric8 objects) | records | saved | per endpoint / pod, old → records |");
    System.out.println("|---|---:|---:|---:|---:|");
    for (String w : which) {
      switch (w) {
        case "np-10k" -> nodeProxy("node proxy 10k × 10, default network", 10_000, false);
        case "np-10k-3net" -> nodeProxy("node proxy 10k × 10, three networks", 10_000, true);
        case "np-100k" -> nodeProxy("node proxy 100k × 10, default network", 100_000, false);
        case "ctl-100k" -> controller("controller 100k pods", 10_000);
        default -> throw new IllegalArgumentException("scenario: " + w);
      }
    }
  }

  // --- node proxy ----------------------------------------------------------------------------

  private static void nodeProxy(String title, int services, boolean threeNetworks)
      throws Exception {
    IntFunction<byte[]> slices =
        i -> json(threeNetworks ? controllerSlice(i) : apiServer(ScaleHarness.slice(i, 0), i));
    IntFunction<byte[]> svcs =
        i -> json(apiServer(threeNetworks ? ThreeNetworks.service(i) : ScaleHarness.service(i), i));
    long endpoints = (long) services * ENDPOINTS;

    long old =
        retained(
            () -> fill(services, slices, EndpointSlice.class, new OldSliceStore(), true, true));
    long records =
        retained(() -> fill(services, slices, EndpointSlice.class, new SliceStore(), false, false));
    row(title + ": EndpointSlice store", old, records, endpoints, "endpoint");

    long serviceStore =
        retained(() -> fill(services, svcs, Service.class, new SlimStore<Service>(), true, false));
    System.out.printf(
        Locale.ROOT,
        "| %s: Service store (fabric8 objects in both) | %.1f MiB | %.1f MiB | | %,.0f B per Service |%n",
        title,
        mib(serviceStore),
        mib(serviceStore),
        (double) serviceStore / services);

    // The rest of what a node proxy holds for its Services: the pipeline after a full sync.
    var sliceCache = fill(services, slices, EndpointSlice.class, new SliceStore(), false, false);
    var serviceCache = fill(services, svcs, Service.class, new SlimStore<Service>(), true, false);
    var caches = new StoreCaches(serviceCache, sliceCache.store());
    long pipeline =
        retained(
            () -> {
              var p = new NodePipeline(ScaleHarness.NODE, NodeProxy.Options.DEFAULTS);
              var r = p.run(caches, null);
              if (r.table().size() != services) {
                throw new IllegalStateException(
                    "table: " + r.table().size() + " ports (expected: " + services + ")");
              }
              return List.of(p, r);
            });
    System.out.printf(
        Locale.ROOT,
        "| %s: node pipeline after a full sync (table, protos; same in both) | %.1f MiB | %.1f MiB | | %,.0f B per endpoint |%n",
        title,
        mib(pipeline),
        mib(pipeline),
        (double) pipeline / endpoints);
    System.out.printf(
        Locale.ROOT,
        "| %s: **stores + pipeline** | **%.1f MiB** | **%.1f MiB** | %.1f MiB | %,.0f → %,.0f B per endpoint |%n",
        title,
        mib(old + serviceStore + pipeline),
        mib(records + serviceStore + pipeline),
        mib(old - records),
        (double) (old + serviceStore + pipeline) / endpoints,
        (double) (records + serviceStore + pipeline) / endpoints);
    System.out.flush();
  }

  /** An informer's cache over {@code store}, filled with {@code count} objects from JSON. */
  private static <T extends HasMetadata, S extends ItemStore<T>> Filled<T, S> fill(
      int count,
      IntFunction<byte[]> json,
      Class<T> type,
      S store,
      boolean namespaceIndex,
      boolean byServiceIndex) {
    var cache =
        new CacheImpl<T>(
            Cache.NAMESPACE_INDEX, Cache::metaNamespaceIndexFunc, Cache::metaNamespaceKeyFunc);
    cache.setItemStore(store);
    if (!namespaceIndex) {
      cache.removeIndexer(Cache.NAMESPACE_INDEX);
    }
    if (byServiceIndex) {
      cache.addIndexFunc(
          "multinet.io/by-service",
          o -> {
            var labels = o.getMetadata().getLabels();
            String svc = labels == null ? null : labels.get(WellKnown.SERVICE_NAME_LABEL);
            return svc == null ? List.of() : List.of(o.getMetadata().getNamespace() + "/" + svc);
          });
    }
    for (int i = 0; i < count; i++) {
      var _ =
          cache.put(Serialization.unmarshal(new java.io.ByteArrayInputStream(json.apply(i)), type));
    }
    return new Filled<>(cache, store);
  }

  private record Filled<T extends HasMetadata, S>(CacheImpl<T> cache, S store) {}

  /** The metadata a real API server adds to every object it stores. */
  private static <T extends HasMetadata> T apiServer(T o, int i) {
    ObjectMeta m = o.getMetadata();
    m.setUid(new UUID(0x5ca1e, i).toString());
    m.setResourceVersion(Integer.toString(1_000_000 + i));
    m.setCreationTimestamp("2026-12-08T00:00:00Z");
    m.setGeneration(1L);
    return o;
  }

  /** Service {@code i}'s slice on its network, as the controller writes it. */
  private static EndpointSlice controllerSlice(int i) {
    String network = ThreeNetworks.NAMES[i % 3];
    String ns = ThreeNetworks.namespace(i);
    List<DesiredEndpoint> desired = new ArrayList<>();
    for (int j = 0; j < ENDPOINTS; j++) {
      desired.add(
          new DesiredEndpoint(
              IpAddress.parse(ScaleHarness.endpoint(i, j, 0)),
              List.of(new PortRef("http", "TCP", 8080)),
              ns,
              ThreeNetworks.name(i) + "-" + j,
              new UUID(0x90d, (long) i * ENDPOINTS + j).toString(),
              ScaleHarness.node(i, j),
              null,
              true,
              true,
              false,
              Set.of(),
              "net1",
              null));
    }
    var plan =
        SlicePlanner.plan(
            new SlicePlanner.Owner(ns, ThreeNetworks.name(i), new UUID(0x5e, i).toString()),
            network,
            desired,
            List.of(),
            "2026-12-08T00:00:00Z");
    EndpointSlice slice = apiServer(plan.creates().getFirst(), i);
    // The controller creates by generateName; the API server names it.
    slice.getMetadata().setName(slice.getMetadata().getGenerateName() + "x7k2p");
    return slice;
  }

  /** What a pipeline reads, over the stores. */
  private record StoreCaches(
      Filled<Service, SlimStore<Service>> serviceCache, SliceStore sliceStore)
      implements BenchCaches {
    @Override
    public Collection<Service> services() {
      return serviceCache.cache().list();
    }

    @Override
    public @Nullable Service service(String key) {
      return serviceCache.cache().getByKey(key);
    }

    @Override
    public Collection<SliceRecord> slices(String key) {
      return sliceStore.slices(key);
    }

    @Override
    public Collection<NetworkResource> networks() {
      return ThreeNetworksCatalog.NETWORKS;
    }
  }

  /** The three networks of {@link ThreeNetworks}, as the node proxy's cache lists them. */
  private static final class ThreeNetworksCatalog {
    static final List<NetworkResource> NETWORKS = networks();

    private static List<NetworkResource> networks() {
      List<NetworkResource> out = new ArrayList<>();
      for (int n = 0; n < ThreeNetworks.NAMES.length; n++) {
        var network = new NetworkResource();
        network.getMetadata().setName(ThreeNetworks.NAMES[n]);
        var spec = new NetworkResource.Spec();
        spec.id = ThreeNetworks.FIRST_ID + n;
        spec.serviceCIDRs = List.of("10.96.0.0/16");
        spec.podCIDRs = List.of("10.128.0.0/9");
        spec.attachments = List.of("default/" + ThreeNetworks.NAMES[n] + "-net");
        network.setSpec(spec);
        out.add(network);
      }
      return out;
    }
  }

  // --- controller ----------------------------------------------------------------------------

  private static void controller(String title, int services) throws Exception {
    IntFunction<byte[]> pods = n -> json(deploymentPod(n / ENDPOINTS, n % ENDPOINTS));
    int count = services * ENDPOINTS;
    long old = retained(() -> fill(count, pods, Pod.class, new OldPodStore(), true, false));
    long records = retained(() -> fill(count, pods, Pod.class, new PodStore(), false, false));
    row(title + ": pod store", old, records, count, "pod");
  }

  /** The harness's pod with what a Deployment's pod also carries. */
  private static Pod deploymentPod(int i, int j) {
    Pod p = apiServer(ThreeNetworks.pod(i, j, 0), i * ENDPOINTS + j);
    ObjectMeta m = p.getMetadata();
    m.setGenerateName(ThreeNetworks.name(i) + "-7d4b9c8f6d-");
    m.getLabels().put("pod-template-hash", "7d4b9c8f6d");
    m.setOwnerReferences(
        List.of(
            new OwnerReferenceBuilder()
                .withApiVersion("apps/v1")
                .withKind("ReplicaSet")
                .withName(ThreeNetworks.name(i) + "-7d4b9c8f6d")
                .withUid(new UUID(0x125, i).toString())
                .withController(true)
                .build()));
    p.getSpec().setServiceAccountName("default");
    p.getStatus().setPodIP(ScaleHarness.endpoint(i, j, 0));
    p.getStatus().setHostIP("192.0.2." + (i % 100));
    p.getStatus().setStartTime("2026-12-08T00:00:00Z");
    return p;
  }

  // --- measuring -----------------------------------------------------------------------------

  private static long retained(Supplier<Object> fill) throws Exception {
    long before = liveBytes();
    Object kept = fill.get();
    long after = liveBytes();
    if (kept.hashCode() == 42) { // keeps what was filled reachable until measured
      System.out.print("");
    }
    return after - before;
  }

  private static long liveBytes() throws Exception {
    System.gc();
    return HeapHistogram.now().totalBytes();
  }

  private static void row(String title, long old, long records, long count, String per) {
    System.out.printf(
        Locale.ROOT,
        "| %s | %.1f MiB | %.1f MiB | %.1f MiB (%.0f%%) | %,.0f → %,.0f B per %s |%n",
        title,
        mib(old),
        mib(records),
        mib(old - records),
        100.0 * (old - records) / old,
        (double) old / count,
        (double) records / count,
        per);
    System.out.flush();
  }

  private static byte[] json(Object o) {
    return Serialization.asJson(o).getBytes(java.nio.charset.StandardCharsets.UTF_8);
  }

  private static double mib(long bytes) {
    return bytes / 1048576.0;
  }

  // --- the old stores, as they were before records (the baseline) ---------------------------

  /** The node proxy's EndpointSlice store before records: fabric8 objects trimmed in place. */
  static final class OldSliceStore extends BasicItemStore<EndpointSlice> {
    private static final Map<String, Object> NO_PROPERTIES = Map.of();
    private static final Map<String, String> NO_TOPOLOGY = Map.of();
    static final String LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration";
    private final Map<String, String> names = new ConcurrentHashMap<>();
    private final Map<List<@Nullable Boolean>, EndpointConditions> conditions =
        new ConcurrentHashMap<>();

    OldSliceStore() {
      super(Cache::metaNamespaceKeyFunc);
    }

    @Override
    public EndpointSlice put(String key, EndpointSlice s) {
      ObjectMeta m = s.getMetadata();
      m.setManagedFields(null);
      m.setUid(null);
      m.setCreationTimestamp(null);
      m.setAdditionalProperties(shared(m.getAdditionalProperties()));
      m.setNamespace(intern(m.getNamespace()));
      m.setLabels(internAll(m.getLabels()));
      Map<String, String> annotations = m.getAnnotations();
      if (annotations != null && annotations.containsKey(LAST_APPLIED)) {
        annotations = new HashMap<>(annotations);
        annotations.remove(LAST_APPLIED);
      }
      m.setAnnotations(internAll(annotations));
      s.setAdditionalProperties(shared(s.getAdditionalProperties()));
      if (s.getEndpoints() != null) {
        for (Endpoint e : s.getEndpoints()) {
          e.setAdditionalProperties(shared(e.getAdditionalProperties()));
          if (e.getDeprecatedTopology() != null && e.getDeprecatedTopology().isEmpty()) {
            e.setDeprecatedTopology(NO_TOPOLOGY);
          }
          e.setTargetRef(null);
          e.setNodeName(intern(e.getNodeName()));
          e.setZone(intern(e.getZone()));
          if (e.getAddresses() != null) {
            e.setAddresses(List.copyOf(e.getAddresses()));
          }
          e.setConditions(shared(e.getConditions()));
        }
      }
      s.setAddressType(intern(s.getAddressType()));
      if (s.getPorts() != null) {
        s.getPorts()
            .forEach(
                p -> {
                  p.setAdditionalProperties(shared(p.getAdditionalProperties()));
                  p.setName(intern(p.getName()));
                  p.setProtocol(intern(p.getProtocol()));
                });
      }
      return super.put(key, s);
    }

    private @Nullable Map<String, String> internAll(@Nullable Map<String, String> labels) {
      if (labels == null || labels.isEmpty()) {
        return labels;
      }
      var out = new HashMap<String, String>(labels.size() * 2);
      labels.forEach(
          (k, v) -> {
            if (k != null && v != null) {
              out.put(intern(k), v.length() <= 64 ? intern(v) : v);
            }
          });
      return Map.copyOf(out);
    }

    private @Nullable EndpointConditions shared(@Nullable EndpointConditions c) {
      if (c == null || !shared(c.getAdditionalProperties()).isEmpty()) {
        return c;
      }
      return conditions.computeIfAbsent(
          Arrays.asList(c.getReady(), c.getServing(), c.getTerminating()),
          k -> {
            c.setAdditionalProperties(NO_PROPERTIES);
            return c;
          });
    }

    private static Map<String, Object> shared(@Nullable Map<String, Object> properties) {
      return properties == null || properties.isEmpty() ? NO_PROPERTIES : properties;
    }

    private @Nullable String intern(@Nullable String value) {
      if (value == null) {
        return null;
      }
      String known = names.get(value);
      if (known != null) {
        return known;
      }
      if (names.size() < 100_000) {
        names.putIfAbsent(value, value);
      }
      return value;
    }
  }

  /** The controller's pod store before records: fabric8 Pods trimmed in place. */
  static final class OldPodStore extends BasicItemStore<Pod> {
    static final String LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration";
    private static final Map<String, Object> NO_PROPERTIES = Map.of();
    private static final Map<List<@Nullable String>, PodCondition> CONDITIONS =
        new ConcurrentHashMap<>();

    OldPodStore() {
      super(Cache::metaNamespaceKeyFunc);
    }

    @Override
    public Pod put(String key, Pod pod) {
      pod.setAdditionalProperties(NO_PROPERTIES);
      ObjectMeta m = pod.getMetadata();
      m.setManagedFields(null);
      m.setOwnerReferences(null);
      m.setFinalizers(null);
      m.setAdditionalProperties(NO_PROPERTIES);
      Map<String, String> annotations = m.getAnnotations();
      if (annotations != null && annotations.containsKey(LAST_APPLIED)) {
        var kept = new HashMap<>(annotations);
        kept.remove(LAST_APPLIED);
        m.setAnnotations(kept);
      }
      PodSpec spec = pod.getSpec();
      if (spec != null) {
        var slim = new PodSpec();
        slim.setNodeName(spec.getNodeName());
        List<Container> containers = new ArrayList<>();
        for (Container c : spec.getContainers()) {
          var kept = new Container();
          kept.setName(c.getName());
          kept.setPorts(List.copyOf(c.getPorts() == null ? List.of() : c.getPorts()));
          kept.setArgs(null);
          kept.setCommand(null);
          kept.setEnv(null);
          kept.setEnvFrom(null);
          kept.setResizePolicy(null);
          kept.setVolumeDevices(null);
          kept.setVolumeMounts(null);
          kept.setAdditionalProperties(NO_PROPERTIES);
          containers.add(kept);
        }
        slim.setContainers(containers);
        slim.setEphemeralContainers(null);
        slim.setHostAliases(null);
        slim.setImagePullSecrets(null);
        slim.setInitContainers(null);
        slim.setNodeSelector(null);
        slim.setOverhead(null);
        slim.setReadinessGates(null);
        slim.setResourceClaims(null);
        slim.setSchedulingGates(null);
        slim.setTolerations(null);
        slim.setTopologySpreadConstraints(null);
        slim.setVolumes(null);
        slim.setAdditionalProperties(NO_PROPERTIES);
        pod.setSpec(slim);
      }
      PodStatus status = pod.getStatus();
      if (status != null) {
        var slim = new PodStatus();
        slim.setPhase(status.getPhase());
        slim.setConditions(
            (status.getConditions() == null ? List.<PodCondition>of() : status.getConditions())
                .stream().map(c -> condition(c.getType(), c.getStatus())).toList());
        slim.setContainerStatuses(null);
        slim.setEphemeralContainerStatuses(null);
        slim.setHostIPs(null);
        slim.setInitContainerStatuses(null);
        slim.setPodIPs(null);
        slim.setResourceClaimStatuses(null);
        slim.setAdditionalProperties(NO_PROPERTIES);
        pod.setStatus(slim);
      }
      return super.put(key, pod);
    }

    private static PodCondition condition(@Nullable String type, @Nullable String status) {
      return CONDITIONS.computeIfAbsent(
          Arrays.asList(type, status),
          k -> {
            var c = new PodCondition();
            c.setType(type);
            c.setStatus(status);
            c.setAdditionalProperties(NO_PROPERTIES);
            return c;
          });
    }
  }
}
