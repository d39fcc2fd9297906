package io.multinet.kube;

import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import java.util.Map;
import org.jspecify.annotations.Nullable;
import tools.jackson.core.JacksonException;
import tools.jackson.core.type.TypeReference;
import tools.jackson.databind.ObjectMapper;

/**
 * The labels and annotations the controller writes on EndpointSlices and Services and the node
 * proxy reads back: the contract between the two processes, in one place.
 */
public final class WellKnown {

  /** The label that says which controller manages an EndpointSlice. */
  public static final String MANAGED_BY_LABEL = "endpointslice.kubernetes.io/managed-by";

  /** Our value of {@link #MANAGED_BY_LABEL}. */
  public static final String MANAGED_BY = "endpoint-watcher.multinet.io";

  /** The label that names an EndpointSlice's Service. */
  public static final String SERVICE_NAME_LABEL = "kubernetes.io/service-name";

  /** The label that names the network of one of our EndpointSlices. */
  public static final String NETWORK_LABEL = "multinet.io/network";

  /** JSON map from endpoint address to the pod's interface name on the network. */
  public static final String INTERFACES = "multinet.io/interfaces";

  /** The Service annotation that records its cluster IPs in its network, primary family first. */
  public static final String CLUSTER_IPS_ANNOTATION = "multinet.io/cluster-ips";

  /** A Node's zone. */
  public static final String ZONE_LABEL = "topology.kubernetes.io/zone";

  private static final ObjectMapper JSON = new ObjectMapper();

  private WellKnown() {}

  /** The slice's address → pod interface map; empty when absent or unreadable. */
  public static Map<String, String> interfaces(EndpointSlice s) {
    String json = orEmpty(s.getMetadata().getAnnotations()).get(INTERFACES);
    if (json == null) {
      return Map.of();
    }
    try {
      return JSON.readValue(json, new TypeReference<Map<String, String>>() {});
    } catch (JacksonException e) {
      return Map.of(); // rewritten with the next change; a broken annotation only costs a write
    }
  }

  private static Map<String, String> orEmpty(@Nullable Map<String, String> m) {
    return m == null ? Map.of() : m;
  }
}
