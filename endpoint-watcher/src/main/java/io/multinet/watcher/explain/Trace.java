package io.multinet.watcher.explain;

import static java.util.Objects.requireNonNull;

import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.multinet.network.IpAddress;
import io.multinet.network.Protocol;
import io.multinet.service.Endpoint;
import io.multinet.service.EndpointCategories;
import io.multinet.service.EndpointSelection;
import io.multinet.service.NodeInfo;
import io.multinet.service.ServicePort;
import io.multinet.service.ServicePortKey;
import io.multinet.service.TrafficPolicy;
import io.multinet.table.FlowHash;
import io.multinet.table.ServiceEntry;
import io.multinet.table.ServiceTable;
import io.multinet.watcher.network.NetworkCatalog;
import io.multinet.watcher.network.NetworkDefinition;
import io.multinet.watcher.service.ServiceNetworkResolver;
import io.multinet.watcher.slice.EndpointBuilder;
import io.multinet.watcher.slice.SlicePlanner;
import io.multinet.watcher.view.ServicePortMapper;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * {@code explain --trace network=blue,dst=10.96.0.10:80/TCP[,src=ADDR]}: which backends a
 * connection may reach on one node, and why each other endpoint is not eligible, by the same rules
 * the node proxy applies (proxy-core's {@link EndpointSelection}).
 */
public final class Trace {

  private Trace() {}

  /** A parsed trace request. */
  record Request(
      String network, IpAddress dst, int port, Protocol protocol, @Nullable IpAddress src) {}

  static Request parse(String spec) {
    Map<String, String> kv = new HashMap<>();
    for (String part : spec.split(",", -1)) {
      int eq = part.indexOf('=');
      if (eq <= 0) {
        throw new IllegalArgumentException(
            "--trace: " + spec + " (expected: network=NAME,dst=ADDR:PORT/PROTO[,src=ADDR])");
      }
      kv.put(part.substring(0, eq).trim(), part.substring(eq + 1).trim());
    }
    String dst = kv.get("dst");
    String network = kv.getOrDefault("network", "default");
    if (dst == null) {
      throw new IllegalArgumentException("--trace: " + spec + " (expected: dst=ADDR:PORT/PROTO)");
    }
    Protocol protocol = Protocol.TCP;
    int slash = dst.lastIndexOf('/');
    if (slash > 0) {
      protocol = Protocol.parse(dst.substring(slash + 1));
      dst = dst.substring(0, slash);
    }
    int colon = dst.lastIndexOf(':');
    if (colon <= 0) {
      throw new IllegalArgumentException(
          "--trace: dst=" + dst + " (expected: ADDR:PORT, IPv6 as [ADDR]:PORT)");
    }
    String host = dst.substring(0, colon).replace("[", "").replace("]", "");
    int port;
    try {
      port = Integer.parseInt(dst.substring(colon + 1));
    } catch (NumberFormatException e) {
      throw new IllegalArgumentException(
          "--trace: port " + dst.substring(colon + 1) + " (expected: 1-65535)", e);
    }
    String src = kv.get("src");
    return new Request(
        network, IpAddress.parse(host), port, protocol, src == null ? null : IpAddress.parse(src));
  }

  /** The trace as lines of text. */
  public static List<String> run(
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
      return out;
    }
    Node node = client.nodes().withName(nodeName).get();
    String zone =
        node == null
            ? null
            : Objects.requireNonNullElse(node.getMetadata().getLabels(), Map.<String, String>of())
                .get(EndpointBuilder.ZONE_LABEL);
    var nodeInfo = new NodeInfo(nodeName, zone);
    int networkId = network == null ? 0 : network.network().id();
    var key = new ServicePortKey(networkId, r.dst(), r.protocol(), r.port());
    out.add("trace " + key + " on node " + nodeName + (zone == null ? "" : " (zone " + zone + ")"));

    for (Service s : client.services().inAnyNamespace().list().getItems()) {
      Namespace ns = client.namespaces().withName(s.getMetadata().getNamespace()).get();
      if (!(ServiceNetworkResolver.resolve(s, ns, catalog)
          instanceof ServiceNetworkResolver.Resolved res)) {
        continue;
      }
      NetworkDefinition on = res.serviceNetwork().network();
      if (!Objects.equals(on == null ? null : on.name(), network == null ? null : network.name())) {
        continue;
      }
      List<EndpointSlice> slices =
          client
              .discovery()
              .v1()
              .endpointSlices()
              .inNamespace(s.getMetadata().getNamespace())
              .withLabel(SlicePlanner.SERVICE_NAME_LABEL, s.getMetadata().getName())
              .list()
              .getItems();
      for (ServicePort sp : ServicePortMapper.map(s, network, slices).ports()) {
        if (sp.key().equals(key)) {
          describe(sp, nodeInfo, r.src(), out);
          return out;
        }
      }
    }
    out.add(
        "no service port "
            + key
            + ": the dataplane answers with a reject (or it is not a VIP at all)");
    return out;
  }

  private static void describe(
      ServicePort sp, NodeInfo node, @Nullable IpAddress src, List<String> out) {
    var p = sp.policy();
    out.add(
        "service "
            + sp.name()
            + "  internalTrafficPolicy="
            + p.internalTrafficPolicy()
            + " sessionAffinity="
            + (p.sessionAffinity().clientIp()
                ? "ClientIP/" + p.sessionAffinity().timeoutSeconds() + "s"
                : "None")
            + " loadBalancing="
            + p.loadBalancing());
    EndpointCategories c = EndpointSelection.categorize(sp, node);
    List<Endpoint> eligible = c.forInternal(p);
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
          c.hasAnyEndpoints()
              ? "no eligible backend on this node: the dataplane drops"
              : "no usable endpoint anywhere: the dataplane rejects");
      return;
    }
    if (src != null && p.sessionAffinity().clientIp()) {
      var b = ServiceTable.builder(node);
      b.add(sp);
      ServiceEntry entry = Objects.requireNonNull(b.build().entry(sp.key()));
      Endpoint chosen = entry.select(FlowHash.ofClient(src.high(), src.low()));
      out.add(
          "client "
              + src
              + " sticks to "
              + (chosen == null ? "nothing" : chosen.hostPort())
              + " (ClientIP affinity)");
    } else if (src != null) {
      out.add("client " + src + ": each new connection picks one eligible backend");
    }
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
