package io.multinet.kube.service;

import static java.util.Objects.requireNonNull;

import io.multinet.kube.network.NetworkDefinition;
import java.util.Map;
import org.jspecify.annotations.Nullable;

/**
 * Which network a Service belongs to, and which pods it selects there.
 *
 * @param network the network; null for the default network (left to Kubernetes)
 * @param selector the label selector (equality only); empty selects nothing, as in Kubernetes
 * @param source which rule decided, for explain and logs (e.g. {@code annotation
 *     multinet.io/network})
 */
public record ServiceNetwork(
    @Nullable NetworkDefinition network, Map<String, String> selector, String source) {

  public ServiceNetwork {
    selector = Map.copyOf(requireNonNull(selector, "selector"));
    requireNonNull(source, "source");
  }

  public boolean isDefault() {
    return network == null;
  }
}
