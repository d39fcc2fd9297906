package io.multinet.watcher.view;

import static java.util.Objects.requireNonNull;

import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.multinet.service.NodeInfo;
import io.multinet.service.ServicePort;
import io.multinet.table.ServiceTable;
import io.multinet.watcher.network.NetworkCatalog;
import io.multinet.watcher.network.NetworkDefinition;
import io.multinet.watcher.service.ServiceNetworkResolver;
import io.multinet.watcher.slice.SlicePlanner;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
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
    var builder = ServiceTable.builder(node).previous(previous);
    for (NetworkDefinition d : catalog.networks()) {
      builder.network(d.network());
    }
    Map<String, List<EndpointSlice>> byService = new HashMap<>();
    for (EndpointSlice s : slices) {
      String svc =
          Objects.requireNonNullElse(s.getMetadata().getLabels(), Map.<String, String>of())
              .get(SlicePlanner.SERVICE_NAME_LABEL);
      if (svc != null) {
        byService
            .computeIfAbsent(s.getMetadata().getNamespace() + "/" + svc, k -> new ArrayList<>())
            .add(s);
      }
    }
    List<String> skipped = new ArrayList<>();
    for (Service s : services) {
      String label =
          Objects.requireNonNullElse(s.getMetadata().getLabels(), Map.<String, String>of())
              .get(SERVICE_PROXY_NAME);
      if (label != null && !label.equals(proxyName)) {
        continue;
      }
      var resolved =
          ServiceNetworkResolver.resolve(
              s, namespaces.apply(s.getMetadata().getNamespace()), catalog);
      if (!(resolved instanceof ServiceNetworkResolver.Resolved r)) {
        continue; // the controller reports it; keep serving the rest
      }
      String key = s.getMetadata().getNamespace() + "/" + s.getMetadata().getName();
      var mapped =
          ServicePortMapper.map(
              s, r.serviceNetwork().network(), byService.getOrDefault(key, List.of()));
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
