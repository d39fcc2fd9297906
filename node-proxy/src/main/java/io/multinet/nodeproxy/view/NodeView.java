package io.multinet.nodeproxy.view;

import static java.util.Objects.requireNonNull;

import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.multinet.kube.WellKnown;
import io.multinet.kube.network.NetworkCatalog;
import io.multinet.kube.network.NetworkDefinition;
import io.multinet.kube.service.ServiceNetworkResolver;
import io.multinet.service.NodeInfo;
import io.multinet.service.ServicePort;
import io.multinet.table.ServiceTable;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
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
    Map<String, List<EndpointSlice>> byService = new HashMap<>();
    for (EndpointSlice s : slices) {
      String svc = serviceOf(s);
      if (svc != null) {
        byService.computeIfAbsent(svc, k -> new ArrayList<>()).add(s);
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
      Collection<EndpointSlice> slices,
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
    var builder = ServiceTable.builder(node).previous(previous);
    for (NetworkDefinition d : catalog.networks()) {
      builder.network(d.network());
    }
    List<String> skipped = new ArrayList<>();
    for (ServicePortMapper.Result mapped : services) {
      skipped.addAll(mapped.skipped());
      for (ServicePort sp : mapped.ports()) {
        builder.add(sp);
      }
    }
    ServiceTable table = builder.build();
    table.rejections().forEach(rej -> skipped.add(rej.toString()));
    return new Result(table, skipped);
  }
}
