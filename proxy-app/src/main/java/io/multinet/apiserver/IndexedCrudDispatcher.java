package io.multinet.apiserver;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.client.server.mock.KubernetesAttributesExtractor;
import io.fabric8.kubernetes.client.server.mock.KubernetesCrudDispatcher;
import io.fabric8.mockwebserver.crud.Attribute;
import io.fabric8.mockwebserver.crud.AttributeSet;
import io.fabric8.mockwebserver.crud.AttributeType;
import io.fabric8.mockwebserver.http.MockResponse;
import java.net.HttpURLConnection;
import java.util.AbstractMap;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.jspecify.annotations.Nullable;

/**
 * fabric8's CRUD dispatcher with an index from each object's name to the attribute sets it is
 * stored under. The original finds the object of every write, and of every read by name, by
 * matching the request against every stored object, under one lock: with 20,000 objects that caps
 * the embedded API server at a dozen writes a second, which is what the scale harness hit. Here a
 * request that names an object looks at the few objects of that name, and answers exactly as the
 * original would; anything else (lists, watches, selectors, a name shared by several matches) goes
 * to the original. The index is trusted only while it holds as many entries as the store, so an
 * entry added some other way makes lookups fall back to scans rather than miss.
 */
public final class IndexedCrudDispatcher extends KubernetesCrudDispatcher {

  // The attributes a path naming one object carries (its query parameters add others).
  private static final Set<String> OBJECT_KEYS =
      Set.of(
          KubernetesAttributesExtractor.PLURAL,
          KubernetesAttributesExtractor.NAMESPACE,
          KubernetesAttributesExtractor.NAME,
          KubernetesAttributesExtractor.VERSION,
          KubernetesAttributesExtractor.API,
          KubernetesAttributesExtractor.KIND);

  private final Map<Attribute, List<AttributeSet>> byName = new ConcurrentHashMap<>();
  private final AtomicInteger indexed = new AtomicInteger();

  public IndexedCrudDispatcher() {
    super(List.of());
  }

  @Override
  public void processEvent(
      String path,
      AttributeSet pathAttributes,
      @Nullable AttributeSet oldAttributes,
      @Nullable GenericKubernetesResource resource,
      @Nullable String newState) {
    super.processEvent(path, pathAttributes, oldAttributes, resource, newState);
    // The caller holds the dispatcher's write lock: index updates do not interleave.
    if (oldAttributes != null && remove(oldAttributes)) {
      indexed.decrementAndGet();
    }
    if (newState != null) {
      // The attribute set the original stored the object under, computed as it computes it.
      var extractor = (KubernetesAttributesExtractor) attributeExtractor;
      AttributeSet stored =
          resource != null ? extractor.extract(resource) : extractor.fromResource(newState);
      if (!stored.containsKey(KubernetesAttributesExtractor.PLURAL)) {
        stored = AttributeSet.merge(pathAttributes, stored);
      }
      Attribute name = stored.getAttribute(KubernetesAttributesExtractor.NAME);
      if (name != null && map.containsKey(stored)) {
        byName.computeIfAbsent(name, n -> new CopyOnWriteArrayList<>()).add(stored);
        indexed.incrementAndGet();
      }
    }
  }

  private boolean remove(AttributeSet attributes) {
    Attribute name = attributes.getAttribute(KubernetesAttributesExtractor.NAME);
    List<AttributeSet> sets = name == null ? null : byName.get(name);
    if (sets == null || !sets.remove(attributes)) {
      return false;
    }
    if (sets.isEmpty()) {
      byName.remove(name, sets);
    }
    return true;
  }

  @Override
  public Map.@Nullable Entry<AttributeSet, String> findResource(AttributeSet attributes) {
    Lookup found = lookup(attributes);
    return found.resolved ? found.entry : super.findResource(attributes);
  }

  @Override
  public MockResponse handleGet(String path) {
    if (!path.contains("watch=")) {
      AttributeSet query = attributeExtractor.fromPath(path);
      Lookup found = lookup(query);
      if (found.resolved) {
        // What the original answers for a request naming one object.
        return found.entry == null
            ? new MockResponse().setResponseCode(HttpURLConnection.HTTP_NOT_FOUND)
            : new MockResponse()
                .setResponseCode(HttpURLConnection.HTTP_OK)
                .setBody(found.entry.getValue());
      }
    }
    return super.handleGet(path);
  }

  @Override
  public void reset() {
    super.reset();
    byName.clear();
    indexed.set(0);
  }

  /** How many objects the index holds; the store's size while it is trusted. */
  int indexedObjects() {
    return indexed.get();
  }

  /** {@code resolved} false: the index cannot answer, ask the original. */
  private record Lookup(boolean resolved, Map.@Nullable Entry<AttributeSet, String> entry) {}

  private static final Lookup UNRESOLVED = new Lookup(false, null);

  private Lookup lookup(AttributeSet query) {
    Attribute name = query.getAttribute(KubernetesAttributesExtractor.NAME);
    if (name == null || name.getType() != AttributeType.WITH || indexed.get() != map.size()) {
      return UNRESOLVED;
    }
    List<Attribute> objectAttributes = new ArrayList<>();
    for (String key : OBJECT_KEYS) {
      Attribute a = query.getAttribute(key);
      if (a != null) {
        objectAttributes.add(a);
      }
    }
    if (!new AttributeSet(objectAttributes).equals(query)) {
      return UNRESOLVED; // a selector or another query parameter
    }
    List<AttributeSet> sets = byName.get(name);
    Map.Entry<AttributeSet, String> match = null;
    for (AttributeSet candidate : sets == null ? List.<AttributeSet>of() : sets) {
      String body = map.get(candidate);
      if (body != null && candidate.matches(query)) {
        if (match != null) {
          return UNRESOLVED; // several match: the original returns the first in its order
        }
        match = new AbstractMap.SimpleImmutableEntry<>(candidate, body);
      }
    }
    return new Lookup(true, match);
  }
}
