package io.multinet.watcher;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodCondition;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.PodStatus;
import io.fabric8.kubernetes.client.informers.cache.BasicItemStore;
import io.fabric8.kubernetes.client.informers.cache.Cache;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.jspecify.annotations.Nullable;

/**
 * The pod informer's store: keeps of each pod only what endpoints are built from (name, namespace,
 * uid, resourceVersion, labels, annotations, deletion timestamp, node, container names and ports,
 * phase, condition types and statuses) and drops the rest as it is stored. The controller caches
 * every pod of the cluster, and a real pod is mostly what it never reads: managed fields, the
 * last-applied annotation, volumes, environments, images, resources and container statuses, often
 * several kilobytes each. Nothing writes cached pods back, so nothing notices.
 */
final class PodStore extends BasicItemStore<Pod> {

  static final String LAST_APPLIED = "kubectl.kubernetes.io/last-applied-configuration";
  private static final Map<String, Object> NO_PROPERTIES = Map.of();

  /** Bounded by the condition types and statuses pods use: a handful. */
  private static final Map<List<@Nullable String>, PodCondition> CONDITIONS =
      new ConcurrentHashMap<>();

  PodStore() {
    super(Cache::metaNamespaceKeyFunc);
  }

  @Override
  public Pod put(String key, Pod pod) {
    return super.put(key, slim(pod));
  }

  /** Trims {@code pod} in place and returns it. */
  static Pod slim(Pod pod) {
    pod.setAdditionalProperties(NO_PROPERTIES);
    ObjectMeta m = pod.getMetadata();
    if (m != null) {
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
    }
    PodSpec spec = pod.getSpec();
    if (spec != null) {
      // fabric8 gives every model object a fresh empty list per list field and a map for unknown
      // properties: the new objects share immutable empty ones instead.
      var slim = new PodSpec();
      slim.setNodeName(spec.getNodeName());
      // hostname and subdomain name the pod's endpoint in its headless Service's DNS.
      slim.setHostname(spec.getHostname());
      slim.setSubdomain(spec.getSubdomain());
      slim.setContainers(containers(orEmpty(spec.getContainers())));
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
          orEmpty(status.getConditions()).stream()
              .map(c -> condition(c.getType(), c.getStatus()))
              .toList());
      slim.setContainerStatuses(null);
      slim.setEphemeralContainerStatuses(null);
      slim.setHostIPs(null);
      slim.setInitContainerStatuses(null);
      slim.setPodIPs(null);
      slim.setResourceClaimStatuses(null);
      slim.setAdditionalProperties(NO_PROPERTIES);
      pod.setStatus(slim);
    }
    return pod;
  }

  /** Conditions repeat on almost every pod ("Ready"/"True"...): one shared object each. */
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

  private static <T> List<T> orEmpty(@Nullable List<T> list) {
    return list == null ? List.of() : list;
  }

  /** Names and ports only: a Service's named target port resolves against them. */
  private static List<Container> containers(List<Container> containers) {
    List<Container> out = new ArrayList<>(containers.size());
    for (Container c : containers) {
      var kept = new Container();
      kept.setName(c.getName());
      kept.setPorts(List.copyOf(orEmpty(c.getPorts())));
      kept.setArgs(null);
      kept.setCommand(null);
      kept.setEnv(null);
      kept.setEnvFrom(null);
      kept.setResizePolicy(null);
      kept.setVolumeDevices(null);
      kept.setVolumeMounts(null);
      kept.setAdditionalProperties(NO_PROPERTIES);
      out.add(kept);
    }
    return out;
  }
}
