package io.multinet.watcher;

import static java.util.Objects.requireNonNull;

import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.client.informers.cache.Cache;
import io.fabric8.kubernetes.client.informers.cache.ItemStore;
import io.multinet.watcher.slice.PodRecord;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;
import org.jspecify.annotations.Nullable;

/**
 * The pod informer's store: keeps a {@link PodRecord} per pod (what endpoints are built from) and
 * drops the fabric8 Pod as it is stored. The controller caches every pod of the cluster, and a real
 * pod is mostly what it never reads (managed fields, the last-applied annotation, volumes,
 * environments, images, container statuses), and even trimmed a dozen objects.
 *
 * <p>The informer itself gets a Pod back from {@link #get} and {@link #put} (for its handlers' old
 * object and its resourceVersion check): a view made from the record with the metadata only
 * (namespace, name, uid, resourceVersion, labels), which is all the controller's handlers read.
 * Records are kept by namespace, then name: a reconcile reads one namespace's records, and no key
 * string is kept per pod. Public for the heap benchmark ({@code StoreHeap}).
 */
public final class PodStore implements ItemStore<Pod> {

  private final Map<String, Map<String, PodRecord>> byNamespace = new ConcurrentHashMap<>();

  @Override
  public String getKey(Pod pod) {
    return Cache.metaNamespaceKeyFunc(pod);
  }

  @Override
  public @Nullable Pod put(String key, Pod pod) {
    PodRecord r = PodRecord.of(pod);
    PodRecord old =
        byNamespace
            .computeIfAbsent(r.namespace(), ns -> new ConcurrentHashMap<>())
            .put(r.name(), r);
    return old == null ? null : view(old);
  }

  @Override
  public @Nullable Pod remove(String key) {
    int slash = key.indexOf('/');
    if (slash < 0) {
      return null;
    }
    Map<String, PodRecord> names = byNamespace.get(key.substring(0, slash));
    PodRecord old = names == null ? null : names.remove(key.substring(slash + 1));
    return old == null ? null : view(old);
  }

  @Override
  public Stream<String> keySet() {
    return records().map(r -> r.namespace() + "/" + r.name());
  }

  @Override
  public Stream<Pod> values() {
    return records().map(PodStore::view);
  }

  @Override
  public int size() {
    int n = 0;
    for (Map<String, PodRecord> names : byNamespace.values()) {
      n += names.size();
    }
    return n;
  }

  @Override
  public @Nullable Pod get(String key) {
    PodRecord r = record(key);
    return r == null ? null : view(r);
  }

  /** The record under {@code namespace/name}, or null. */
  @Nullable PodRecord record(String key) {
    int slash = key.indexOf('/');
    if (slash < 0) {
      return null;
    }
    Map<String, PodRecord> names = byNamespace.get(key.substring(0, slash));
    return names == null ? null : names.get(key.substring(slash + 1));
  }

  /** The records of one namespace's pods (a live view: a reconcile copies what it reads). */
  public Collection<PodRecord> inNamespace(String namespace) {
    requireNonNull(namespace, "namespace");
    Map<String, PodRecord> names = byNamespace.get(namespace);
    return names == null ? List.of() : names.values();
  }

  private Stream<PodRecord> records() {
    return byNamespace.values().stream().flatMap(m -> m.values().stream());
  }

  /** The metadata the informer and the controller's handlers read, made from the record. */
  static Pod view(PodRecord r) {
    var m = new ObjectMeta();
    m.setNamespace(r.namespace());
    m.setName(r.name());
    m.setUid(r.uid().isEmpty() ? null : r.uid());
    m.setResourceVersion(r.resourceVersion());
    m.setLabels(r.labels());
    var pod = new Pod();
    pod.setMetadata(m);
    return pod;
  }
}
