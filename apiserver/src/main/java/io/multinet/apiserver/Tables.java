package io.multinet.apiserver;

import static java.util.Objects.requireNonNull;

import io.fabric8.mockwebserver.http.MockResponse;
import java.math.BigDecimal;
import java.net.HttpURLConnection;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.function.UnaryOperator;
import java.util.logging.Level;
import java.util.logging.Logger;
import org.jspecify.annotations.Nullable;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.JsonNodeFactory;
import tools.jackson.databind.node.ObjectNode;

/**
 * Table answers, as the API server gives them to a client whose {@code Accept} header asks for
 * {@code application/json;as=Table;v=v1;g=meta.k8s.io} (kubectl's {@code get} does, then v1beta1,
 * then plain JSON): a {@code meta.k8s.io} Table whose columns are the kind's printer columns (a
 * built-in kind's, {@link Printers}; a custom resource's {@code additionalPrinterColumns}, or Age
 * if its version declares none; else Name and Created At), one row per object, each carrying the
 * object's metadata as a PartialObjectMetadata ({@code ?includeObject=Object}: the whole object;
 * {@code None}: nothing). Lists, single objects and watch events are converted; the first event of
 * a watch carries the column definitions, later ones none, as in Kubernetes.
 */
final class Tables {

  private static final Logger LOG = Logger.getLogger(Tables.class.getName());
  private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

  private Tables() {}

  /** What the client asked for: a Table of this meta.k8s.io version, including this much. */
  record Request(String version, String includeObject) {
    Request {
      requireNonNull(version, "version");
      requireNonNull(includeObject, "includeObject");
    }

    String apiVersion() {
      return "meta.k8s.io/" + version;
    }

    String contentType() {
      return "application/json;as=Table;v=" + version + ";g=meta.k8s.io";
    }
  }

  /**
   * The Table the {@code accept} header asks for, or null if its first media type this server can
   * answer is plain JSON (or it asks for nothing in particular). Media types are tried in order:
   * the first that is JSON (or {@code * / *}) and, if it names a conversion, a Table of meta.k8s.io
   * v1 or v1beta1, wins; protobuf is never answered.
   */
  static @Nullable String negotiatedVersion(@Nullable String accept) {
    if (accept == null || accept.isBlank()) {
      return null;
    }
    for (String clause : accept.split(",", -1)) {
      String[] parts = clause.split(";", -1);
      String type = parts[0].trim().toLowerCase(Locale.ROOT);
      if (!type.equals("application/json")
          && !type.equals("*/*")
          && !type.equals("application/*")) {
        continue;
      }
      Map<String, String> params = new TreeMap<>();
      for (int i = 1; i < parts.length; i++) {
        int eq = parts[i].indexOf('=');
        if (eq > 0) {
          params.put(
              parts[i].substring(0, eq).trim().toLowerCase(Locale.ROOT),
              parts[i].substring(eq + 1).trim());
        }
      }
      String as = params.get("as");
      if (as == null) {
        return null; // plain JSON
      }
      String version = params.getOrDefault("v", "");
      if (as.equals("Table")
          && params.getOrDefault("g", "").equals("meta.k8s.io")
          && (version.equals("v1") || version.equals("v1beta1"))) {
        return version;
      }
      // Another conversion (PartialObjectMetadata): not served, try the next media type.
    }
    return null;
  }

  /**
   * The Table request of a GET, or null if it asks for plain JSON.
   *
   * @throws IllegalArgumentException if {@code includeObject} is none of None, Metadata, Object:
   *     the message is the API server's
   */
  static @Nullable Request request(String path, @Nullable String accept) {
    String version = negotiatedVersion(accept);
    if (version == null) {
      return null;
    }
    String include = ResourcePath.queryParameter(path, "includeObject");
    if (include == null || include.isEmpty()) {
      include = "Metadata";
    }
    if (!include.equals("None") && !include.equals("Metadata") && !include.equals("Object")) {
      throw new IllegalArgumentException(
          "Unable to convert to Table as requested: includeObject: Unsupported value: \""
              + include
              + "\": supported values: \"Metadata\", \"None\", \"Object\"");
    }
    return new Request(version, include);
  }

  /** The 400 answer to a request {@link #request} refused. */
  static MockResponse badRequest(IllegalArgumentException refusal) {
    return Discovery.status(
        HttpURLConnection.HTTP_BAD_REQUEST, "BadRequest", requireNonNull(refusal.getMessage()));
  }

  /** The printer for the resource {@code path} names; custom resources' from {@code crds}. */
  static Printers.Printer printer(String path, Collection<String> crds) {
    ResourcePath target = ResourcePath.of(path);
    if (target == null) {
      return Printers.defaultPrinter();
    }
    Printers.Printer builtIn = Printers.builtIn(target.group(), target.plural());
    if (builtIn != null) {
      return builtIn;
    }
    for (String json : crds) {
      JsonNode crd;
      try {
        crd = Discovery.JSON.readTree(json);
      } catch (JacksonException e) {
        continue;
      }
      JsonNode spec = crd.path("spec");
      if (spec.path("group").asString("").equals(target.group())
          && spec.path("names").path("plural").asString("").equals(target.plural())) {
        for (JsonNode v : spec.path("versions")) {
          if (v.path("name").asString("").equals(target.version())) {
            return crdPrinter(crd.path("metadata").path("name").asString(""), v);
          }
        }
      }
    }
    return Printers.defaultPrinter();
  }

  /**
   * A custom resource version's printer: Name, then its {@code additionalPrinterColumns} (only Age
   * when it declares none). As in Kubernetes, a column whose JSONPath does not parse ends the list
   * there.
   */
  static Printers.Printer crdPrinter(String crdName, JsonNode version) {
    ArrayNode columns = Printers.columns("crd");
    List<JsonPath> paths = new ArrayList<>();
    List<String> types = new ArrayList<>();
    JsonNode declared = version.path("additionalPrinterColumns");
    List<JsonNode> definitions = new ArrayList<>();
    declared.values().forEach(definitions::add);
    if (definitions.isEmpty()) {
      ObjectNode age = Printers.crdAgeColumn();
      age.put("jsonPath", ".metadata.creationTimestamp");
      definitions.add(age);
    }
    for (JsonNode column : definitions) {
      String jsonPath = column.path("jsonPath").asString("");
      JsonPath path;
      try {
        path = JsonPath.parse(jsonPath);
      } catch (IllegalArgumentException e) {
        LOG.log(
            Level.WARNING,
            "CustomResourceDefinition {0}: printer column {1}: {2}; the columns after it are"
                + " not shown",
            new Object[] {crdName, column.path("name").asString(""), e.getMessage()});
        break;
      }
      String description = column.path("description").asString("");
      ObjectNode definition = columns.addObject();
      definition.put("name", column.path("name").asString(""));
      definition.put("type", column.path("type").asString(""));
      definition.put("format", column.path("format").asString(""));
      definition.put(
          "description",
          description.isEmpty()
              ? "Custom resource definition column (in JSONPath format): " + jsonPath
              : description);
      definition.put("priority", column.path("priority").asInt(0));
      paths.add(path);
      types.add(column.path("type").asString(""));
    }
    return new Printers.Printer(
        columns,
        (object, now) -> {
          List<JsonNode> cells = new ArrayList<>();
          cells.add(NODES.stringNode(Printers.name(object)));
          for (int i = 0; i < paths.size(); i++) {
            List<JsonNode> found = paths.get(i).find(object);
            cells.add(found.isEmpty() ? NODES.nullNode() : cell(types.get(i), found.get(0), now));
          }
          return cells;
        });
  }

  /**
   * A custom column's cell from the first value its path found, as Kubernetes makes it: a {@code
   * string} column prints the value as kubectl's JSONPath does (scalars as text, lists and objects
   * as JSON); {@code integer}, {@code number} and {@code boolean} take values of their kind; {@code
   * date} shows the time since; anything else is null.
   */
  static JsonNode cell(String type, JsonNode value, Instant now) {
    if (value.isNull()) {
      return NODES.nullNode();
    }
    return switch (type) {
      case "string" ->
          NODES.stringNode(value.isContainer() ? GoJson.marshal(value) : GoJson.text(value));
      case "integer" -> value.isNumber() ? NODES.numberNode(value.asLong()) : NODES.nullNode();
      case "number" -> value.isNumber() ? NODES.numberNode(value.asDouble()) : NODES.nullNode();
      case "boolean" -> value.isBoolean() ? value : NODES.nullNode();
      case "date" -> {
        if (!value.isString()) {
          yield NODES.nullNode();
        }
        if (value.asString().isEmpty()) {
          yield NODES.stringNode("<unknown>"); // the zero time
        }
        String since = Printers.since(value, now);
        yield NODES.stringNode(since == null ? "<invalid>" : since);
      }
      default -> NODES.nullNode();
    };
  }

  /**
   * The Table of {@code body}, a list or one object as the store answers them.
   *
   * @param withHeaders false: no column definitions (a watch event after the first)
   */
  static ObjectNode table(
      JsonNode body, Printers.Printer printer, Request request, boolean withHeaders, Instant now) {
    ObjectNode table = NODES.objectNode();
    table.put("kind", "Table");
    table.put("apiVersion", request.apiVersion());
    ObjectNode metadata = table.putObject("metadata");
    boolean list = body.has("items") && body.path("kind").asString("").endsWith("List");
    // A list's resourceVersion, continue token and remaining count; an object's resourceVersion.
    for (String key :
        list
            ? List.of("resourceVersion", "continue", "remainingItemCount")
            : List.of("resourceVersion")) {
      JsonNode value = body.path("metadata").get(key);
      if (value != null && !value.isNull()) {
        metadata.set(key, value);
      }
    }
    if (withHeaders) {
      table.set("columnDefinitions", printer.columns());
    } else {
      table.putNull("columnDefinitions");
    }
    ArrayNode rows = table.putArray("rows");
    for (JsonNode object : list ? body.path("items").values() : List.of(body)) {
      ObjectNode row = rows.addObject();
      ArrayNode cells = row.putArray("cells");
      printer.cells().of(object, now).forEach(cells::add);
      if (object.path("kind").asString("").equals("Pod")) {
        ArrayNode conditions = Printers.podConditions(object);
        if (conditions != null) {
          row.set("conditions", conditions);
        }
      }
      switch (request.includeObject()) {
        case "Object" -> row.set("object", object);
        case "None" -> row.putNull("object");
        default -> {
          ObjectNode partial = row.putObject("object");
          partial.put("kind", "PartialObjectMetadata");
          partial.put("apiVersion", request.apiVersion());
          partial.set("metadata", object.path("metadata").deepCopy());
        }
      }
    }
    return table;
  }

  /**
   * The answer to a GET as a Table, if {@code request} asks for one and {@code response} is an
   * object or list; other answers (errors, Status) pass unchanged.
   */
  static MockResponse convert(
      MockResponse response, String path, Request request, Collection<String> crds, Instant now) {
    if (response.code() != HttpURLConnection.HTTP_OK || response.getBody() == null) {
      return response;
    }
    JsonNode body;
    try {
      body = Discovery.JSON.readTree(response.getBody().readUtf8());
    } catch (JacksonException e) {
      return response;
    }
    if (!body.isObject() || body.path("kind").asString("").equals("Status")) {
      return response.setBody(body.toString());
    }
    ObjectNode table;
    try {
      table = table(body, printer(path, crds), request, true, now);
    } catch (RuntimeException e) {
      // As the API server does with an object it cannot transform: log it, answer it as it is.
      LOG.log(Level.WARNING, "cannot convert " + path + " to a Table", e);
      return response.setBody(body.toString());
    }
    return new MockResponse()
        .setResponseCode(HttpURLConnection.HTTP_OK)
        .setHeader("Content-Type", request.contentType())
        .setBody(table.toString());
  }

  /**
   * Turns a watch's events into Table events: each object a one-row Table, the first with column
   * definitions; ERROR events (a Status) pass unchanged. Not thread-safe: one watch's writer.
   */
  static UnaryOperator<String> watchEvents(Request request, Printers.Printer printer) {
    return new UnaryOperator<>() {
      private boolean headersSent;

      @Override
      public String apply(String event) {
        boolean withHeaders = !headersSent;
        headersSent = true;
        ObjectNode parsed;
        try {
          parsed = (ObjectNode) Discovery.JSON.readTree(event);
        } catch (JacksonException | ClassCastException e) {
          return event;
        }
        JsonNode object = parsed.path("object");
        if (parsed.path("type").asString("").equals("ERROR")
            || object.path("kind").asString("").equals("Status")
            || !object.isObject()) {
          return event;
        }
        try {
          parsed.set("object", table(object, printer, request, withHeaders, Instant.now()));
        } catch (RuntimeException e) {
          LOG.log(Level.WARNING, "cannot convert a watch event to a Table", e);
          return event;
        }
        return parsed.toString();
      }
    };
  }

  /** Values printed as Go prints them: kubectl's JSONPath output of custom columns. */
  static final class GoJson {
    private GoJson() {}

    /** A scalar as Go's {@code fmt.Print} shows it. */
    static String text(JsonNode value) {
      if (value.isString()) {
        return value.asString();
      }
      if (value.isIntegralNumber()) {
        return value.asString();
      }
      if (value.isNumber()) {
        return goFloat(value.asDouble(), 6);
      }
      return value.asString();
    }

    /** {@code value} as Go's {@code encoding/json} writes it: map keys sorted, HTML escaped. */
    static String marshal(JsonNode value) {
      var out = new StringBuilder();
      write(value, out);
      return out.toString();
    }

    private static void write(JsonNode value, StringBuilder out) {
      if (value.isObject()) {
        var sorted = new TreeMap<String, JsonNode>();
        value.properties().forEach(e -> sorted.put(e.getKey(), e.getValue()));
        out.append('{');
        boolean first = true;
        for (Map.Entry<String, JsonNode> e : sorted.entrySet()) {
          if (!first) {
            out.append(',');
          }
          first = false;
          string(e.getKey(), out);
          out.append(':');
          write(e.getValue(), out);
        }
        out.append('}');
      } else if (value.isArray()) {
        out.append('[');
        boolean first = true;
        for (JsonNode item : value.values()) {
          if (!first) {
            out.append(',');
          }
          first = false;
          write(item, out);
        }
        out.append(']');
      } else if (value.isString()) {
        string(value.asString(), out);
      } else if (value.isNumber() && !value.isIntegralNumber()) {
        out.append(goFloat(value.asDouble(), 21));
      } else {
        out.append(value.toString());
      }
    }

    private static void string(String s, StringBuilder out) {
      out.append('"');
      for (int i = 0; i < s.length(); i++) {
        char c = s.charAt(i);
        switch (c) {
          case '"' -> out.append("\\\"");
          case '\\' -> out.append("\\\\");
          case '\n' -> out.append("\\n");
          case '\r' -> out.append("\\r");
          case '\t' -> out.append("\\t");
          default -> {
            if (c < 0x20 || c == '<' || c == '>' || c == '&' || c == '\u2028' || c == '\u2029') {
              out.append(String.format(Locale.ROOT, "\\u%04x", (int) c));
            } else {
              out.append(c);
            }
          }
        }
      }
      out.append('"');
    }

    /**
     * The shortest decimal form of {@code d}, in exponent form when its exponent is below -4
     * ({@code fmt}; -6 for {@code encoding/json}, which passes 21) or at least {@code limit}.
     */
    static String goFloat(double d, int limit) {
      if (d == 0) {
        return "0";
      }
      BigDecimal exact = new BigDecimal(Double.toString(d)).stripTrailingZeros();
      String digits = exact.unscaledValue().abs().toString();
      int exponent = digits.length() - 1 - exact.scale();
      String sign = d < 0 ? "-" : "";
      int low = limit == 21 ? -6 : -4;
      if (exponent < low || exponent >= limit) {
        String mantissa =
            digits.length() == 1 ? digits : digits.charAt(0) + "." + digits.substring(1);
        String e = Integer.toString(Math.abs(exponent));
        if (limit != 21 && e.length() < 2) {
          e = "0" + e; // fmt pads the exponent to two digits; encoding/json does not
        }
        return sign + mantissa + "e" + (exponent < 0 ? "-" : "+") + e;
      }
      return sign + exact.abs().toPlainString();
    }
  }
}
