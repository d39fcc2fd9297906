package io.multinet.apiserver;

import static java.util.Objects.requireNonNull;

import io.fabric8.mockwebserver.http.MockResponse;
import java.net.HttpURLConnection;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.jspecify.annotations.Nullable;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.ObjectMapper;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * The API server's discovery documents, answered as a real one answers them so that kubectl can map
 * {@code svc}, {@code ns} or {@code networks} to a resource: {@code /version}, {@code /api}
 * (APIVersions), {@code /apis} (APIGroupList), and an APIResourceList for {@code /api/v1} and each
 * {@code /apis/GROUP/VERSION}. The built-in kinds are those the project reads and writes; custom
 * resources come from the CustomResourceDefinitions stored in the server at the time of the
 * request, as they do in Kubernetes, so a CRD applied with kubectl is discoverable at once.
 *
 * <p>Only the legacy (unaggregated) form is served: a client asking for {@code
 * application/json;g=apidiscovery.k8s.io;v=v2;as=APIGroupDiscoveryList} gets {@code
 * application/json} and, like kubectl, falls back to one request per group version. OpenAPI v3 is
 * served as far as it is true ({@link OpenApi}: operations and their parameters, no schemas);
 * {@code /openapi/v2} answers 404.
 */
final class Discovery {

  static final ObjectMapper JSON = JsonMapper.builder().build();
  private static final List<String> VERBS =
      List.of("create", "delete", "deletecollection", "get", "list", "patch", "update", "watch");

  /** One resource of a group version, as an APIResourceList lists it. */
  record Resource(
      String group,
      String version,
      String plural,
      String singular,
      String kind,
      boolean namespaced,
      List<String> shortNames,
      List<String> categories) {
    Resource {
      requireNonNull(group, "group");
      requireNonNull(version, "version");
      requireNonNull(plural, "plural");
      requireNonNull(singular, "singular");
      requireNonNull(kind, "kind");
      shortNames = List.copyOf(shortNames);
      categories = List.copyOf(categories);
    }

    String groupVersion() {
      return group.isEmpty() ? version : group + "/" + version;
    }
  }

  /** The built-in kinds the project uses, with the names and short names Kubernetes gives them. */
  static final List<Resource> BUILT_IN =
      List.of(
          new Resource(
              "", "v1", "configmaps", "configmap", "ConfigMap", true, List.of("cm"), none()),
          new Resource(
              "", "v1", "endpoints", "endpoints", "Endpoints", true, List.of("ep"), none()),
          new Resource("", "v1", "events", "event", "Event", true, List.of("ev"), none()),
          new Resource(
              "", "v1", "namespaces", "namespace", "Namespace", false, List.of("ns"), none()),
          new Resource("", "v1", "nodes", "node", "Node", false, List.of("no"), none()),
          new Resource("", "v1", "pods", "pod", "Pod", true, List.of("po"), List.of("all")),
          new Resource(
              "", "v1", "services", "service", "Service", true, List.of("svc"), List.of("all")),
          new Resource(
              "apiextensions.k8s.io",
              "v1",
              "customresourcedefinitions",
              "customresourcedefinition",
              "CustomResourceDefinition",
              false,
              List.of("crd", "crds"),
              none()),
          new Resource(
              "coordination.k8s.io", "v1", "leases", "lease", "Lease", true, none(), none()),
          new Resource(
              "discovery.k8s.io",
              "v1",
              "endpointslices",
              "endpointslice",
              "EndpointSlice",
              true,
              none(),
              none()),
          new Resource(
              "events.k8s.io", "v1", "events", "event", "Event", true, List.of("ev"), none()));

  private static List<String> none() {
    return List.of();
  }

  private Discovery() {}

  /**
   * The answer to a GET of {@code path} if it is a discovery or OpenAPI path, else null.
   *
   * @param crds the stored CustomResourceDefinitions, as JSON
   */
  static @Nullable MockResponse answer(String path, Collection<String> crds) {
    int q = path.indexOf('?');
    String p = q < 0 ? path : path.substring(0, q);
    if (p.length() > 1 && p.endsWith("/")) {
      p = p.substring(0, p.length() - 1);
    }
    if (p.equals("/version")) {
      return ok(version());
    }
    if (p.equals("/openapi/v3")) {
      return okJson(OpenApi.index(resources(crds)));
    }
    if (p.startsWith("/openapi/v3/")) {
      String doc = OpenApi.document(p, resources(crds));
      if (doc != null) {
        return okJson(doc);
      }
    }
    if (p.equals("/openapi/v2") || p.startsWith("/openapi/") || p.equals("/swagger.json")) {
      return status(
          HttpURLConnection.HTTP_NOT_FOUND,
          "NotFound",
          "the server could not find the requested resource");
    }
    if (p.equals("/api")) {
      return ok(apiVersions());
    }
    List<Resource> all = resources(crds);
    if (p.equals("/apis")) {
      return ok(groupList(all));
    }
    String groupVersion = null;
    if (p.equals("/api/v1")) {
      groupVersion = "v1";
    } else if (p.startsWith("/apis/")) {
      String[] parts = p.substring("/apis/".length()).split("/", -1);
      if (parts.length == 1) {
        return group(all, parts[0]);
      }
      if (parts.length == 2) {
        groupVersion = parts[0] + "/" + parts[1];
      }
    }
    if (groupVersion == null) {
      return null;
    }
    String gv = groupVersion;
    List<Resource> listed = all.stream().filter(r -> r.groupVersion().equals(gv)).toList();
    if (listed.isEmpty()) {
      return status(
          HttpURLConnection.HTTP_NOT_FOUND,
          "NotFound",
          "the server could not find the requested resource");
    }
    return ok(resourceList(gv, listed));
  }

  /** Whether {@code path} (without a query) is under a built-in resource's collection. */
  static boolean isBuiltIn(String path) {
    for (Resource r : BUILT_IN) {
      String prefix = r.group().isEmpty() ? "/api/" + r.version() : "/apis/" + r.groupVersion();
      if (path.startsWith(prefix + "/")
          && (path.contains("/" + r.plural() + "/") || path.endsWith("/" + r.plural()))) {
        return true;
      }
    }
    return false;
  }

  /** The built-in resources and those of every served version of {@code crds}. */
  static List<Resource> resources(Collection<String> crds) {
    Map<String, Resource> byKey = new LinkedHashMap<>();
    for (Resource r : BUILT_IN) {
      byKey.put(r.groupVersion() + "/" + r.plural(), r);
    }
    for (String json : crds) {
      for (Resource r : fromCrd(json)) {
        byKey.putIfAbsent(r.groupVersion() + "/" + r.plural(), r);
      }
    }
    return List.copyOf(byKey.values());
  }

  /** The resources a CustomResourceDefinition serves; none if it is malformed. */
  static List<Resource> fromCrd(String json) {
    JsonNode crd;
    try {
      crd = JSON.readTree(json);
    } catch (JacksonException e) {
      return List.of();
    }
    JsonNode spec = crd.path("spec");
    JsonNode names = spec.path("names");
    String group = spec.path("group").asString("");
    String plural = names.path("plural").asString("");
    String kind = names.path("kind").asString("");
    if (group.isEmpty() || plural.isEmpty() || kind.isEmpty()) {
      return List.of();
    }
    String singular = names.path("singular").asString(kind.toLowerCase(java.util.Locale.ROOT));
    boolean namespaced = !spec.path("scope").asString("Namespaced").equals("Cluster");
    List<String> shortNames = strings(names.path("shortNames"));
    List<String> categories = strings(names.path("categories"));
    List<Resource> out = new ArrayList<>();
    for (JsonNode v : spec.path("versions")) {
      if (v.path("served").asBoolean(true) && !v.path("name").asString("").isEmpty()) {
        out.add(
            new Resource(
                group,
                v.path("name").asString(""),
                plural,
                singular,
                kind,
                namespaced,
                shortNames,
                categories));
      }
    }
    return out;
  }

  private static List<String> strings(JsonNode array) {
    List<String> out = new ArrayList<>();
    for (JsonNode n : array) {
      out.add(n.asString(""));
    }
    return out;
  }

  private static ObjectNode version() {
    ObjectNode v = JSON.createObjectNode();
    v.put("major", "1");
    v.put("minor", "35");
    v.put("gitVersion", "v1.35.0");
    v.put("gitCommit", "");
    v.put("gitTreeState", "clean");
    v.put("buildDate", "1970-01-01T00:00:00Z");
    v.put("goVersion", "");
    v.put("compiler", "multinet-proxy embedded API server");
    v.put(
        "platform",
        System.getProperty("os.name", "linux").toLowerCase(java.util.Locale.ROOT)
            + "/"
            + System.getProperty("os.arch", ""));
    return v;
  }

  private static ObjectNode apiVersions() {
    ObjectNode v = JSON.createObjectNode();
    v.put("kind", "APIVersions");
    v.putArray("versions").add("v1");
    ObjectNode address = v.putArray("serverAddressByClientCIDRs").addObject();
    address.put("clientCIDR", "0.0.0.0/0");
    address.put("serverAddress", "127.0.0.1");
    return v;
  }

  /** Group name to its versions, in order of first appearance; the core group left out. */
  private static Map<String, List<String>> groups(List<Resource> all) {
    Map<String, List<String>> groups = new LinkedHashMap<>();
    for (Resource r : all) {
      if (!r.group().isEmpty()) {
        List<String> versions = groups.computeIfAbsent(r.group(), g -> new ArrayList<>());
        if (!versions.contains(r.version())) {
          versions.add(r.version());
        }
      }
    }
    return groups;
  }

  private static ObjectNode groupList(List<Resource> all) {
    ObjectNode list = JSON.createObjectNode();
    list.put("kind", "APIGroupList");
    list.put("apiVersion", "v1");
    ArrayNode groups = list.putArray("groups");
    groups(all).forEach((name, versions) -> groups.add(group(name, versions)));
    return list;
  }

  private static @Nullable MockResponse group(List<Resource> all, String name) {
    List<String> versions = groups(all).get(name);
    if (versions == null) {
      return status(
          HttpURLConnection.HTTP_NOT_FOUND,
          "NotFound",
          "the server could not find the requested resource");
    }
    ObjectNode group = group(name, versions);
    group.put("kind", "APIGroup");
    group.put("apiVersion", "v1");
    return ok(group);
  }

  private static ObjectNode group(String name, List<String> versions) {
    ObjectNode group = JSON.createObjectNode();
    group.put("name", name);
    ArrayNode vs = group.putArray("versions");
    for (String v : versions) {
      vs.addObject().put("groupVersion", name + "/" + v).put("version", v);
    }
    // Kubernetes prefers the newest stable version; CRDs list theirs newest first by convention.
    String preferred = versions.getFirst();
    group
        .putObject("preferredVersion")
        .put("groupVersion", name + "/" + preferred)
        .put("version", preferred);
    return group;
  }

  private static ObjectNode resourceList(String groupVersion, List<Resource> resources) {
    ObjectNode list = JSON.createObjectNode();
    list.put("kind", "APIResourceList");
    list.put("apiVersion", "v1");
    list.put("groupVersion", groupVersion);
    ArrayNode items = list.putArray("resources");
    for (Resource r : resources) {
      ObjectNode item = items.addObject();
      item.put("name", r.plural());
      item.put("singularName", r.singular());
      item.put("namespaced", r.namespaced());
      item.put("kind", r.kind());
      ArrayNode verbs = item.putArray("verbs");
      VERBS.forEach(verbs::add);
      if (!r.shortNames().isEmpty()) {
        ArrayNode shortNames = item.putArray("shortNames");
        r.shortNames().forEach(shortNames::add);
      }
      if (!r.categories().isEmpty()) {
        ArrayNode categories = item.putArray("categories");
        r.categories().forEach(categories::add);
      }
    }
    return list;
  }

  private static MockResponse okJson(String body) {
    return new MockResponse()
        .setResponseCode(HttpURLConnection.HTTP_OK)
        .setHeader("Content-Type", "application/json")
        .setBody(body);
  }

  private static MockResponse ok(JsonNode body) {
    return new MockResponse()
        .setResponseCode(HttpURLConnection.HTTP_OK)
        .setHeader("Content-Type", "application/json")
        .setBody(body.toString());
  }

  static MockResponse status(int code, String reason, String message) {
    ObjectNode s = JSON.createObjectNode();
    s.put("kind", "Status");
    s.put("apiVersion", "v1");
    s.putObject("metadata");
    s.put("status", "Failure");
    s.put("message", message);
    s.put("reason", reason);
    s.put("code", code);
    return new MockResponse()
        .setResponseCode(code)
        .setHeader("Content-Type", "application/json")
        .setBody(s.toString());
  }
}
