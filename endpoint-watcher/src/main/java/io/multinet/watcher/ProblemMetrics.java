package io.multinet.watcher;

import static java.util.Objects.requireNonNull;

import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

/** Rejected inputs counted by reason: {@code multinet_rejected_objects_total{reason}}. */
public final class ProblemMetrics {

  private final ConcurrentHashMap<String, LongAdder> byReason = new ConcurrentHashMap<>();

  public void increment(String reason) {
    requireNonNull(reason, "reason");
    byReason.computeIfAbsent(reason, r -> new LongAdder()).increment();
  }

  public long count(String reason) {
    LongAdder a = byReason.get(reason);
    return a == null ? 0 : a.sum();
  }

  /** Every reason seen so far with its count, sorted by reason. */
  public Map<String, Long> snapshot() {
    var out = new TreeMap<String, Long>();
    byReason.forEach((k, v) -> out.put(k, v.sum()));
    return out;
  }
}
