package io.multinet.explain;

import static java.util.Objects.requireNonNull;

import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.multinet.kube.WellKnown;
import io.multinet.kube.network.NetworkCatalog;
import io.multinet.kube.network.NetworkDefinition;
import io.multinet.network.IpAddress;
import io.multinet.network.Protocol;
import io.multinet.nodeproxy.view.NodeView;
import io.multinet.service.Endpoint;
import io.multinet.service.EndpointSelection;
import io.multinet.service.NodeInfo;
import io.multinet.service.ServicePort;
import io.multinet.service.ServicePortKey;
import io.multinet.service.TrafficPolicy;
import io.multinet.table.FlowHash;
import io.multinet.table.ServiceEntry;
import io.multinet.table.ServiceTable;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import org.jspecify.annotations.Nullable;
import tools.jackson.databind.ObjectMapper;
import tools.jackson.databind.SerializationFeature;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * {@code explain --trace network=blue,dst=10.96.0.10:80/TCP[,src=ADDR[:PORT]]}: which backends a
 * connection may reach on one node, why each other endpoint is not eligible, and which backend it
 * gets. The backends are those of the node proxy's own {@link ServiceTable} for the node (built by
 * {@link NodeView}, the node proxy's mapping), so the eligibility rules are proxy-core's {@link
 * EndpointSelection}; with Maglev and a source port, the backend named is {@link
 * ServiceEntry#select} of {@link FlowHash}: the one the kernel dataplane's rules pick.
 */
public final class Trace {

  private static final ObjectMapper JSON =
      JsonMapper.builder().enable(SerializationFeature.INDENT_OUTPUT).build();

  private static final String EXPECTED =
      "network=NAME,dst=ADDR:PORT/PROTO[,src=ADDR[:PORT]], IPv6 as [ADDR]:PORT";

  private Trace() {}

  /** How the dataplane chooses among the eligible backends. */
  public enum Choice {
    /** Maglev over the client's address and port: {@code chosen} when the trace gave a port. */
    MAGLEV,
    /** A fresh random pick for every new connection. */
    RANDOM,
    /** ClientIP affinity: the kernel's first (random or Maglev) pick, recorded per client. */
    RECORDED,
    /** No service port, or no eligible backend: nothing is chosen. */
    NONE;

    String jsonName() {
      return name().toLowerCase(Locale.ROOT);
    }
  }

  /**
   * One traced connection.
   *
   * @param trace the {@code --trace} argument as given
   * @param lines the human-readable trace
   */
  public record Result(
      String trace,
      Choice choice,
      @Nullable Endpoint chosen,
      List<Endpoint> eligible,
      List<String> lines)
      implements TraceResult {
    public Result {
      requireNonNull(trace, "trace");
      requireNonNull(choice, "choice");
      eligible = List.copyOf(eligible);
      lines = List.copyOf(lines);
    }
  }

  /** A parsed trace request; {@code srcPort} is 0 when the trace gave none. */
  record Request(
      String network,
      IpAddress dst,
      int port,
      Protocol protocol,
      @Nullable IpAddress src,
      int srcPort) {}

  static Request parse(String spec) {
    Map<String, String> kv = new HashMap<>();
    for (String part : spec.split(",", -1)) {
      int eq = part.indexOf('=');
      if (eq <= 0) {
        throw new IllegalArgumentException("--trace: " + spec + " (expected: " + EXPECTED + ")");
      }
      kv.put(part.substring(0, eq).trim(), part.substring(eq + 1).trim());
    }
    String dst = kv.get("dst");
    String network = kv.getOrDefault("network", "default");
    if (dst == null) {
      throw new IllegalArgumentException(
          "--trace: " + spec + " (expected: dst=ADDR:PORT/PROTO, or name=NAME for a DNS question)");
    }
    Protocol protocol = Protocol.TCP;
    int slash = dst.lastIndexOf('/');
    if (slash > 0) {
      protocol = Protocol.parse(dst.substring(slash + 1));
      dst = dst.substring(0, slash);
    }
    int colon = dst.lastIndexOf(':');
    if (colon <= 0 || (dst.indexOf(':') != colon && !dst.startsWith("["))) {
      throw new IllegalArgumentException(
          "--trace: dst=" + dst + " (expected: ADDR:PORT, IPv6 as [ADDR]:PORT)");
    }
    String host = dst.substring(0, colon).replace("[", "").replace("]", "");
    int port = port("dst", dst.substring(colon + 1));
    String src = kv.get("src");
    IpAddress srcAddress = null;
    int srcPort = 0;
    if (src != null) {
      int c = src.lastIndexOf(':');
      boolean withPort = src.startsWith("[") ? src.contains("]:") : c > 0 && src.indexOf(':') == c;
      if (withPort) {
        srcPort = port("src", src.substring(c + 1));
        src = src.substring(0, c);
      }
      srcAddress = IpAddress.parse(src.replace("[", "").replace("]", ""));
    }
    return new Request(network, IpAddress.parse(host), port, protocol, srcAddress, srcPort);
  }

  private static int port(String what, String text) {
    int port;
    try {
      port = Integer.parseInt(text);
    } catch (NumberFormatException e) {
      port = -1;
    }
    if (port < 1 || port > 65535) {
      throw new IllegalArgumentException(
          "--trace: " + what + " port " + text + " (expected: 1-65535)");
    }
    return port;
  }

  /** The trace of {@code spec} on node {@code nodeName}. */
  public static Result run(
      KubernetesClient client, NetworkCatalog catalog, String nodeName, String spec) {
    requireNonNull(client, "client");
    Request r = parse(spec);
    NetworkDefinition network = r.network().equals("default") ? null : catalog.byName(r.network());
    List<String> out = new ArrayList<>();
    if (network == null && !r.network().equals("default")) {
      out.add(
          "no network "
              + r.network()
              + " (known: "
              + catalog.networks().stream().map(NetworkDefinition::name).toList()
              + ")");
      return new Result(spec, Choice.NONE, null, List.of(), out);
    }
    Node node = client.nodes().withName(nodeName).get();
    String zone =
        node == null
            ? null
            : Objects.requireNonNullElse(node.getMetadata().getLabels(), Map.<String, String>of())
                .get(WellKnown.ZONE_LABEL);
    var nodeInfo = new NodeInfo(nodeName, zone);
    int networkId = network == null ? 0 : network.network().id();
    var key = new ServicePortKey(networkId, r.dst(), r.protocol(), r.port());
    out.add("trace " + key + " on node " + nodeName + (zone == null ? "" : " (zone " + zone + ")"));
    ServiceTable table =
        NodeView.build(
                nodeInfo,
                catalog,
                client.services().inAnyNamespace().list().getItems(),
                client.discovery().v1().endpointSlices().inAnyNamespace().list().getItems(),
                ns -> client.namespaces().withName(ns).get(),
                null,
                null)
            .table();
    ServiceEntry entry = table.lookup(networkId, r.dst(), r.protocol(), r.port());
    if (entry == null) {
      out.add(
          "no service port "
              + key
              + ": the dataplane answers with a reject (or it is not a VIP at all)");
      return new Result(spec, Choice.NONE, null, List.of(), out);
    }
    return describe(spec, entry, nodeInfo, r, out);
  }

  private static Result describe(
      String spec, ServiceEntry entry, NodeInfo node, Request r, List<String> out) {
    ServicePort sp = entry.servicePort();
    var p = sp.policy();
    out.add(
        "service "
            + sp.name()
            + "  internalTrafficPolicy="
            + p.internalTrafficPolicy()
            + (entry.isExternal() ? " externalTrafficPolicy=" + p.externalTrafficPolicy() : "")
            + " sessionAffinity="
            + (p.sessionAffinity().clientIp()
                ? "ClientIP/" + p.sessionAffinity().timeoutSeconds() + "s"
                : "None")
            + " loadBalancing="
            + p.loadBalancing());
    List<Endpoint> eligible = entry.backends();
    boolean anyReady = sp.endpoints().stream().anyMatch(Endpoint::ready);
    for (Endpoint e : sp.endpoints()) {
      String where =
          " (node "
              + Objects.requireNonNullElse(e.nodeName(), "?")
              + (e.interfaceName() == null ? "" : ", " + e.interfaceName())
              + ")";
      if (eligible.contains(e)) {
        out.add("  " + e.hostPort() + "  eligible" + where);
      } else {
        out.add("  " + e.hostPort() + "  not eligible: " + reason(e, sp, node, anyReady) + where);
      }
    }
    if (eligible.isEmpty()) {
      out.add(
          entry.hasAnyEndpoints()
              ? "no eligible backend on this node: the dataplane drops"
              : "no usable endpoint anywhere: the dataplane rejects");
      return new Result(spec, Choice.NONE, null, eligible, out);
    }
    IpAddress src = r.src();
    String client = src == null ? "a client" : "client " + src;
    if (p.sessionAffinity().clientIp()) {
      out.add(
          client
              + ": the kernel records its first pick among the eligible backends and keeps the"
              + " client there for "
              + p.sessionAffinity().timeoutSeconds()
              + "s (ClientIP affinity)");
      return new Result(spec, Choice.RECORDED, null, eligible, out);
    }
    if (entry.maglevTableSize() == 0) {
      out.add(client + ": each new connection picks one eligible backend at random");
      return new Result(spec, Choice.RANDOM, null, eligible, out);
    }
    if (src == null || r.srcPort() == 0) {
      out.add(
          client
              + ": Maglev over the source address and port (table of "
              + entry.maglevTableSize()
              + "); give src=ADDR:PORT for the backend");
      return new Result(spec, Choice.MAGLEV, null, eligible, out);
    }
    Endpoint chosen = entry.select(FlowHash.of(src.high(), src.low(), r.srcPort()));
    out.add(
        "client "
            + (src.isV4() ? src + ":" : "[" + src + "]:")
            + r.srcPort()
            + " -> "
            + (chosen == null ? "nothing" : chosen.hostPort())
            + " (Maglev, table of "
            + entry.maglevTableSize()
            + ")");
    return new Result(spec, Choice.MAGLEV, chosen, eligible, out);
  }

  /**
   * One object per trace, in order. A connection's: {@code trace}, {@code choice}, {@code chosen}
   * ({@code address}, {@code port}; null when none is named), {@code eligible} and {@code lines}; a
   * DNS question's: see {@link DnsTrace}.
   */
  public static String toJson(List<? extends TraceResult> results) {
    ArrayNode list = JSON.createArrayNode();
    for (TraceResult t : results) {
      ObjectNode o = list.addObject();
      switch (t) {
        case Result r -> connection(o, r);
        case DnsTrace.Result r -> DnsTrace.json(o, r);
      }
    }
    return JSON.writeValueAsString(list);
  }

  private static void connection(ObjectNode o, Result r) {
    o.put("trace", r.trace());
    o.put("choice", r.choice().jsonName());
    Endpoint chosen = r.chosen();
    if (chosen == null) {
      o.putNull("chosen");
    } else {
      backend(o.putObject("chosen"), chosen);
    }
    ArrayNode eligible = o.putArray("eligible");
    r.eligible().forEach(e -> backend(eligible.addObject(), e));
    ArrayNode lines = o.putArray("lines");
    r.lines().forEach(lines::add);
  }

  private static void backend(ObjectNode o, Endpoint e) {
    o.put("address", e.address().toString());
    o.put("port", e.port());
  }

  private static String reason(Endpoint e, ServicePort sp, NodeInfo node, boolean anyReady) {
    if (!e.ready() && !e.serving()) {
      return e.terminating() ? "terminating and not serving" : "not ready";
    }
    if (!e.ready() && anyReady) {
      return "terminating; ready endpoints exist";
    }
    if (sp.policy().internalTrafficPolicy() == TrafficPolicy.LOCAL && !e.isLocalTo(node.name())) {
      return "on another node; internalTrafficPolicy Local";
    }
    if (!e.zoneHints().isEmpty() && (node.zone() == null || !e.zoneHints().contains(node.zone()))) {
      return "topology hints for " + e.zoneHints() + "; this node is in " + node.zone();
    }
    if (!e.nodeHints().isEmpty() && !e.nodeHints().contains(node.name())) {
      return "topology hints for nodes " + e.nodeHints();
    }
    return "not selected";
  }
}
