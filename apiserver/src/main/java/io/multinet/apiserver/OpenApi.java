package io.multinet.apiserver;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;
import tools.jackson.databind.ObjectMapper;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * OpenAPI v3 as far as it is true of this server: {@code /openapi/v3} (the index of group versions)
 * and one document a group version listing its resources' operations, each with the {@code
 * x-kubernetes-group-version-kind} it acts on and the query parameters it honours. kubectl reads
 * these to learn that the server validates fields itself ({@code fieldValidation}), and then leaves
 * validation to it instead of asking for the full schema. Schemas are not served: a client that
 * needs them ({@code kubectl explain}) finds none.
 */
final class OpenApi {

  private static final ObjectMapper JSON = tools.jackson.databind.json.JsonMapper.builder().build();

  private OpenApi() {}

  /** The index: each group version's document, addressed with a hash of its content. */
  static String index(List<Discovery.Resource> all) {
    ObjectNode root = JSON.createObjectNode();
    ObjectNode paths = root.putObject("paths");
    byGroupVersion(all)
        .forEach(
            (gv, resources) -> {
              String prefix = prefix(gv);
              String doc = documentOf(gv, resources);
              paths
                  .putObject(prefix.substring(1))
                  .put("serverRelativeURL", "/openapi/v3" + prefix + "?hash=" + hash(doc));
            });
    return root.toString();
  }

  /** The document of {@code path} (e.g. {@code /openapi/v3/api/v1}), or null if none. */
  static @Nullable String document(String path, List<Discovery.Resource> all) {
    String prefix = path.substring("/openapi/v3".length());
    for (var e : byGroupVersion(all).entrySet()) {
      if (prefix(e.getKey()).equals(prefix)) {
        return documentOf(e.getKey(), e.getValue());
      }
    }
    return null;
  }

  private static Map<String, List<Discovery.Resource>> byGroupVersion(
      List<Discovery.Resource> all) {
    Map<String, List<Discovery.Resource>> out = new LinkedHashMap<>();
    for (Discovery.Resource r : all) {
      out.computeIfAbsent(r.groupVersion(), gv -> new java.util.ArrayList<>()).add(r);
    }
    return out;
  }

  private static String prefix(String groupVersion) {
    return groupVersion.contains("/") ? "/apis/" + groupVersion : "/api/" + groupVersion;
  }

  private static String documentOf(String groupVersion, List<Discovery.Resource> resources) {
    ObjectNode doc = JSON.createObjectNode();
    doc.put("openapi", "3.0.0");
    doc.putObject("info").put("title", "Kubernetes").put("version", "v1.35.0");
    ObjectNode paths = doc.putObject("paths");
    for (Discovery.Resource r : resources) {
      String base =
          prefix(groupVersion) + (r.namespaced() ? "/namespaces/{namespace}/" : "/") + r.plural();
      ObjectNode collection = paths.putObject(base);
      operation(collection, "get", r, "list", false);
      operation(collection, "post", r, "post", true);
      operation(collection, "delete", r, "deletecollection", false);
      ObjectNode item = paths.putObject(base + "/{name}");
      operation(item, "get", r, "get", false);
      operation(item, "put", r, "put", true);
      operation(item, "patch", r, "patch", true);
      operation(item, "delete", r, "delete", false);
    }
    doc.putObject("components").putObject("schemas");
    return doc.toString();
  }

  private static void operation(
      ObjectNode path, String method, Discovery.Resource r, String action, boolean writes) {
    ObjectNode op = path.putObject(method);
    op.put("operationId", method + r.kind());
    ArrayNode parameters = op.putArray("parameters");
    if (writes) {
      parameters
          .addObject()
          .put("name", "fieldValidation")
          .put("in", "query")
          .putObject("schema")
          .put("type", "string");
      parameters
          .addObject()
          .put("name", "dryRun")
          .put("in", "query")
          .putObject("schema")
          .put("type", "string");
    }
    op.putObject("responses").putObject("200").put("description", "OK");
    op.put("x-kubernetes-action", action);
    op.putObject("x-kubernetes-group-version-kind")
        .put("group", r.group())
        .put("version", r.version())
        .put("kind", r.kind());
  }

  private static String hash(String doc) {
    try {
      byte[] d = MessageDigest.getInstance("SHA-512").digest(doc.getBytes(StandardCharsets.UTF_8));
      return HexFormat.of().withUpperCase().formatHex(d, 0, 32);
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("SHA-512 is part of every JDK", e);
    }
  }
}
