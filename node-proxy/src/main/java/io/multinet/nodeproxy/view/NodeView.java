package io.multinet.nodeproxy.view;

import static java.util.Objects.requireNonNull;

import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.multinet.kube.WellKnown;
import io.multinet.kube.network.NetworkCatalog;
import io.multinet.kube.network.NetworkDefinition;
import io.multinet.kube.service.ServiceNetworkResolver;
import io.multinet.network.Network;
import io.multinet.service.NodeInfo;
import io.multinet.service.ServicePort;
import io.multinet.table.ServiceTable;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;

/**
 * Builds one node's {@link ServiceTable} from Services, EndpointSlices, Namespaces and the network
 * catalog: what the node proxy programs and what {@code explain -o dataplane} prints.
 */
public final class NodeView {

  /** Services labelled so are another proxy's (kube-proxy's rule), unless it names us. */
  public static final String SERVICE_PROXY_NAME = "service.kubernetes.io/service-proxy-name";

  private NodeView() {}

  /** The table and what could not go into it. */
  public record Result(ServiceTable table, List<String> skipped) {}

  public static Result build(
      NodeInfo node,
      NetworkCatalog catalog,
      Collection<Service> services,
      Collection<EndpointSlice> slices,
      Function<String, @Nullable Namespace> namespaces,
      @Nullable String proxyName,
      @Nullable ServiceTable previous) {
    requireNonNull(node, "node");
    Map<String, List<SliceRecord>> byService = new HashMap<>();
    for (EndpointSlice s : slices) {
      String svc = serviceOf(s);
      if (svc != null) {
        byService.computeIfAbsent(svc, k -> new ArrayList<>()).add(SliceRecord.of(s));
      }
    }
    // By namespace/name, as the node proxy keeps them: on a clash the same Service wins.
    var sorted = new TreeMap<String, Service>();
    for (Service s : services) {
      sorted.put(s.getMetadata().getNamespace() + "/" + s.getMetadata().getName(), s);
    }
    List<ServicePortMapper.Result> mapped = new ArrayList<>();
    for (var e : sorted.entrySet()) {
      String key = e.getKey();
      Service s = e.getValue();
      var one =
          service(
              s,
              namespaces.apply(s.getMetadata().getNamespace()),
              catalog,
              byService.getOrDefault(key, List.of()),
              proxyName);
      if (one != null) {
        mapped.add(one);
      }
    }
    return assemble(node, catalog, mapped, previous);
  }

  /**
   * The {@code namespace/name} of the Service an EndpointSlice belongs to (its service-name label),
   * or null for a slice that names none.
   */
  public static @Nullable String serviceOf(EndpointSlice slice) {
    String svc =
        Objects.requireNonNullElse(slice.getMetadata().getLabels(), Map.<String, String>of())
            .get(WellKnown.SERVICE_NAME_LABEL);
    return svc == null ? null : slice.getMetadata().getNamespace() + "/" + svc;
  }

  /**
   * One Service's ports as this node serves them, or null when the Service is not this proxy's to
   * serve (another proxy's label, or a network that does not resolve: the controller reports that).
   * The node proxy keeps these per Service and remaps only the Services that changed.
   *
   * @param slices the slices naming the Service (see {@link #serviceOf})
   */
  public static ServicePortMapper.@Nullable Result service(
      Service service,
      @Nullable Namespace namespace,
      NetworkCatalog catalog,
      Collection<SliceRecord> slices,
      @Nullable String proxyName) {
    requireNonNull(service, "service");
    String label =
        Objects.requireNonNullElse(service.getMetadata().getLabels(), Map.<String, String>of())
            .get(SERVICE_PROXY_NAME);
    if (label != null && !label.equals(proxyName)) {
      return null;
    }
    var resolved = ServiceNetworkResolver.resolve(service, namespace, catalog);
    if (!(resolved instanceof ServiceNetworkResolver.Resolved r)) {
      return null; // the controller reports it; keep serving the rest
    }
    return ServicePortMapper.map(service, r.serviceNetwork().network(), slices);
  }

  /**
   * The table of Services already mapped by {@link #service}, in the order given (on a clash of
   * addresses the first one wins). Ports equal to {@code previous}'s keep its entries.
   */
  public static Result assemble(
      NodeInfo node,
      NetworkCatalog catalog,
      Iterable<ServicePortMapper.Result> services,
      @Nullable ServiceTable previous) {
    requireNonNull(node, "node");
    ServiceTable table = build(node, catalog, services, previous);
    List<String> skipped = new ArrayList<>();
    for (ServicePortMapper.Result mapped : services) {
      skipped.addAll(mapped.skipped());
    }
    table.rejections().forEach(rej -> skipped.add(rej.toString()));
    return new Result(table, skipped);
  }

  private static ServiceTable build(
      NodeInfo node,
      NetworkCatalog catalog,
      Iterable<ServicePortMapper.Result> services,
      @Nullable ServiceTable previous) {
    var builder = ServiceTable.builder(node).previous(previous);
    for (NetworkDefinition d : catalog.networks()) {
      builder.network(d.network());
    }
    for (ServicePortMapper.Result mapped : services) {
      for (ServicePort sp : mapped.ports()) {
        builder.add(sp);
      }
    }
    return builder.build();
  }

  /**
   * The Services a node proxy has mapped ({@link #service}), by {@code namespace/name}, and the
   * table assembled from them. {@link #assemble(NodeInfo, NetworkCatalog)} patches the previous
   * table with the Services put or removed since ({@link ServiceTable#patch}): a sync that changed
   * k Services costs O(k), whatever the number of Services. It builds the table from scratch, in
   * the order of names as {@link NodeView#assemble(NodeInfo, NetworkCatalog, Iterable,
   * ServiceTable)} does, the first time, when the node or the networks changed, and when a changed
   * port clashes with another one over an address (then which one wins depends on that order). Not
   * thread-safe: one sync thread owns it.
   */
  public static final class Assembly {
    private final TreeMap<String, ServicePortMapper.Result> mapped = new TreeMap<>();
    // What each Service changed since the last assembly had then (null: nothing).
    private Map<String, ServicePortMapper.@Nullable Result> before = new HashMap<>();
    // Only the Services that skipped something, so that collecting them stays cheap.
    private final TreeMap<String, List<String>> skipped = new TreeMap<>();
    private @Nullable ServiceTable table;
    private int rebuilds;

    /** What was put for {@code service} ({@code namespace/name}), or null. */
    public ServicePortMapper.@Nullable Result get(String service) {
      return mapped.get(requireNonNull(service, "service"));
    }

    /** Records {@code service}'s ports; the next assembly applies them. */
    public void put(String service, ServicePortMapper.Result result) {
      requireNonNull(service, "service");
      requireNonNull(result, "result");
      changing(service);
      mapped.put(service, result);
    }

    /** Takes out {@code service}'s ports at the next assembly. */
    public void remove(String service) {
      requireNonNull(service, "service");
      if (mapped.containsKey(service)) {
        changing(service);
        mapped.remove(service);
      }
    }

    /** Takes out every entry whose name starts with {@code prefix}. */
    public void removeStartingWith(String prefix) {
      requireNonNull(prefix, "prefix");
      // The names are sorted: those with the prefix are one range, whatever the number of others.
      var names = new ArrayList<String>();
      for (String k : mapped.tailMap(prefix, true).keySet()) {
        if (!k.startsWith(prefix)) {
          break;
        }
        names.add(k);
      }
      names.forEach(this::remove);
    }

    /** Takes out every Service not in {@code services} (a full sync's listing). */
    public void retainAll(Set<String> services) {
      requireNonNull(services, "services");
      var gone = new ArrayList<String>();
      for (String k : mapped.keySet()) {
        if (!services.contains(k)) {
          gone.add(k);
        }
      }
      gone.forEach(this::remove);
    }

    private void changing(String service) {
      if (!before.containsKey(service)) {
        before.put(service, mapped.get(service));
      }
    }

    /** How many Services are mapped. */
    public int size() {
      return mapped.size();
    }

    /** Every mapped Service's ports, in the order of names. */
    public Collection<ServicePortMapper.Result> values() {
      return Collections.unmodifiableCollection(mapped.values());
    }

    /** How many assemblies built the table from scratch. */
    public int rebuilds() {
      return rebuilds;
    }

    /**
     * The table for {@code node} over {@code catalog}'s networks with every Service put, patched
     * from the last one. Throws, leaving this unchanged, where {@link ServiceTable.Builder} does.
     */
    public Result assemble(NodeInfo node, NetworkCatalog catalog) {
      requireNonNull(node, "node");
      requireNonNull(catalog, "catalog");
      ServiceTable previous = table;
      ServiceTable next = null;
      if (previous != null
          && previous.node().equals(node)
          && previous.networks().equals(networks(catalog))) {
        next = patch(previous);
      }
      boolean rebuilt = next == null;
      if (next == null) {
        next = build(node, catalog, mapped.values(), previous);
      }
      if (rebuilt) {
        rebuilds++;
        skipped.clear();
        mapped.forEach(this::skipped);
      } else {
        for (String k : before.keySet()) {
          ServicePortMapper.Result now = mapped.get(k);
          if (now == null) {
            skipped.remove(k);
          } else {
            skipped(k, now);
          }
        }
      }
      // A new map, not clear(): after a full sync of n Services, clearing and iterating the old one
      // would cost O(n) at every sync that follows.
      before = new HashMap<>();
      table = next;
      List<String> out = new ArrayList<>();
      skipped.values().forEach(out::addAll);
      next.rejections().forEach(rej -> out.add(rej.toString()));
      return new Result(next, out);
    }

    private void skipped(String service, ServicePortMapper.Result result) {
      if (result.skipped().isEmpty()) {
        skipped.remove(service);
      } else {
        skipped.put(service, result.skipped());
      }
    }

    /** {@code previous} with the changed Services' ports replaced, or null to rebuild. */
    private @Nullable ServiceTable patch(ServiceTable previous) {
      var builder = ServiceTable.patch(previous);
      var changed = new TreeSet<>(before.keySet());
      for (String k : changed) {
        ServicePortMapper.Result old = before.get(k);
        if (old != null) {
          old.ports().forEach(builder::remove);
        }
      }
      // In the order of names, as a build adds them: ports of changed Services that clash with
      // each other are decided the same way.
      for (String k : changed) {
        ServicePortMapper.Result now = mapped.get(k);
        if (now != null) {
          now.ports().forEach(builder::add);
        }
      }
      return builder.clashed() ? null : builder.build();
    }

    private static Map<Integer, Network> networks(NetworkCatalog catalog) {
      Map<Integer, Network> out = new HashMap<>();
      out.put(Network.DEFAULT_ID, Network.DEFAULT);
      for (NetworkDefinition d : catalog.networks()) {
        if (!d.network().isDefault()) { // as ServiceTable.Builder#network: the default is built in
          out.put(d.network().id(), d.network());
        }
      }
      return out;
    }
  }
}
