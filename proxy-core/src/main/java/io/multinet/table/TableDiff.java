package io.multinet.table;

import static java.util.Objects.requireNonNull;

import io.multinet.service.ServicePortKey;
import java.util.List;

/**
 * What changed between two service tables, by service port, each list sorted.
 *
 * @param added ports only the next table has
 * @param removed ports only the previous table has
 * @param changed ports both have, with different endpoints, policy or addresses for this node
 */
public record TableDiff(
    List<ServicePortKey> added, List<ServicePortKey> removed, List<ServicePortKey> changed) {

  public TableDiff {
    added = List.copyOf(requireNonNull(added, "added"));
    removed = List.copyOf(requireNonNull(removed, "removed"));
    changed = List.copyOf(requireNonNull(changed, "changed"));
  }

  public boolean isEmpty() {
    return added.isEmpty() && removed.isEmpty() && changed.isEmpty();
  }

  public int size() {
    return added.size() + removed.size() + changed.size();
  }
}
