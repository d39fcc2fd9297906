package io.multinet.benchmarks.scale;

import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.Node;
import io.multinet.kube.crd.CalicoNetworkResource;
import io.multinet.kube.crd.NetworkAttachmentDefinition;
import io.multinet.kube.crd.NetworkResource;
import io.multinet.nodeproxy.Caches;
import java.util.Collection;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * The node proxy's caches as the benchmarks fill them: Services and slices only, unless a benchmark
 * says otherwise (no namespaces, networks, attachments or node object).
 */
interface BenchCaches extends Caches {

  @Override
  default @Nullable Namespace namespace(String name) {
    return null;
  }

  @Override
  default Collection<NetworkResource> networks() {
    return List.of();
  }

  @Override
  default Collection<CalicoNetworkResource> calicoNetworks() {
    return List.of();
  }

  @Override
  default Collection<NetworkAttachmentDefinition> attachments() {
    return List.of();
  }

  @Override
  default @Nullable Node node() {
    return null;
  }
}
