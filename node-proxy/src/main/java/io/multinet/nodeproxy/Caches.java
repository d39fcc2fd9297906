package io.multinet.nodeproxy;

import static java.util.Objects.requireNonNull;

import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.multinet.kube.Informers;
import io.multinet.kube.crd.CalicoNetworkResource;
import io.multinet.kube.crd.NetworkAttachmentDefinition;
import io.multinet.kube.crd.NetworkResource;
import io.multinet.nodeproxy.view.NodeView;
import io.multinet.nodeproxy.view.SliceRecord;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * What a {@link NodePipeline} reads: the node proxy's informer caches, or plain lists standing for
 * them ({@link #of}, for {@code explain}). Keys are {@code namespace/name}.
 */
public interface Caches {

  Collection<Service> services();

  @Nullable Service service(String key);

  /**
   * The records of the EndpointSlices naming the Service {@code key} (see {@link
   * NodeView#serviceOf}). Services stay fabric8 objects; slices, a Service's endpoints, are kept as
   * compact records.
   */
  Collection<SliceRecord> slices(String key);

  @Nullable Namespace namespace(String name);

  Collection<NetworkResource> networks();

  Collection<CalicoNetworkResource> calicoNetworks();

  Collection<NetworkAttachmentDefinition> attachments();

  /** This node's Node, or null while it has none. */
  @Nullable Node node();

  /**
   * Everything a pipeline reads, listed from the API server once ({@code explain -o dataplane}):
   * Calico Networks and NetworkAttachmentDefinitions only where their CRD is installed.
   */
  static Caches list(KubernetesClient client, String nodeName) {
    return of(
        client.services().inAnyNamespace().list().getItems(),
        client.discovery().v1().endpointSlices().inAnyNamespace().list().getItems(),
        client.namespaces().list().getItems(),
        client.resources(NetworkResource.class).list().getItems(),
        Informers.crdExists(client, Informers.CALICO_CRD)
            ? client.resources(CalicoNetworkResource.class).inAnyNamespace().list().getItems()
            : List.of(),
        Informers.crdExists(client, Informers.NAD_CRD)
            ? client.resources(NetworkAttachmentDefinition.class).inAnyNamespace().list().getItems()
            : List.of(),
        client.nodes().withName(nodeName).get());
  }

  /** A view over lists read once (the slices made records). */
  static Caches of(
      List<Service> services,
      List<EndpointSlice> slices,
      List<Namespace> namespaces,
      List<NetworkResource> networks,
      List<CalicoNetworkResource> calicoNetworks,
      List<NetworkAttachmentDefinition> attachments,
      @Nullable Node node) {
    Map<String, Service> byKey = new HashMap<>();
    for (Service s : services) {
      byKey.put(s.getMetadata().getNamespace() + "/" + s.getMetadata().getName(), s);
    }
    Map<String, List<SliceRecord>> byService = new HashMap<>();
    for (EndpointSlice s : slices) {
      SliceRecord r = SliceRecord.of(s);
      String svc = r.serviceKey();
      if (svc != null) {
        byService.computeIfAbsent(svc, k -> new ArrayList<>()).add(r);
      }
    }
    Map<String, Namespace> byName = new HashMap<>();
    namespaces.forEach(n -> byName.put(n.getMetadata().getName(), n));
    List<Service> all = List.copyOf(services);
    List<NetworkResource> nets = List.copyOf(requireNonNull(networks, "networks"));
    List<CalicoNetworkResource> calico = List.copyOf(calicoNetworks);
    List<NetworkAttachmentDefinition> nads = List.copyOf(attachments);
    return new Caches() {
      @Override
      public Collection<Service> services() {
        return all;
      }

      @Override
      public @Nullable Service service(String key) {
        return byKey.get(key);
      }

      @Override
      public Collection<SliceRecord> slices(String key) {
        return byService.getOrDefault(key, List.of());
      }

      @Override
      public @Nullable Namespace namespace(String name) {
        return byName.get(name);
      }

      @Override
      public Collection<NetworkResource> networks() {
        return nets;
      }

      @Override
      public Collection<CalicoNetworkResource> calicoNetworks() {
        return calico;
      }

      @Override
      public Collection<NetworkAttachmentDefinition> attachments() {
        return nads;
      }

      @Override
      public @Nullable Node node() {
        return node;
      }
    };
  }
}
