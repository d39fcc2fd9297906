package io.multinet.kube;

import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.jspecify.annotations.Nullable;

/**
 * One shared instance per repeated string (namespaces, node and zone names, label keys and short
 * values, network and port names), for the compact records the stores keep. Bounded, so that unique
 * values (a label per pod hash, say) cannot grow it without limit: past the bound a value keeps its
 * own instance.
 */
public final class Interner {

  /** Values longer than this are mostly unique (JSON, selectors): never interned. */
  static final int MAX_LENGTH = 64;

  private final Map<String, String> values = new ConcurrentHashMap<>();
  private final int max;

  public Interner(int max) {
    if (max < 0) {
      throw new IllegalArgumentException("max: " + max + " (expected: >= 0)");
    }
    this.max = max;
  }

  public @Nullable String intern(@Nullable String value) {
    if (value == null || value.length() > MAX_LENGTH) {
      return value;
    }
    String known = values.get(value);
    if (known != null) {
      return known;
    }
    if (values.size() < max) {
      known = values.putIfAbsent(value, value);
      return known == null ? value : known;
    }
    return value;
  }

  /** Never null: {@code value} itself is. */
  public String internNonNull(String value) {
    String s = intern(value);
    return s == null ? value : s;
  }

  /** An immutable copy with interned keys and values; nulls (no API server stores one) dropped. */
  public Map<String, String> internAll(@Nullable Map<String, String> map) {
    if (map == null || map.isEmpty()) {
      return Map.of();
    }
    var out = new HashMap<String, String>(map.size() * 2);
    map.forEach(
        (k, v) -> {
          if (k != null && v != null) {
            out.put(internNonNull(k), internNonNull(v));
          }
        });
    return Map.copyOf(out);
  }

  /** An immutable copy with interned elements. */
  public List<String> internAll(List<String> list) {
    if (list.isEmpty()) {
      return List.of();
    }
    String[] out = new String[list.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = internNonNull(list.get(i));
    }
    return List.of(out);
  }

  public int size() {
    return values.size();
  }
}
