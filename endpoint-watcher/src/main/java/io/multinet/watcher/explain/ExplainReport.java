package io.multinet.watcher.explain;

import static java.util.Objects.requireNonNull;

import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServicePort;
import io.fabric8.kubernetes.api.model.discovery.v1.Endpoint;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointPort;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.multinet.kube.Problem;
import io.multinet.kube.WellKnown;
import io.multinet.kube.network.NetworkCatalog;
import io.multinet.kube.network.NetworkDefinition;
import io.multinet.kube.service.ServiceNetwork;
import io.multinet.kube.service.ServiceNetworkResolver;
import io.multinet.network.IpAddress;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.jspecify.annotations.Nullable;
import tools.jackson.databind.ObjectMapper;
import tools.jackson.databind.SerializationFeature;
import tools.jackson.databind.json.JsonMapper;
import tools.jackson.databind.node.ArrayNode;
import tools.jackson.databind.node.ObjectNode;

/**
 * What the controller made of a cluster, in the stable shape {@code multinet-proxy explain -o json}
 * prints (docs/explain.md): every network with its Services, their cluster IPs, ports and
 * endpoints, and every Warning. Lists are sorted; generated names and uids never appear.
 */
public final class ExplainReport {

  private static final ObjectMapper JSON =
      JsonMapper.builder()
          .enable(SerializationFeature.INDENT_OUTPUT)
          .enable(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS)
          .build();

  private ExplainReport() {}

  /** Builds the report from the API server's current state. */
  public static ObjectNode build(
      KubernetesClient client, NetworkCatalog catalog, List<Problem> extraProblems) {
    requireNonNull(client, "client");
    requireNonNull(catalog, "catalog");
    ObjectNode root = JSON.createObjectNode();
    ArrayNode networks = root.putArray("networks");
    List<Service> services = new ArrayList<>(client.services().inAnyNamespace().list().getItems());
    services.sort(
        Comparator.comparing((Service s) -> s.getMetadata().getNamespace())
            .thenComparing(s -> s.getMetadata().getName()));
    List<EndpointSlice> slices =
        client
            .discovery()
            .v1()
            .endpointSlices()
            .inAnyNamespace()
            .withLabel(WellKnown.MANAGED_BY_LABEL, WellKnown.MANAGED_BY)
            .list()
            .getItems();
    for (NetworkDefinition d : catalog.networks()) {
      ObjectNode n = networks.addObject();
      n.put("name", d.name());
      n.put("id", d.network().id());
      ArrayNode svcs = n.putArray("services");
      for (Service s : services) {
        Namespace ns = client.namespaces().withName(s.getMetadata().getNamespace()).get();
        if (!(ServiceNetworkResolver.resolve(s, ns, catalog)
            instanceof ServiceNetworkResolver.Resolved r)) {
          continue;
        }
        ServiceNetwork sn = r.serviceNetwork();
        NetworkDefinition on = sn.network();
        if (on == null || !on.name().equals(d.name())) {
          continue;
        }
        svcs.add(service(s, d, slices));
      }
    }
    ArrayNode events = root.putArray("events");
    List<ObjectNode> rows = new ArrayList<>();
    for (Event e : client.v1().events().inAnyNamespace().list().getItems()) {
      ObjectNode ev = JSON.createObjectNode();
      var ref = e.getInvolvedObject();
      ev.put("kind", ref == null ? "" : Objects.requireNonNullElse(ref.getKind(), ""));
      ev.put("namespace", ref == null ? "" : Objects.requireNonNullElse(ref.getNamespace(), ""));
      ev.put("name", ref == null ? "" : Objects.requireNonNullElse(ref.getName(), ""));
      ev.put("type", Objects.requireNonNullElse(e.getType(), ""));
      ev.put("reason", Objects.requireNonNullElse(e.getReason(), ""));
      ev.put("message", Objects.requireNonNullElse(e.getMessage(), ""));
      rows.add(ev);
    }
    for (Problem p : extraProblems) {
      ObjectNode ev = JSON.createObjectNode();
      ev.put("kind", p.kind());
      ev.put("namespace", p.namespace());
      ev.put("name", p.name());
      ev.put("type", "Warning");
      ev.put("reason", p.reason());
      ev.put("message", p.message());
      rows.add(ev);
    }
    rows.sort(Comparator.comparing(ObjectNode::toString));
    rows.forEach(events::add);
    return root;
  }

  public static String toJson(ObjectNode report) {
    return JSON.writeValueAsString(report);
  }

  private static ObjectNode service(Service s, NetworkDefinition d, List<EndpointSlice> slices) {
    ObjectNode out = JSON.createObjectNode();
    out.put("namespace", s.getMetadata().getNamespace());
    out.put("name", s.getMetadata().getName());
    ArrayNode ips = out.putArray("clusterIPs");
    List<ObjectNode> refused = new ArrayList<>();
    for (String ip : clusterIps(s, d)) {
      String reason = refusal(ip, d);
      if (reason == null) {
        ips.add(ip);
      } else {
        ObjectNode r = JSON.createObjectNode();
        r.put("address", ip);
        r.put("reason", reason);
        refused.add(r);
      }
    }
    if (!refused.isEmpty()) {
      out.putArray("refusedClusterIPs").addAll(refused);
    }
    List<EndpointSlice> own = new ArrayList<>();
    for (EndpointSlice sl : slices) {
      Map<String, String> labels = sl.getMetadata().getLabels();
      if (sl.getMetadata().getNamespace().equals(s.getMetadata().getNamespace())
          && s.getMetadata().getName().equals(labels.get(WellKnown.SERVICE_NAME_LABEL))
          && d.name().equals(labels.get(WellKnown.NETWORK_LABEL))) {
        own.add(sl);
      }
    }
    ArrayNode ports = out.putArray("ports");
    List<ServicePort> specPorts = s.getSpec() == null ? List.of() : s.getSpec().getPorts();
    for (ServicePort sp : specPorts) {
      String name = Objects.requireNonNullElse(sp.getName(), "");
      String protocol = Objects.requireNonNullElse(sp.getProtocol(), "TCP");
      ObjectNode p = ports.addObject();
      p.put("name", name);
      p.put("protocol", protocol);
      p.put("port", sp.getPort());
      List<ObjectNode> eps = new ArrayList<>();
      for (EndpointSlice sl : own) {
        Integer target = targetPort(sl, name, protocol);
        if (target == null) {
          continue;
        }
        Map<String, String> ifaces = WellKnown.interfaces(sl);
        for (Endpoint e : sl.getEndpoints()) {
          for (String a : e.getAddresses()) {
            ObjectNode ep = JSON.createObjectNode();
            ep.put("address", a);
            ep.put("port", target);
            putNullable(ep, "node", e.getNodeName());
            putNullable(ep, "zone", e.getZone());
            putNullable(ep, "interface", ifaces.get(a));
            var c = e.getConditions();
            ep.put("ready", c != null && Boolean.TRUE.equals(c.getReady()));
            ep.put("serving", c != null && Boolean.TRUE.equals(c.getServing()));
            ep.put("terminating", c != null && Boolean.TRUE.equals(c.getTerminating()));
            eps.add(ep);
          }
        }
      }
      eps.sort(
          Comparator.comparing((ObjectNode o) -> o.get("address").asString())
              .thenComparingInt(o -> o.get("port").asInt()));
      ArrayNode arr = p.putArray("endpoints");
      eps.forEach(arr::add);
    }
    return out;
  }

  private static List<String> clusterIps(Service s, NetworkDefinition d) {
    if (d.network().serviceCidrs().isEmpty()) {
      return s.getSpec() == null || s.getSpec().getClusterIPs() == null
          ? List.of()
          : s.getSpec().getClusterIPs();
    }
    Map<String, String> a = s.getMetadata().getAnnotations();
    String v = a == null ? null : a.get(WellKnown.CLUSTER_IPS_ANNOTATION);
    if (v == null || v.isBlank()) {
      return List.of();
    }
    List<String> out = new ArrayList<>();
    for (String part : v.split(",", -1)) {
      out.add(part.trim());
    }
    return out;
  }

  /**
   * Why the node will not serve {@code ip} in network {@code d}, or null when it will: the node's
   * service table takes only addresses within the network's serviceCIDRs.
   */
  private static @Nullable String refusal(String ip, NetworkDefinition d) {
    IpAddress a;
    try {
      a = IpAddress.parse(ip);
    } catch (IllegalArgumentException e) {
      return "InvalidClusterIP";
    }
    return d.network().isServiceAddress(a) ? null : "ClusterIPOutOfRange";
  }

  private static @Nullable Integer targetPort(EndpointSlice sl, String name, String protocol) {
    for (EndpointPort p : sl.getPorts()) {
      if (name.equals(Objects.requireNonNullElse(p.getName(), ""))
          && protocol.equals(Objects.requireNonNullElse(p.getProtocol(), "TCP"))) {
        return p.getPort();
      }
    }
    return null;
  }

  private static void putNullable(ObjectNode o, String field, @Nullable String value) {
    if (value == null) {
      o.putNull(field);
    } else {
      o.put(field, value);
    }
  }
}
