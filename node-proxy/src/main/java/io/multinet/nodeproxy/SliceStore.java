package io.multinet.nodeproxy;

import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.fabric8.kubernetes.client.informers.cache.Cache;
import io.fabric8.kubernetes.client.informers.cache.ItemStore;
import io.multinet.kube.WellKnown;
import io.multinet.nodeproxy.view.SliceRecord;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;
import org.jspecify.annotations.Nullable;

/**
 * The EndpointSlice informer's store: keeps a {@link SliceRecord} per slice (what a sync, the DNS
 * records and the metrics read) and drops the fabric8 object as it is stored, and indexes the
 * records by the Service they name.
 *
 * <p>The informer itself gets an EndpointSlice back from {@link #get} and {@link #put} (its
 * handlers' old object, its resourceVersion check): a {@link View}, the metadata made from the
 * record and the record itself, which the change tracker compares. Public for the heap benchmark
 * ({@code StoreHeap}).
 */
public final class SliceStore implements ItemStore<EndpointSlice> {

  private final Map<String, SliceRecord> byKey = new ConcurrentHashMap<>();

  /** A Service's slices (one to a few): an immutable list each, replaced on every change. */
  private final Map<String, List<SliceRecord>> byService = new ConcurrentHashMap<>();

  /** What the informer reads of a stored slice, and the record it was made from. */
  static final class View extends EndpointSlice {
    private final transient SliceRecord record;

    View(SliceRecord record) {
      this.record = record;
      var m = new ObjectMeta();
      m.setNamespace(record.namespace());
      m.setName(record.name());
      m.setResourceVersion(record.resourceVersion());
      if (record.service() != null) {
        m.setLabels(Map.of(WellKnown.SERVICE_NAME_LABEL, record.service()));
      }
      setMetadata(m);
    }

    SliceRecord record() {
      return record;
    }
  }

  @Override
  public String getKey(EndpointSlice slice) {
    return Cache.metaNamespaceKeyFunc(slice);
  }

  @Override
  public synchronized @Nullable EndpointSlice put(String key, EndpointSlice slice) {
    SliceRecord r = slice instanceof View v ? v.record() : SliceRecord.of(slice);
    SliceRecord old = byKey.put(key, r);
    String service = r.serviceKey();
    if (old != null && !Objects.equals(old.serviceKey(), service)) {
      unindex(old);
    }
    if (service != null) {
      byService.compute(service, (k, list) -> with(list, r));
    }
    return old == null ? null : new View(old);
  }

  @Override
  public synchronized @Nullable EndpointSlice remove(String key) {
    SliceRecord old = byKey.remove(key);
    if (old == null) {
      return null;
    }
    unindex(old);
    return new View(old);
  }

  private void unindex(SliceRecord old) {
    String service = old.serviceKey();
    if (service == null) {
      return;
    }
    byService.computeIfPresent(service, (k, list) -> without(list, old.name()));
  }

  /** {@code list} with {@code r} in place of the slice of its name. */
  private static List<SliceRecord> with(@Nullable List<SliceRecord> list, SliceRecord r) {
    if (list == null) {
      return List.of(r);
    }
    var out = new ArrayList<SliceRecord>(list.size() + 1);
    for (SliceRecord s : list) {
      if (!s.name().equals(r.name())) {
        out.add(s);
      }
    }
    out.add(r);
    return List.copyOf(out);
  }

  /** {@code list} without the slice named {@code name}; null (no entry) when none is left. */
  private static @Nullable List<SliceRecord> without(List<SliceRecord> list, String name) {
    var out = new ArrayList<SliceRecord>(list.size());
    for (SliceRecord s : list) {
      if (!s.name().equals(name)) {
        out.add(s);
      }
    }
    return out.isEmpty() ? null : List.copyOf(out);
  }

  @Override
  public Stream<String> keySet() {
    return byKey.keySet().stream();
  }

  @Override
  public Stream<EndpointSlice> values() {
    return byKey.values().stream().map(View::new);
  }

  @Override
  public int size() {
    return byKey.size();
  }

  @Override
  public @Nullable EndpointSlice get(String key) {
    SliceRecord r = byKey.get(key);
    return r == null ? null : new View(r);
  }

  /** The records of the slices naming the Service {@code namespace/name} (immutable). */
  public List<SliceRecord> slices(String service) {
    return byService.getOrDefault(service, List.of());
  }
}
