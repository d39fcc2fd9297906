package io.multinet.apiserver;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.jspecify.annotations.Nullable;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.JsonNodeFactory;
import tools.jackson.databind.node.ObjectNode;

/**
 * Kubernetes' strategic merge patch for the built-in kinds, as far as kubectl sends it: maps merge
 * key by key (null deletes), lists of objects merge by their patch merge key where the API declares
 * one (containers, volumes, env and the like by name, ports by port number, conditions by type),
 * other lists are replaced; the directives {@code $patch: replace|delete|merge}, {@code
 * $retainKeys}, {@code $deleteFromPrimitiveList/} are applied and {@code $setElementOrder/} (which
 * only orders what the merge already holds) is dropped. The merge keys are looked up by field name,
 * which is unambiguous for the kinds this server serves.
 */
final class StrategicMerge {

  // Field name to the merge key of its elements, from the Kubernetes API types' patchMergeKey tags.
  private static final Map<String, String> MERGE_KEYS =
      Map.ofEntries(
          Map.entry("containers", "name"),
          Map.entry("initContainers", "name"),
          Map.entry("ephemeralContainers", "name"),
          Map.entry("volumes", "name"),
          Map.entry("volumeMounts", "mountPath"),
          Map.entry("volumeDevices", "devicePath"),
          Map.entry("env", "name"),
          Map.entry("imagePullSecrets", "name"),
          Map.entry("hostAliases", "ip"),
          Map.entry("conditions", "type"),
          Map.entry("ownerReferences", "uid"),
          Map.entry("resourceClaims", "name"),
          Map.entry("topologySpreadConstraints", "topologyKey"));

  // Lists of scalars that merge as sets (patchStrategy merge without a key).
  private static final Set<String> SET_LISTS = Set.of("finalizers");

  private StrategicMerge() {}

  /** {@code original} with {@code patch} applied; neither is changed. */
  static JsonNode apply(JsonNode original, JsonNode patch) {
    if (!original.isObject() || !patch.isObject()) {
      return clean(patch);
    }
    JsonNode merged = mergeObject((ObjectNode) original.deepCopy(), (ObjectNode) patch);
    return merged == null ? JsonNodeFactory.instance.objectNode() : merged;
  }

  /** Merges {@code patch} into {@code target}; null if the patch deletes the object. */
  private static @Nullable ObjectNode mergeObject(ObjectNode target, ObjectNode patch) {
    String directive = patch.path("$patch").asString("");
    if (directive.equals("delete")) {
      return null;
    }
    if (directive.equals("replace")) {
      return (ObjectNode) clean(patch);
    }
    for (Map.Entry<String, JsonNode> e : patch.properties()) {
      String key = e.getKey();
      JsonNode value = e.getValue();
      if (key.startsWith("$setElementOrder/")
          || key.equals("$patch")
          || key.equals("$retainKeys")) {
        continue;
      }
      if (key.startsWith("$deleteFromPrimitiveList/")) {
        String field = key.substring("$deleteFromPrimitiveList/".length());
        if (target.get(field) instanceof ArrayNode list) {
          for (int i = list.size() - 1; i >= 0; i--) {
            if (contains(value, list.get(i))) {
              list.remove(i);
            }
          }
        }
        continue;
      }
      JsonNode current = target.get(key);
      if (value.isNull()) {
        target.remove(key);
      } else if (value.isObject() && current != null && current.isObject()) {
        ObjectNode merged = mergeObject((ObjectNode) current, (ObjectNode) value);
        if (merged == null) {
          target.remove(key);
        } else {
          target.set(key, merged);
        }
      } else if (value.isArray() && current != null && current.isArray()) {
        target.set(key, mergeList(key, (ArrayNode) current, (ArrayNode) value));
      } else {
        target.set(key, clean(value));
      }
    }
    if (patch.get("$retainKeys") instanceof ArrayNode retain) {
      target
          .properties()
          .removeIf(e -> !contains(retain, JsonNodeFactory.instance.stringNode(e.getKey())));
    }
    return target;
  }

  private static ArrayNode mergeList(String field, ArrayNode current, ArrayNode patch) {
    for (JsonNode p : patch) {
      if (p.isObject() && p.path("$patch").asString("").equals("replace")) {
        ArrayNode replaced = JsonNodeFactory.instance.arrayNode();
        for (JsonNode q : patch) {
          if (!q.has("$patch")) {
            replaced.add(clean(q));
          }
        }
        return replaced;
      }
    }
    String mergeKey = MERGE_KEYS.get(field);
    if (mergeKey == null && field.equals("ports")) {
      // Container ports merge by containerPort, Service ports by port.
      mergeKey = hasKey(current, patch, "containerPort") ? "containerPort" : "port";
    }
    if (mergeKey == null) {
      if (SET_LISTS.contains(field)) {
        ArrayNode out = current.deepCopy();
        for (JsonNode p : patch) {
          if (!contains(out, p)) {
            out.add(p);
          }
        }
        return out;
      }
      return (ArrayNode) clean(patch);
    }
    ArrayNode out = current.deepCopy();
    for (JsonNode p : patch) {
      if (!p.isObject()) {
        continue;
      }
      JsonNode key = p.get(mergeKey);
      int at = -1;
      for (int i = 0; key != null && i < out.size(); i++) {
        if (key.equals(out.get(i).get(mergeKey))) {
          at = i;
          break;
        }
      }
      String directive = p.path("$patch").asString("");
      if (directive.equals("delete")) {
        if (at >= 0) {
          out.remove(at);
        }
      } else if (at >= 0 && out.get(at).isObject()) {
        ObjectNode merged = mergeObject((ObjectNode) out.get(at), (ObjectNode) p);
        if (merged == null) {
          out.remove(at);
        } else {
          out.set(at, merged);
        }
      } else {
        out.add(clean(p));
      }
    }
    return out;
  }

  private static boolean hasKey(ArrayNode a, ArrayNode b, String key) {
    for (JsonNode n : a) {
      if (n.has(key)) {
        return true;
      }
    }
    for (JsonNode n : b) {
      if (n.has(key)) {
        return true;
      }
    }
    return false;
  }

  private static boolean contains(JsonNode array, JsonNode value) {
    for (JsonNode n : array) {
      if (n.equals(value)) {
        return true;
      }
    }
    return false;
  }

  /** {@code value} without directives, for where it is stored as it stands. */
  private static JsonNode clean(JsonNode value) {
    if (value.isObject()) {
      ObjectNode out = JsonNodeFactory.instance.objectNode();
      value
          .properties()
          .forEach(
              e -> {
                if (!e.getKey().startsWith("$")) {
                  out.set(e.getKey(), clean(e.getValue()));
                }
              });
      return out;
    }
    if (value.isArray()) {
      ArrayNode out = JsonNodeFactory.instance.arrayNode();
      for (JsonNode n : value) {
        if (!(n.isObject() && n.has("$patch"))) {
          out.add(clean(n));
        }
      }
      return out;
    }
    return value;
  }

  /** {@code patch} applied to {@code target} as a JSON merge patch (RFC 7386); neither changes. */
  static JsonNode jsonMerge(@Nullable JsonNode target, JsonNode patch) {
    if (!patch.isObject()) {
      return patch.deepCopy();
    }
    ObjectNode out =
        target != null && target.isObject()
            ? (ObjectNode) target.deepCopy()
            : JsonNodeFactory.instance.objectNode();
    patch
        .properties()
        .forEach(
            e -> {
              if (e.getValue().isNull()) {
                out.remove(e.getKey());
              } else {
                out.set(e.getKey(), jsonMerge(out.get(e.getKey()), e.getValue()));
              }
            });
    return out;
  }

  /** The JSON merge patch (RFC 7386) that turns {@code from} into {@code to}. */
  static ObjectNode mergePatch(JsonNode from, JsonNode to) {
    ObjectNode patch = JsonNodeFactory.instance.objectNode();
    List<String> removed = new ArrayList<>();
    from.propertyNames()
        .forEach(
            k -> {
              if (!to.has(k)) {
                removed.add(k);
              }
            });
    removed.forEach(patch::putNull);
    to.properties()
        .forEach(
            e -> {
              JsonNode before = from.get(e.getKey());
              JsonNode after = e.getValue();
              if (before != null && before.isObject() && after.isObject()) {
                ObjectNode nested = mergePatch(before, after);
                if (!nested.isEmpty()) {
                  patch.set(e.getKey(), nested);
                }
              } else if (!after.equals(before)) {
                patch.set(e.getKey(), after);
              }
            });
    return patch;
  }
}
