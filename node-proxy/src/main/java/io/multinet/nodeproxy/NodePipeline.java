package io.multinet.nodeproxy;

import static java.util.Objects.requireNonNull;

import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.Service;
import io.multinet.dataplane.DesiredStates;
import io.multinet.dataplane.v1.Delta;
import io.multinet.dataplane.v1.DesiredState;
import io.multinet.dataplane.v1.KernelHints;
import io.multinet.dataplane.v1.NetworkSpec;
import io.multinet.dataplane.v1.NodeFacts;
import io.multinet.dataplane.v1.VppHints;
import io.multinet.kube.WellKnown;
import io.multinet.kube.network.NetworkCatalog;
import io.multinet.kube.network.NetworkDefinition;
import io.multinet.nodeproxy.view.NodeView;
import io.multinet.nodeproxy.view.ServicePortMapper;
import io.multinet.service.NodeInfo;
import io.multinet.table.ServiceTable;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * The node pipeline: (caches, changed Services) → (the node's {@link ServiceTable}, its {@link
 * DesiredState}, the {@link Delta} from the previous run). The node proxy runs it at each sync over
 * its informers, {@code explain -o dataplane} once over lists: both compute the same thing. A run
 * told which Services changed remaps only those and reuses every other Service's ports, entries and
 * protos. Not thread-safe: one sync thread owns it.
 */
public final class NodePipeline {

  /**
   * One run: the table and state, the delta from the state of run {@code baseRevision} to this one
   * ({@code revision}); {@code baseRevision} is 0 when there is none to start from (the first run,
   * or the node's zone changed), and the delta is then empty.
   */
  public record Result(
      ServiceTable table,
      DesiredState state,
      Delta delta,
      long revision,
      long baseRevision,
      int remapped,
      List<String> skipped) {}

  private final String nodeName;
  private final NodeProxy.Options options;
  private final DesiredStates.Converter converter = new DesiredStates.Converter();
  // Each served Service's ports by namespace/name, sorted so that a clash of addresses between two
  // Services is decided the same way at every run.
  private final NodeView.Assembly mapped = new NodeView.Assembly();
  private boolean mappedAll;
  private long revision;

  public NodePipeline(String nodeName, NodeProxy.Options options) {
    this.nodeName = requireNonNull(nodeName, "nodeName");
    this.options = requireNonNull(options, "options");
  }

  /**
   * Runs the pipeline over {@code caches}; {@code changed} names the Services ({@code
   * namespace/name}) whose Service or EndpointSlices changed since the previous run, or is null
   * when anything may have changed (a Network, Namespace or Node; a full sync): then every Service
   * is remapped. After a run that threw, the next one remaps everything.
   */
  public Result run(Caches caches, @Nullable Set<String> changed) {
    requireNonNull(caches, "caches");
    NetworkCatalog catalog =
        NetworkCatalog.build(caches.networks(), caches.calicoNetworks(), caches.attachments());
    Node self = caches.node();
    String zone =
        self == null || self.getMetadata().getLabels() == null
            ? null
            : self.getMetadata().getLabels().get(WellKnown.ZONE_LABEL);
    Set<String> dirty = mappedAll ? changed : null;
    mappedAll = false; // until this run has remapped what it must
    int remapped = 0;
    if (dirty == null) {
      // Not cleared first: a Service whose result is unchanged keeps its objects (see remap).
      Set<String> present = new HashSet<>();
      for (Service s : caches.services()) {
        String k = s.getMetadata().getNamespace() + "/" + s.getMetadata().getName();
        present.add(k);
        remap(caches, k, s, catalog);
        remapped++;
      }
      mapped.retainAll(present);
    } else {
      for (String key : dirty) {
        remap(caches, key, caches.service(key), catalog);
        remapped++;
      }
    }
    mappedAll = true;
    var view = mapped.assemble(new NodeInfo(nodeName, zone), catalog);
    DesiredStates.Conversion conversion =
        converter.convert(
            view.table(),
            networkSpecs(catalog),
            NodeFacts.newBuilder()
                .setName(nodeName)
                .addAllClusterCidrs(options.clusterCidrs())
                .setMasqueradeAll(options.masqueradeAll())
                .addAllNodePortAddresses(options.nodePortAddresses())
                .build());
    long base = conversion.base() == null ? 0 : revision;
    revision++;
    return new Result(
        view.table(),
        conversion.state(),
        conversion.delta(),
        revision,
        base,
        remapped,
        view.skipped());
  }

  private void remap(Caches caches, String key, @Nullable Service service, NetworkCatalog catalog) {
    if (service == null) {
      mapped.remove(key);
      return;
    }
    var result =
        NodeView.service(
            service,
            caches.namespace(service.getMetadata().getNamespace()),
            catalog,
            caches.slices(key),
            options.serviceProxyName());
    if (result == null) {
      mapped.remove(key);
    } else if (!result.equals(mapped.get(key))) {
      // Equal results keep the old objects, which the table reuses: no second copy is retained.
      mapped.put(key, result);
    }
  }

  /** What the last run mapped for a Service. */
  ServicePortMapper.@Nullable Result mapped(String service) {
    return mapped.get(service);
  }

  /** The dataplane's view of each network in the catalog. */
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
}
