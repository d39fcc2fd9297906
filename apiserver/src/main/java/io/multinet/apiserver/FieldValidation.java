package io.multinet.apiserver;

import com.fasterxml.jackson.annotation.JsonProperty;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.mockwebserver.dsl.HttpMethod;
import io.fabric8.mockwebserver.http.MockResponse;
import java.lang.reflect.Field;
import java.lang.reflect.Modifier;
import java.lang.reflect.ParameterizedType;
import java.lang.reflect.Type;
import java.net.HttpURLConnection;
import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.ValueDeserializer;
import tools.jackson.databind.annotation.JsonDeserialize;

/**
 * Server-side field validation, as the API server does it for {@code ?fieldValidation=}: the fields
 * of a create, update or (merge or strategic merge) patch body that the kind does not have are
 * refused ({@code Strict}), reported in {@code Warning} headers ({@code Warn}, also the default) or
 * let through ({@code Ignore}). Built-in kinds are checked against fabric8's typed model (the
 * fields its classes declare), custom resources against the {@code openAPIV3Schema} of their stored
 * CustomResourceDefinition, honouring {@code x-kubernetes-preserve-unknown-fields}. Unknown fields
 * are named by path as Kubernetes names them ({@code spec.ports[0].foo}). JSON patches are not
 * checked.
 */
final class FieldValidation {

  /** What to do with the request: refuse it, or pass it on with these warnings. */
  record Outcome(@Nullable MockResponse refusal, List<String> warnings) {
    static final Outcome NONE = new Outcome(null, List.of());
  }

  private static final Map<String, Class<?>> TYPED =
      Map.ofEntries(
          Map.entry("/configmaps", io.fabric8.kubernetes.api.model.ConfigMap.class),
          Map.entry("/endpoints", io.fabric8.kubernetes.api.model.Endpoints.class),
          Map.entry("/events", io.fabric8.kubernetes.api.model.Event.class),
          Map.entry("/namespaces", io.fabric8.kubernetes.api.model.Namespace.class),
          Map.entry("/nodes", io.fabric8.kubernetes.api.model.Node.class),
          Map.entry("/pods", io.fabric8.kubernetes.api.model.Pod.class),
          Map.entry("/services", io.fabric8.kubernetes.api.model.Service.class),
          Map.entry(
              "apiextensions.k8s.io/customresourcedefinitions",
              io.fabric8.kubernetes.api.model.apiextensions.v1.CustomResourceDefinition.class),
          Map.entry(
              "coordination.k8s.io/leases",
              io.fabric8.kubernetes.api.model.coordination.v1.Lease.class),
          Map.entry(
              "discovery.k8s.io/endpointslices",
              io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice.class),
          Map.entry("events.k8s.io/events", io.fabric8.kubernetes.api.model.events.v1.Event.class));

  // JSON name to Java type of each model class's fields (those Jackson binds).
  private static final ClassValue<Map<String, Type>> FIELDS =
      new ClassValue<>() {
        @Override
        protected Map<String, Type> computeValue(Class<?> type) {
          Map<String, Type> out = new HashMap<>();
          for (Class<?> c = type; c != null && c != Object.class; c = c.getSuperclass()) {
            for (Field f : c.getDeclaredFields()) {
              JsonProperty p = f.getAnnotation(JsonProperty.class);
              if (p != null && !Modifier.isStatic(f.getModifiers())) {
                out.putIfAbsent(p.value().isEmpty() ? f.getName() : p.value(), f.getGenericType());
              }
            }
          }
          return Map.copyOf(out);
        }
      };

  private FieldValidation() {}

  /**
   * The outcome of validating {@code body}, sent with {@code method} to {@code path} (query
   * included) as {@code contentType}.
   *
   * @param crds the stored CustomResourceDefinitions, as JSON (asked for custom resources only)
   */
  static Outcome check(
      HttpMethod method,
      String path,
      @Nullable String contentType,
      String body,
      Supplier<? extends Collection<String>> crds) {
    if (method != HttpMethod.POST && method != HttpMethod.PUT && method != HttpMethod.PATCH) {
      return Outcome.NONE;
    }
    if (method == HttpMethod.PATCH
        && contentType != null
        && contentType.startsWith("application/json-patch+json")) {
      return Outcome.NONE;
    }
    String directive = directive(path);
    if (directive.equalsIgnoreCase("Ignore")) {
      return Outcome.NONE;
    }
    ResourcePath target = ResourcePath.of(path);
    if (target == null) {
      return Outcome.NONE;
    }
    JsonNode json;
    try {
      json = Discovery.JSON.readTree(body);
    } catch (JacksonException e) {
      return Outcome.NONE; // not JSON: the original answers it
    }
    if (!json.isObject()) {
      return Outcome.NONE;
    }
    List<String> unknown = new ArrayList<>();
    String kind;
    String version;
    Class<?> typed = TYPED.get(target.group() + "/" + target.plural());
    if (typed != null) {
      kind = typed.getSimpleName();
      version = target.version();
      walkTyped(json, typed, "", unknown);
    } else {
      JsonNode schema = null;
      kind = null;
      for (String crdJson : crds.get()) {
        JsonNode crd = readOrNull(crdJson);
        if (crd == null) {
          continue;
        }
        JsonNode spec = crd.path("spec");
        if (spec.path("group").asString("").equals(target.group())
            && spec.path("names").path("plural").asString("").equals(target.plural())) {
          kind = spec.path("names").path("kind").asString("");
          for (JsonNode v : spec.path("versions")) {
            if (v.path("name").asString("").equals(target.version())) {
              schema = v.path("schema").path("openAPIV3Schema");
            }
          }
        }
      }
      if (kind == null || schema == null || schema.isMissingNode()) {
        return Outcome.NONE; // not ours to judge: Kubernetes requires a schema, we do not
      }
      version = target.version();
      for (Map.Entry<String, JsonNode> e : json.properties()) {
        String key = e.getKey();
        if (key.equals("apiVersion") || key.equals("kind") || key.startsWith("$")) {
          continue;
        }
        if (key.equals("metadata")) {
          walkTyped(e.getValue(), ObjectMeta.class, "metadata", unknown);
        } else {
          JsonNode property = schema.path("properties").get(key);
          if (property == null) {
            if (!preserves(schema)) {
              unknown.add(key);
            }
          } else {
            walkSchema(e.getValue(), property, key, unknown);
          }
        }
      }
    }
    if (unknown.isEmpty()) {
      return Outcome.NONE;
    }
    List<String> messages = unknown.stream().map(f -> "unknown field \"" + f + "\"").toList();
    if (!directive.equalsIgnoreCase("Strict")) {
      return new Outcome(null, messages);
    }
    String decoding = "strict decoding error: " + String.join(", ", messages);
    if (method == HttpMethod.PATCH) {
      // As the API server answers a patch whose result does not decode strictly.
      return new Outcome(
          Discovery.status(
              422,
              "Invalid",
              kind
                  + " \""
                  + target.name()
                  + "\" is invalid: patch: Invalid value: \""
                  + json
                  + "\": "
                  + decoding),
          List.of());
    }
    return new Outcome(
        Discovery.status(
            HttpURLConnection.HTTP_BAD_REQUEST,
            "BadRequest",
            kind
                + " in version \""
                + version
                + "\" cannot be handled as a "
                + kind
                + ": "
                + decoding),
        List.of());
  }

  /** {@code response} with one {@code Warning} header a message, as Kubernetes sends them. */
  static MockResponse withWarnings(MockResponse response, List<String> warnings) {
    for (String w : warnings) {
      response.addHeader("Warning", "299 - \"" + w.replace("\"", "\\\"") + "\"");
    }
    return response;
  }

  private static String directive(String path) {
    int q = path.indexOf('?');
    if (q >= 0) {
      for (String pair : path.substring(q + 1).split("&", -1)) {
        if (pair.startsWith("fieldValidation=")) {
          return URLDecoder.decode(
              pair.substring("fieldValidation=".length()), StandardCharsets.UTF_8);
        }
      }
    }
    return "Warn"; // the API server's default
  }

  private static @Nullable JsonNode readOrNull(String json) {
    try {
      return Discovery.JSON.readTree(json);
    } catch (JacksonException e) {
      return null;
    }
  }

  private static String child(String path, String key) {
    return path.isEmpty() ? key : path + "." + key;
  }

  /** Collects the fields of {@code json} that the model type {@code type} does not have. */
  private static void walkTyped(JsonNode json, Type type, String path, List<String> unknown) {
    if (type instanceof ParameterizedType p && p.getRawType() instanceof Class<?> raw) {
      Type[] args = p.getActualTypeArguments();
      if (List.class.isAssignableFrom(raw) && json.isArray()) {
        for (int i = 0; i < json.size(); i++) {
          walkTyped(json.get(i), args[0], path + "[" + i + "]", unknown);
        }
      } else if (Map.class.isAssignableFrom(raw) && json.isObject()) {
        for (Map.Entry<String, JsonNode> e : json.properties()) {
          walkTyped(e.getValue(), args[1], path + "[" + e.getKey() + "]", unknown);
        }
      }
      return;
    }
    if (!(type instanceof Class<?> c) || !json.isObject() || !isModel(c)) {
      return; // a scalar, or a type that reads any JSON
    }
    Map<String, Type> fields = FIELDS.get(c);
    for (Map.Entry<String, JsonNode> e : json.properties()) {
      String key = e.getKey();
      if (key.startsWith("$")) {
        continue; // a strategic merge patch directive
      }
      Type t = fields.get(key);
      if (t == null) {
        unknown.add(child(path, key));
      } else if (!e.getValue().isNull()) {
        walkTyped(e.getValue(), t, child(path, key), unknown);
      }
    }
  }

  /** A class of fabric8's model that Jackson binds field by field. */
  private static boolean isModel(Class<?> c) {
    if (!c.getName().startsWith("io.fabric8.kubernetes.api.model.")) {
      return false;
    }
    JsonDeserialize d = c.getAnnotation(JsonDeserialize.class);
    // IntOrString, Quantity, JSONSchemaPropsOrBool and the like read themselves.
    return d == null || d.using() == ValueDeserializer.None.class;
  }

  private static boolean preserves(JsonNode schema) {
    return schema.path("x-kubernetes-preserve-unknown-fields").asBoolean(false);
  }

  /** Collects the fields of {@code json} that the structural {@code schema} prunes. */
  private static void walkSchema(
      JsonNode json, JsonNode schema, String path, List<String> unknown) {
    if (json.isArray()) {
      JsonNode items = schema.get("items");
      if (items != null && items.isObject()) {
        for (int i = 0; i < json.size(); i++) {
          walkSchema(json.get(i), items, path + "[" + i + "]", unknown);
        }
      }
      return;
    }
    if (!json.isObject()) {
      return;
    }
    if (schema.path("x-kubernetes-embedded-resource").asBoolean(false)) {
      return;
    }
    JsonNode properties = schema.path("properties");
    JsonNode additional = schema.get("additionalProperties");
    for (Map.Entry<String, JsonNode> e : json.properties()) {
      String key = e.getKey();
      if (key.startsWith("$")) {
        continue;
      }
      JsonNode property = properties.get(key);
      if (property != null) {
        walkSchema(e.getValue(), property, child(path, key), unknown);
      } else if (additional != null && additional.isObject()) {
        walkSchema(e.getValue(), additional, path + "[" + key + "]", unknown);
      } else if (!(additional != null && additional.asBoolean(false)) && !preserves(schema)) {
        unknown.add(child(path, key));
      }
    }
  }
}
