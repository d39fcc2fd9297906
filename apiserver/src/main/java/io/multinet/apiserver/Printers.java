package io.multinet.apiserver;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.time.Duration;
import java.time.Instant;
import java.time.OffsetDateTime;
import java.time.format.DateTimeParseException;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import org.jspecify.annotations.Nullable;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.JsonNodeFactory;
import tools.jackson.databind.node.ObjectNode;

/**
 * The columns and cells a real API server's Table answers carry for the built-in kinds, as
 * Kubernetes' printers (pkg/printers/internalversion) compute them from the stored object, always
 * with the wide ({@code priority: 1}) columns, which kubectl shows only with {@code -o wide}. The
 * column definitions (names, types, descriptions) are the printers' own, in {@code
 * printer-columns.json}; a kind without a printer gets the API server's default: Name and Created
 * At.
 *
 * <p>Where a real API server would have defaulted a field the embedded one stores as written (a
 * Service's type and port protocols, a Namespace's phase, a Pod's {@code podIPs} from {@code
 * podIP}), the cell shows the defaulted value.
 */
final class Printers {

  private static final JsonNodeFactory NODES = JsonNodeFactory.instance;
  private static final ObjectNode COLUMNS = load();

  /** The cells of one object's row; {@code now} is the time ages are measured to. */
  @FunctionalInterface
  interface Cells {
    List<JsonNode> of(JsonNode object, Instant now);
  }

  /** A printer: its column definitions and how it fills a row. */
  record Printer(ArrayNode columns, Cells cells) {}

  private static final Map<String, Cells> BUILT_IN =
      Map.ofEntries(
          Map.entry("/pods", Printers::pod),
          Map.entry("/services", Printers::service),
          Map.entry("/endpoints", Printers::endpoints),
          Map.entry("/nodes", Printers::node),
          Map.entry("/events", (o, now) -> event(o, now, false)),
          Map.entry("events.k8s.io/events", (o, now) -> event(o, now, true)),
          Map.entry("/namespaces", Printers::namespace),
          Map.entry("/configmaps", Printers::configMap),
          Map.entry("coordination.k8s.io/leases", Printers::lease),
          Map.entry("discovery.k8s.io/endpointslices", Printers::endpointSlice));

  private Printers() {}

  private static ObjectNode load() {
    try (InputStream in = Printers.class.getResourceAsStream("printer-columns.json")) {
      if (in == null) {
        throw new IllegalStateException("printer-columns.json missing from the class path");
      }
      return (ObjectNode) Discovery.JSON.readTree(in);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** The printer of a built-in resource ({@code group/plural}, core group empty), or null. */
  static @Nullable Printer builtIn(String group, String plural) {
    String key = group + "/" + plural;
    Cells cells = BUILT_IN.get(key);
    return cells == null ? null : new Printer(columns(key), cells);
  }

  /** The API server's default Table: Name, and Created At as an RFC 3339 time. */
  static Printer defaultPrinter() {
    return new Printer(
        columns("default"),
        (o, now) ->
            List.of(
                NODES.stringNode(name(o)),
                NODES.stringNode(createdAt(o.path("metadata").path("creationTimestamp")))));
  }

  /** The definitions under {@code key} in printer-columns.json, as a fresh copy. */
  static ArrayNode columns(String key) {
    return (ArrayNode) COLUMNS.required(key).deepCopy();
  }

  /** The definition of the Age column the API server gives a CRD version that declares none. */
  static ObjectNode crdAgeColumn() {
    return (ObjectNode) COLUMNS.required("crdAge").deepCopy();
  }

  /** Every printer key, for tests that check each against its columns. */
  static List<String> builtInKeys() {
    return List.copyOf(new TreeSet<>(BUILT_IN.keySet()));
  }

  // --- pods -------------------------------------------------------------------------------

  private static List<JsonNode> pod(JsonNode pod, Instant now) {
    JsonNode spec = pod.path("spec");
    JsonNode status = pod.path("status");
    int total = spec.path("containers").size();
    int ready = 0;
    int restarts = 0;
    int restartableInitRestarts = 0;
    Instant lastRestart = null;
    Instant lastRestartableInitRestart = null;
    String phase = text(status, "phase");
    String reason = text(status, "reason").isEmpty() ? phase : text(status, "reason");
    for (JsonNode c : status.path("conditions")) {
      if (text(c, "type").equals("PodScheduled") && text(c, "reason").equals("SchedulingGated")) {
        reason = "SchedulingGated";
      }
    }
    Map<String, Boolean> restartable = new TreeMap<>();
    for (JsonNode c : spec.path("initContainers")) {
      boolean always = text(c, "restartPolicy").equals("Always");
      restartable.put(text(c, "name"), always);
      if (always) {
        total++;
      }
    }
    boolean initializing = false;
    JsonNode initStatuses = status.path("initContainerStatuses");
    for (int i = 0; i < initStatuses.size(); i++) {
      JsonNode c = initStatuses.get(i);
      int count = c.path("restartCount").asInt(0);
      restarts += count;
      Instant finished = finishedAt(c);
      lastRestart = later(lastRestart, finished);
      boolean isRestartable = restartable.getOrDefault(text(c, "name"), false);
      if (isRestartable) {
        restartableInitRestarts += count;
        lastRestartableInitRestart = later(lastRestartableInitRestart, finished);
      }
      JsonNode terminated = present(c.path("state"), "terminated");
      JsonNode waiting = present(c.path("state"), "waiting");
      if (terminated != null && terminated.path("exitCode").asInt(0) == 0) {
        continue;
      }
      if (isRestartable && c.path("started").asBoolean(false)) {
        if (c.path("ready").asBoolean(false)) {
          ready++;
        }
        continue;
      }
      if (terminated != null) {
        reason =
            "Init:"
                + (text(terminated, "reason").isEmpty()
                    ? exitReason(terminated)
                    : text(terminated, "reason"));
      } else if (waiting != null
          && !text(waiting, "reason").isEmpty()
          && !text(waiting, "reason").equals("PodInitializing")) {
        reason = "Init:" + text(waiting, "reason");
      } else {
        reason = "Init:" + i + "/" + spec.path("initContainers").size();
      }
      initializing = true;
      break;
    }
    if (!initializing || conditionTrue(status, "Initialized")) {
      restarts = restartableInitRestarts;
      lastRestart = lastRestartableInitRestart;
      boolean hasRunning = false;
      JsonNode statuses = status.path("containerStatuses");
      for (int i = statuses.size() - 1; i >= 0; i--) {
        JsonNode c = statuses.get(i);
        restarts += c.path("restartCount").asInt(0);
        lastRestart = later(lastRestart, finishedAt(c));
        JsonNode waiting = present(c.path("state"), "waiting");
        JsonNode terminated = present(c.path("state"), "terminated");
        if (waiting != null && !text(waiting, "reason").isEmpty()) {
          reason = text(waiting, "reason");
        } else if (terminated != null && !text(terminated, "reason").isEmpty()) {
          reason = text(terminated, "reason");
        } else if (terminated != null) {
          reason = exitReason(terminated);
        } else if (c.path("ready").asBoolean(false)
            && present(c.path("state"), "running") != null) {
          hasRunning = true;
          ready++;
        }
      }
      if (reason.equals("Completed") && hasRunning) {
        reason = conditionTrue(status, "Ready") ? "Running" : "NotReady";
      }
    }
    boolean deleting = present(pod.path("metadata"), "deletionTimestamp") != null;
    if (deleting && text(status, "reason").equals("NodeLost")) {
      reason = "Unknown";
    } else if (deleting && !phase.equals("Succeeded") && !phase.equals("Failed")) {
      reason = "Terminating";
    }
    String restartsText = Integer.toString(restarts);
    if (restarts != 0 && lastRestart != null) {
      restartsText = restarts + " (" + humanDuration(Duration.between(lastRestart, now)) + " ago)";
    }
    String ip = text(status.path("podIPs").path(0), "ip");
    if (ip.isEmpty()) {
      ip = text(status, "podIP");
    }
    String gates = "<none>";
    JsonNode readinessGates = spec.path("readinessGates");
    if (!readinessGates.isEmpty()) {
      int trueConditions = 0;
      for (JsonNode gate : readinessGates) {
        for (JsonNode c : status.path("conditions")) {
          if (text(c, "type").equals(text(gate, "conditionType"))) {
            if (text(c, "status").equals("True")) {
              trueConditions++;
            }
            break;
          }
        }
      }
      gates = trueConditions + "/" + readinessGates.size();
    }
    return strings(
        name(pod),
        ready + "/" + total,
        reason,
        restartsText,
        age(pod, now),
        orNone(ip),
        orNone(text(spec, "nodeName")),
        orNone(text(status, "nominatedNodeName")),
        gates);
  }

  /** The row conditions Kubernetes marks finished pods with (kubectl can hide such rows). */
  static @Nullable ArrayNode podConditions(JsonNode pod) {
    String phase = text(pod.path("status"), "phase");
    if (!phase.equals("Succeeded") && !phase.equals("Failed")) {
      return null;
    }
    ArrayNode conditions = NODES.arrayNode();
    conditions
        .addObject()
        .put("type", "Completed")
        .put("status", "True")
        .put("reason", phase)
        .put(
            "message",
            phase.equals("Succeeded") ? "The pod has completed successfully." : "The pod failed.");
    return conditions;
  }

  private static String exitReason(JsonNode terminated) {
    int signal = terminated.path("signal").asInt(0);
    return signal != 0 ? "Signal:" + signal : "ExitCode:" + terminated.path("exitCode").asInt(0);
  }

  private static @Nullable Instant finishedAt(JsonNode containerStatus) {
    JsonNode terminated = present(containerStatus.path("lastState"), "terminated");
    return terminated == null ? null : instant(terminated.path("finishedAt"));
  }

  private static @Nullable Instant later(@Nullable Instant a, @Nullable Instant b) {
    if (a == null) {
      return b;
    }
    return b != null && b.isAfter(a) ? b : a;
  }

  private static boolean conditionTrue(JsonNode status, String type) {
    for (JsonNode c : status.path("conditions")) {
      if (text(c, "type").equals(type) && text(c, "status").equals("True")) {
        return true;
      }
    }
    return false;
  }

  // --- services, endpoints, slices --------------------------------------------------------

  private static List<JsonNode> service(JsonNode svc, Instant now) {
    JsonNode spec = svc.path("spec");
    String type = text(spec, "type").isEmpty() ? "ClusterIP" : text(spec, "type");
    String clusterIp = text(spec.path("clusterIPs").path(0), null);
    if (clusterIp.isEmpty()) {
      clusterIp = text(spec, "clusterIP");
    }
    List<String> ports = new ArrayList<>();
    for (JsonNode p : spec.path("ports")) {
      String protocol = text(p, "protocol").isEmpty() ? "TCP" : text(p, "protocol");
      int nodePort = p.path("nodePort").asInt(0);
      ports.add(p.path("port").asInt(0) + (nodePort > 0 ? ":" + nodePort : "") + "/" + protocol);
    }
    return strings(
        name(svc),
        type,
        orNone(clusterIp),
        externalIp(svc, type),
        ports.isEmpty() ? "<none>" : String.join(",", ports),
        age(svc, now),
        labels(spec.path("selector")));
  }

  private static String externalIp(JsonNode svc, String type) {
    JsonNode spec = svc.path("spec");
    List<String> external = texts(spec.path("externalIPs"));
    return switch (type) {
      case "ClusterIP", "NodePort" -> external.isEmpty() ? "<none>" : String.join(",", external);
      case "LoadBalancer" -> {
        var lb = new TreeSet<String>();
        for (JsonNode ingress : svc.path("status").path("loadBalancer").path("ingress")) {
          if (!text(ingress, "ip").isEmpty()) {
            lb.add(text(ingress, "ip"));
          } else if (!text(ingress, "hostname").isEmpty()) {
            lb.add(text(ingress, "hostname"));
          }
        }
        if (!external.isEmpty()) {
          List<String> all = new ArrayList<>(lb);
          all.addAll(external);
          yield String.join(",", all);
        }
        yield lb.isEmpty() ? "<pending>" : String.join(",", lb);
      }
      case "ExternalName" -> text(spec, "externalName");
      default -> "<unknown>";
    };
  }

  private static List<JsonNode> endpoints(JsonNode ep, Instant now) {
    JsonNode subsets = ep.path("subsets");
    String text;
    if (subsets.isEmpty()) {
      text = "<none>";
    } else {
      List<String> list = new ArrayList<>();
      int max = 3;
      boolean more = false;
      int count = 0;
      for (JsonNode subset : subsets) {
        JsonNode addresses = subset.path("addresses");
        JsonNode ports = subset.path("ports");
        // A headless service may have no ports: its addresses alone.
        for (JsonNode port : ports.isEmpty() ? List.of(NODES.nullNode()) : ports.values()) {
          count += addresses.size();
          for (JsonNode address : addresses) {
            if (list.size() == max) {
              more = true;
              break;
            }
            list.add(
                port.isNull()
                    ? text(address, "ip")
                    : hostPort(text(address, "ip"), port.path("port").asInt(0)));
          }
        }
      }
      text = String.join(",", list);
      if (more) {
        text = text + " + " + (count - max) + " more...";
      }
    }
    return strings(name(ep), text, age(ep, now));
  }

  private static String hostPort(String host, int port) {
    return (host.contains(":") ? "[" + host + "]" : host) + ":" + port;
  }

  private static List<JsonNode> endpointSlice(JsonNode slice, Instant now) {
    List<String> ports = new ArrayList<>();
    int portCount = 0;
    for (JsonNode p : slice.path("ports")) {
      if (ports.size() < 3) {
        JsonNode port = present(p, "port");
        JsonNode name = present(p, "name");
        ports.add(port != null ? port.asString() : name != null ? name.asString() : "*");
      }
      portCount++;
    }
    List<String> addresses = new ArrayList<>();
    int addressCount = 0;
    for (JsonNode e : slice.path("endpoints")) {
      for (JsonNode a : e.path("addresses")) {
        if (addresses.size() < 3) {
          addresses.add(a.asString(""));
        }
        addressCount++;
      }
    }
    return strings(
        name(slice),
        text(slice, "addressType"),
        listWithMore(ports, portCount),
        listWithMore(addresses, addressCount),
        age(slice, now));
  }

  private static String listWithMore(List<String> shown, int count) {
    String joined = String.join(",", shown);
    if (count > shown.size()) {
      return joined + " + " + (count - shown.size()) + " more...";
    }
    return joined.isEmpty() ? "<unset>" : joined;
  }

  // --- nodes, namespaces, events, config maps, leases -------------------------------------

  private static List<JsonNode> node(JsonNode node, Instant now) {
    JsonNode status = node.path("status");
    List<String> states = new ArrayList<>();
    for (JsonNode c : status.path("conditions")) {
      if (text(c, "type").equals("Ready")) {
        states.clear(); // the last Ready condition counts, as the printer's map keeps it
        states.add(text(c, "status").equals("True") ? "Ready" : "NotReady");
      }
    }
    if (states.isEmpty()) {
      states.add("Unknown");
    }
    if (node.path("spec").path("unschedulable").asBoolean(false)) {
      states.add("SchedulingDisabled");
    }
    var roles = new TreeSet<String>();
    for (Map.Entry<String, JsonNode> label : node.path("metadata").path("labels").properties()) {
      String key = label.getKey();
      if (key.startsWith("node-role.kubernetes.io/")
          && key.length() > "node-role.kubernetes.io/".length()) {
        roles.add(key.substring("node-role.kubernetes.io/".length()));
      } else if (key.equals("kubernetes.io/role") && !label.getValue().asString("").isEmpty()) {
        roles.add(label.getValue().asString(""));
      }
    }
    JsonNode info = status.path("nodeInfo");
    return strings(
        name(node),
        String.join(",", states),
        roles.isEmpty() ? "<none>" : String.join(",", roles),
        age(node, now),
        text(info, "kubeletVersion"),
        nodeAddress(status, "InternalIP"),
        nodeAddress(status, "ExternalIP"),
        orUnknown(text(info, "osImage")),
        orUnknown(text(info, "kernelVersion")),
        orUnknown(text(info, "containerRuntimeVersion")));
  }

  private static String nodeAddress(JsonNode status, String type) {
    for (JsonNode a : status.path("addresses")) {
      if (text(a, "type").equals(type)) {
        return text(a, "address");
      }
    }
    return "<none>";
  }

  private static List<JsonNode> namespace(JsonNode ns, Instant now) {
    String phase = text(ns.path("status"), "phase");
    if (phase.isEmpty()) {
      // The API server sets the phase on create; one being deleted is Terminating.
      phase = present(ns.path("metadata"), "deletionTimestamp") != null ? "Terminating" : "Active";
    }
    return strings(name(ns), phase, age(ns, now));
  }

  /**
   * An Event; {@code eventsApi}: of events.k8s.io/v1, whose fields the API server converts to the
   * core ones before printing (regarding, note, deprecatedFirstTimestamp, ...).
   */
  private static List<JsonNode> event(JsonNode ev, Instant now, boolean eventsApi) {
    JsonNode involved = ev.path(eventsApi ? "regarding" : "involvedObject");
    JsonNode source = ev.path(eventsApi ? "deprecatedSource" : "source");
    String first = since(ev.path(eventsApi ? "deprecatedFirstTimestamp" : "firstTimestamp"), now);
    if (first == null) {
      first = orUnknownTime(since(ev.path("eventTime"), now));
    }
    String last = since(ev.path(eventsApi ? "deprecatedLastTimestamp" : "lastTimestamp"), now);
    if (last == null) {
      last = first;
    }
    long count = ev.path(eventsApi ? "deprecatedCount" : "count").asLong(0);
    JsonNode series = present(ev, "series");
    if (series != null) {
      last = orUnknownTime(since(series.path("lastObservedTime"), now));
      count = series.path("count").asLong(0);
    } else if (count == 0) {
      count = 1; // a singleton event of the new API has no count
    }
    String kind = text(involved, "kind").toLowerCase(Locale.ROOT);
    String target = text(involved, "name").isEmpty() ? kind : kind + "/" + text(involved, "name");
    String component = text(source, "component");
    if (component.isEmpty()) {
      component = text(ev, eventsApi ? "reportingController" : "reportingComponent");
    }
    String host = text(source, "host");
    if (host.isEmpty()) {
      host = text(ev, "reportingInstance");
    }
    List<JsonNode> cells = new ArrayList<>();
    cells.addAll(
        strings(
            last,
            text(ev, "type"),
            text(ev, "reason"),
            target,
            text(involved, "fieldPath"),
            host.isEmpty() ? component : component + ", " + host,
            text(ev, eventsApi ? "note" : "message").strip(),
            first));
    cells.add(NODES.numberNode(count));
    cells.add(NODES.stringNode(name(ev)));
    return cells;
  }

  private static List<JsonNode> configMap(JsonNode cm, Instant now) {
    return List.of(
        NODES.stringNode(name(cm)),
        NODES.numberNode((long) cm.path("data").size() + cm.path("binaryData").size()),
        NODES.stringNode(age(cm, now)));
  }

  private static List<JsonNode> lease(JsonNode lease, Instant now) {
    return strings(name(lease), text(lease.path("spec"), "holderIdentity"), age(lease, now));
  }

  // --- helpers ----------------------------------------------------------------------------

  static String name(JsonNode object) {
    return text(object.path("metadata"), "name");
  }

  /** The object's age as kubectl shows it, or {@code <unknown>} without a creation time. */
  static String age(JsonNode object, Instant now) {
    return orUnknownTime(since(object.path("metadata").path("creationTimestamp"), now));
  }

  /** The time since {@code timestamp} in a human-readable form; null if it is unset. */
  static @Nullable String since(JsonNode timestamp, Instant now) {
    Instant t = instant(timestamp);
    return t == null ? null : humanDuration(Duration.between(t, now));
  }

  private static String orUnknownTime(@Nullable String s) {
    return s == null ? "<unknown>" : s;
  }

  static @Nullable Instant instant(JsonNode timestamp) {
    String s = timestamp.asString("");
    if (s.isEmpty()) {
      return null;
    }
    try {
      return OffsetDateTime.parse(s).toInstant();
    } catch (DateTimeParseException e) {
      return null;
    }
  }

  /** A creation time as the default Table shows it: RFC 3339, UTC, whole seconds. */
  private static String createdAt(JsonNode timestamp) {
    Instant t = instant(timestamp);
    return (t == null ? Instant.parse("0001-01-01T00:00:00Z") : t)
        .truncatedTo(ChronoUnit.SECONDS)
        .toString();
  }

  /**
   * A duration with two or three significant figures, as Kubernetes prints ages: {@code 45s},
   * {@code 5m12s}, {@code 37m}, {@code 6h4m}, {@code 10h}, {@code 3d5h}, {@code 12d}, {@code
   * 2y30d}, {@code 9y}.
   */
  static String humanDuration(Duration d) {
    long seconds = d.toSeconds();
    if (seconds < -1) {
      return "<invalid>";
    } else if (seconds < 0) {
      return "0s";
    } else if (seconds < 60 * 2) {
      return seconds + "s";
    }
    long minutes = d.toMinutes();
    if (minutes < 10) {
      long s = seconds % 60;
      return s == 0 ? minutes + "m" : minutes + "m" + s + "s";
    } else if (minutes < 60 * 3) {
      return minutes + "m";
    }
    long hours = d.toHours();
    if (hours < 8) {
      long m = minutes % 60;
      return m == 0 ? hours + "h" : hours + "h" + m + "m";
    } else if (hours < 48) {
      return hours + "h";
    } else if (hours < 24 * 8) {
      long h = hours % 24;
      return h == 0 ? hours / 24 + "d" : hours / 24 + "d" + h + "h";
    } else if (hours < 24 * 365 * 2) {
      return hours / 24 + "d";
    } else if (hours < 24 * 365 * 8) {
      long days = (hours / 24) % 365;
      return days == 0 ? hours / 24 / 365 + "y" : hours / 24 / 365 + "y" + days + "d";
    }
    return hours / 24 / 365 + "y";
  }

  /** Labels as Kubernetes formats a selector: {@code a=b,c=d} by key, or {@code <none>}. */
  private static String labels(JsonNode map) {
    var sorted = new TreeMap<String, String>();
    for (Map.Entry<String, JsonNode> e : map.properties()) {
      sorted.put(e.getKey(), e.getValue().asString(""));
    }
    if (sorted.isEmpty()) {
      return "<none>";
    }
    List<String> pairs = new ArrayList<>();
    sorted.forEach((k, v) -> pairs.add(k + "=" + v));
    return String.join(",", pairs);
  }

  /** A field's text, empty if absent or null; {@code field} null: the node itself. */
  private static String text(JsonNode node, @Nullable String field) {
    JsonNode v = field == null ? node : node.path(field);
    return v.isValueNode() ? v.asString("") : "";
  }

  private static List<String> texts(JsonNode array) {
    List<String> out = new ArrayList<>();
    for (JsonNode n : array) {
      out.add(n.asString(""));
    }
    return out;
  }

  /** The field if it is set (a Go pointer that is not nil), else null. */
  private static @Nullable JsonNode present(JsonNode node, String field) {
    JsonNode v = node.get(field);
    return v == null || v.isNull() || v.isMissingNode() ? null : v;
  }

  private static String orNone(String s) {
    return s.isEmpty() ? "<none>" : s;
  }

  private static String orUnknown(String s) {
    return s.isEmpty() ? "<unknown>" : s;
  }

  private static List<JsonNode> strings(String... cells) {
    List<JsonNode> out = new ArrayList<>(cells.length);
    for (String c : cells) {
      out.add(NODES.stringNode(c));
    }
    return out;
  }
}
