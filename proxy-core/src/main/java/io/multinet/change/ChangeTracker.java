package io.multinet.change;

import static java.util.Objects.requireNonNull;

import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * Accumulates changes per key between syncs, as kube-proxy's change trackers do: the first {@code
 * previous} seen and the latest {@code current} are kept, and a key whose changes cancel out (an
 * add then a delete, or an update back to the original) is dropped, so a sync never sees a no-op.
 * Informer threads call {@link #update}; the sync thread calls {@link #drain}.
 */
public final class ChangeTracker<K, V> {

  private final Object lock = new Object();
  private Map<K, Change<V>> items = new HashMap<>();

  /**
   * Records that {@code key} went from {@code previous} to {@code current} (null meaning absent).
   *
   * @return whether anything is pending afterwards, i.e. whether a sync is needed
   */
  public boolean update(K key, @Nullable V previous, @Nullable V current) {
    requireNonNull(key, "key");
    synchronized (lock) {
      Change<V> pending = items.get(key);
      @Nullable V first = pending == null ? previous : pending.previous();
      if (Objects.equals(first, current)) {
        items.remove(key);
      } else {
        items.put(key, new Change<>(first, current));
      }
      return !items.isEmpty();
    }
  }

  /** Takes every pending change; the tracker is empty afterwards. */
  public Map<K, Change<V>> drain() {
    synchronized (lock) {
      Map<K, Change<V>> out = items;
      items = new HashMap<>();
      return out;
    }
  }

  public boolean isEmpty() {
    synchronized (lock) {
      return items.isEmpty();
    }
  }

  public int pending() {
    synchronized (lock) {
      return items.size();
    }
  }
}
