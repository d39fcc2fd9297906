package io.multinet.change;

import org.jspecify.annotations.Nullable;

/**
 * One key's net change since the last sync.
 *
 * @param previous the value the last sync saw; null if the key did not exist
 * @param current the latest value; null if the key is gone
 */
public record Change<V>(@Nullable V previous, @Nullable V current) {

  public boolean isAdd() {
    return previous == null && current != null;
  }

  public boolean isDelete() {
    return previous != null && current == null;
  }
}
