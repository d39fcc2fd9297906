package io.multinet.nodeproxy;

import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceSpec;
import io.fabric8.kubernetes.api.model.ServiceStatus;
import io.fabric8.kubernetes.client.informers.cache.BasicItemStore;
import io.fabric8.kubernetes.client.informers.cache.Cache;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.jspecify.annotations.Nullable;

/**
 * The Service informer's store (EndpointSlices are kept as records instead: {@link SliceStore}). It
 * trims each object as it is stored: managed fields (which the proxy never reads, and which a real
 * API server sends with every object) are dropped, the empty maps fabric8 allocates for every model
 * object share one immutable instance, strings repeated on many objects (namespaces, label and
 * annotation keys and short values) share one instance, and kubectl's last-applied annotation is
 * dropped. The proxy never writes cached objects back, so nothing notices the sharing. Public for
 * the heap benchmark ({@code StoreHeap}).
 */
public final class SlimStore<T extends HasMetadata> extends BasicItemStore<T> {

  private static final Map<String, Object> NO_PROPERTIES = Map.of();
  private static final int MAX_INTERNED = 100_000;
  static final String LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration";
  private final Map<String, String> names = new ConcurrentHashMap<>();

  public SlimStore() {
    super(Cache::metaNamespaceKeyFunc);
  }

  @Override
  public T put(String key, T obj) {
    slim(obj);
    return super.put(key, obj);
  }

  void slim(HasMetadata obj) {
    slim(obj.getMetadata());
    switch (obj) {
      case Service s -> {
        s.setAdditionalProperties(shared(s.getAdditionalProperties()));
        ServiceSpec spec = s.getSpec();
        if (spec != null) {
          spec.setAdditionalProperties(shared(spec.getAdditionalProperties()));
          // Most of a Service's strings are the same on every Service (type, policies, families):
          // one instance each; fabric8's empty lists share one immutable one.
          spec.setType(intern(spec.getType()));
          spec.setSessionAffinity(intern(spec.getSessionAffinity()));
          spec.setIpFamilyPolicy(intern(spec.getIpFamilyPolicy()));
          spec.setInternalTrafficPolicy(intern(spec.getInternalTrafficPolicy()));
          spec.setExternalTrafficPolicy(intern(spec.getExternalTrafficPolicy()));
          spec.setTrafficDistribution(intern(spec.getTrafficDistribution()));
          spec.setLoadBalancerClass(intern(spec.getLoadBalancerClass()));
          spec.setIpFamilies(internAll(spec.getIpFamilies()));
          spec.setExternalIPs(shared(spec.getExternalIPs()));
          spec.setLoadBalancerSourceRanges(shared(spec.getLoadBalancerSourceRanges()));
          spec.setSelector(internAll(spec.getSelector()));
          String clusterIp = spec.getClusterIP();
          List<String> clusterIps = spec.getClusterIPs();
          if (clusterIps != null && !clusterIps.isEmpty()) {
            // clusterIPs[0] is clusterIP: one string for both
            String[] ips = clusterIps.toArray(String[]::new);
            for (int i = 0; i < ips.length; i++) {
              if (ips[i] != null && ips[i].equals(clusterIp)) {
                ips[i] = clusterIp;
              }
            }
            spec.setClusterIPs(Arrays.asList(ips));
          } else {
            spec.setClusterIPs(shared(clusterIps));
          }
          if (spec.getPorts() != null) {
            spec.getPorts()
                .forEach(
                    p -> {
                      p.setAdditionalProperties(shared(p.getAdditionalProperties()));
                      p.setName(intern(p.getName()));
                      p.setProtocol(intern(p.getProtocol()));
                      p.setAppProtocol(intern(p.getAppProtocol()));
                    });
            spec.setPorts(List.copyOf(spec.getPorts()));
          }
        }
        ServiceStatus status = s.getStatus();
        if (status != null) {
          status.setAdditionalProperties(shared(status.getAdditionalProperties()));
          status.setConditions(shared(status.getConditions()));
          if (status.getLoadBalancer() != null) {
            status
                .getLoadBalancer()
                .setAdditionalProperties(
                    shared(status.getLoadBalancer().getAdditionalProperties()));
            status.getLoadBalancer().setIngress(shared(status.getLoadBalancer().getIngress()));
          }
        }
      }
      default -> {
        // other kinds are few: only their metadata is trimmed
      }
    }
  }

  private void slim(@Nullable ObjectMeta m) {
    if (m != null) {
      m.setManagedFields(null);
      // Neither is read by a sync nor by the informer (which keys on namespace/name and tracks
      // resourceVersion): two unique strings per object.
      m.setUid(null);
      m.setCreationTimestamp(null);
      m.setAdditionalProperties(shared(m.getAdditionalProperties()));
      m.setFinalizers(shared(m.getFinalizers()));
      m.setOwnerReferences(shared(m.getOwnerReferences()));
      m.setNamespace(intern(m.getNamespace()));
      m.setLabels(internAll(m.getLabels()));
      m.setAnnotations(annotations(m.getAnnotations()));
    }
  }

  /**
   * Annotations a sync may read (network selection, trigger time, interface names) as labels are
   * kept, except kubectl's last-applied copy of the whole object, on every object a team applies:
   * nothing reads it, and it is often the largest string an object has.
   */
  private @Nullable Map<String, String> annotations(@Nullable Map<String, String> annotations) {
    if (annotations == null || !annotations.containsKey(LAST_APPLIED)) {
      return internAll(annotations);
    }
    var rest = new java.util.HashMap<>(annotations);
    rest.remove(LAST_APPLIED);
    return internAll(rest);
  }

  /**
   * Keys and short values repeat across objects (service names, managed-by, network names): one
   * instance each. Long values (interface-name JSON, selectors) are mostly unique and keep theirs;
   * label values are never that long.
   */
  private @Nullable Map<String, String> internAll(@Nullable Map<String, String> labels) {
    if (labels == null || labels.isEmpty()) {
      return labels;
    }
    var out = new java.util.HashMap<String, String>(labels.size() * 2);
    labels.forEach(
        (k, v) -> {
          if (k != null && v != null) { // Map.copyOf refuses nulls; no API server stores one
            out.put(intern(k), v.length() <= 64 ? intern(v) : v);
          }
        });
    return Map.copyOf(out);
  }

  /** An empty list as the one immutable empty list; others as they are. */
  private static <T> @Nullable List<T> shared(@Nullable List<T> list) {
    return list != null && list.isEmpty() ? List.of() : list;
  }

  private @Nullable List<String> internAll(@Nullable List<String> values) {
    if (values == null || values.isEmpty()) {
      return shared(values);
    }
    String[] out = values.toArray(String[]::new);
    for (int i = 0; i < out.length; i++) {
      String v = intern(out[i]);
      if (v != null) {
        out[i] = v;
      }
    }
    return Arrays.asList(out);
  }

  private static Map<String, Object> shared(@Nullable Map<String, Object> properties) {
    return properties == null || properties.isEmpty() ? NO_PROPERTIES : properties;
  }

  private @Nullable String intern(@Nullable String value) {
    // Node, zone, namespace and label strings are few and repeated on many objects. Bounded so
    // that unique values (a label per pod hash, say) cannot grow it without limit.
    if (value == null) {
      return null;
    }
    String known = names.get(value);
    if (known != null) {
      return known;
    }
    if (names.size() < MAX_INTERNED) {
      names.putIfAbsent(value, value);
    }
    return value;
  }
}
