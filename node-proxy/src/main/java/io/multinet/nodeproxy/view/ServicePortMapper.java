package io.multinet.nodeproxy.view;

import static java.util.Objects.requireNonNull;

import io.fabric8.kubernetes.api.model.LoadBalancerIngress;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceSpec;
import io.multinet.kube.WellKnown;
import io.multinet.kube.network.NetworkDefinition;
import io.multinet.network.IpAddress;
import io.multinet.network.Network;
import io.multinet.network.Protocol;
import io.multinet.service.Endpoint;
import io.multinet.service.LoadBalancing;
import io.multinet.service.ServicePort;
import io.multinet.service.ServicePortKey;
import io.multinet.service.ServicePortName;
import io.multinet.service.ServicePortPolicy;
import io.multinet.service.SessionAffinity;
import io.multinet.service.TopologyMode;
import io.multinet.service.TrafficPolicy;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * Turns a Service and its EndpointSlices into proxy-core {@link ServicePort}s: one per (cluster IP,
 * port). A network Service uses its network's cluster IPs and this project's slices for that
 * network; a default-network Service uses {@code spec.clusterIPs} and Kubernetes' own slices, plus
 * NodePorts, external IPs and load-balancer IPs as kube-proxy does.
 */
public final class ServicePortMapper {

  /** Our annotation choosing Maglev instead of random backend choice. */
  public static final String LOAD_BALANCING = "multinet.io/load-balancing";

  private ServicePortMapper() {}

  /** What the mapper made, and which inputs it could not use. */
  public record Result(List<ServicePort> ports, List<String> skipped) {}

  /**
   * Maps one Service.
   *
   * @param network the Service's network; null for the default network
   * @param slices every slice in the Service's namespace naming it (any manager)
   */
  public static Result map(
      Service service, @Nullable NetworkDefinition network, Collection<SliceRecord> slices) {
    requireNonNull(service, "service");
    List<ServicePort> out = new ArrayList<>();
    List<String> skipped = new ArrayList<>();
    ServiceSpec spec = service.getSpec();
    if (spec == null) {
      return new Result(out, skipped);
    }
    int networkId = network == null ? Network.DEFAULT_ID : network.network().id();
    String ns = service.getMetadata().getNamespace();
    String name = service.getMetadata().getName();
    List<IpAddress> clusterIps = clusterIps(service, network, skipped);
    ServicePortPolicy policy = policy(service);
    List<SliceRecord> own = new ArrayList<>();
    for (SliceRecord s : slices) {
      String sliceNetwork = s.network();
      boolean ours = s.ours();
      if (network == null
          ? sliceNetwork == null && !ours
          : ours && network.name().equals(sliceNetwork)) {
        own.add(s);
      }
    }
    if (network != null && own.isEmpty() && selectorless(service)) {
      // A selectorless network Service is served from hand-written slices; the table builder
      // drops (and reports) any address outside the network's pod CIDRs.
      for (SliceRecord s : slices) {
        if (!s.ours()) {
          own.add(s);
        }
      }
    }
    for (var sp : spec.getPorts()) {
      Protocol protocol;
      try {
        protocol = Protocol.parse(Objects.requireNonNullElse(sp.getProtocol(), "TCP"));
      } catch (IllegalArgumentException e) {
        skipped.add(ns + "/" + name + ": " + e.getMessage());
        continue;
      }
      if (sp.getPort() == null) {
        continue;
      }
      String portName = Objects.requireNonNullElse(sp.getName(), "");
      for (IpAddress vip : clusterIps) {
        List<Endpoint> endpoints = endpoints(own, vip, portName, protocol.name(), skipped);
        List<IpAddress> external = network == null ? externalAddresses(service, vip) : List.of();
        int nodePort = network == null && sp.getNodePort() != null ? sp.getNodePort() : 0;
        try {
          out.add(
              new ServicePort(
                  new ServicePortName(ns, name, portName),
                  new ServicePortKey(networkId, vip, protocol, sp.getPort()),
                  policy,
                  nodePort,
                  external,
                  endpoints));
        } catch (IllegalArgumentException e) {
          skipped.add(ns + "/" + name + ":" + portName + ": " + e.getMessage());
        }
      }
    }
    return new Result(out, skipped);
  }

  private static boolean selectorless(Service service) {
    Map<String, String> a =
        Objects.requireNonNullElse(service.getMetadata().getAnnotations(), Map.of());
    ServiceSpec spec = service.getSpec();
    return (spec == null || spec.getSelector() == null || spec.getSelector().isEmpty())
        && !a.containsKey(io.multinet.kube.service.ServiceNetworkResolver.CALICO_SELECTOR);
  }

  static ServicePortPolicy policy(Service service) {
    ServiceSpec spec = requireNonNull(service.getSpec(), "spec");
    ServicePortPolicy p = ServicePortPolicy.DEFAULT;
    if ("ClientIP".equals(spec.getSessionAffinity())) {
      Integer timeout = null;
      if (spec.getSessionAffinityConfig() != null
          && spec.getSessionAffinityConfig().getClientIP() != null) {
        timeout = spec.getSessionAffinityConfig().getClientIP().getTimeoutSeconds();
      }
      p =
          p.withSessionAffinity(
              SessionAffinity.clientIp(
                  timeout == null ? SessionAffinity.DEFAULT_TIMEOUT_SECONDS : timeout));
    }
    if ("Local".equals(spec.getInternalTrafficPolicy())) {
      p = p.withInternalTrafficPolicy(TrafficPolicy.LOCAL);
    }
    if ("Local".equals(spec.getExternalTrafficPolicy())) {
      p = p.withExternalTrafficPolicy(TrafficPolicy.LOCAL);
    }
    Map<String, String> a =
        Objects.requireNonNullElse(service.getMetadata().getAnnotations(), Map.of());
    if ("maglev".equals(a.getOrDefault(LOAD_BALANCING, "").toLowerCase(Locale.ROOT))) {
      p = p.withLoadBalancing(LoadBalancing.MAGLEV);
    }
    if ("disabled"
        .equals(
            a.getOrDefault("service.kubernetes.io/topology-mode", "").toLowerCase(Locale.ROOT))) {
      p = p.withTopologyMode(TopologyMode.DISABLED);
    }
    return p;
  }

  private static List<IpAddress> clusterIps(
      Service service, @Nullable NetworkDefinition network, List<String> skipped) {
    List<String> raw = new ArrayList<>();
    ServiceSpec spec = requireNonNull(service.getSpec(), "spec");
    if (network != null && !network.network().serviceCidrs().isEmpty()) {
      Map<String, String> a =
          Objects.requireNonNullElse(service.getMetadata().getAnnotations(), Map.of());
      String v = a.get(WellKnown.CLUSTER_IPS_ANNOTATION);
      if (v != null) {
        for (String part : v.split(",", -1)) {
          raw.add(part.trim());
        }
      }
    } else if (spec.getClusterIPs() != null && !spec.getClusterIPs().isEmpty()) {
      raw.addAll(spec.getClusterIPs());
    } else if (spec.getClusterIP() != null) {
      raw.add(spec.getClusterIP());
    }
    List<IpAddress> out = new ArrayList<>();
    for (String r : raw) {
      if (r.isEmpty() || r.equals("None")) {
        continue;
      }
      try {
        out.add(IpAddress.parse(r));
      } catch (IllegalArgumentException e) {
        skipped.add(
            service.getMetadata().getNamespace()
                + "/"
                + service.getMetadata().getName()
                + ": "
                + e.getMessage());
      }
    }
    return out;
  }

  private static List<IpAddress> externalAddresses(Service service, IpAddress vip) {
    List<String> raw = new ArrayList<>();
    ServiceSpec spec = requireNonNull(service.getSpec(), "spec");
    if (spec.getExternalIPs() != null) {
      raw.addAll(spec.getExternalIPs());
    }
    if ("LoadBalancer".equals(spec.getType())
        && service.getStatus() != null
        && service.getStatus().getLoadBalancer() != null) {
      for (LoadBalancerIngress i : service.getStatus().getLoadBalancer().getIngress()) {
        if (i.getIp() != null && !"Proxy".equals(i.getIpMode())) {
          raw.add(i.getIp());
        }
      }
    }
    List<IpAddress> out = new ArrayList<>();
    for (String r : raw) {
      try {
        IpAddress a = IpAddress.parse(r);
        if (a.family() == vip.family() && !out.contains(a)) {
          out.add(a);
        }
      } catch (IllegalArgumentException e) {
        // kube-proxy ignores unparsable external addresses too
      }
    }
    return out;
  }

  private static List<Endpoint> endpoints(
      List<SliceRecord> slices,
      IpAddress vip,
      String portName,
      String protocol,
      List<String> skipped) {
    String family = vip.isV4() ? "IPv4" : "IPv6";
    Map<String, Endpoint> byHostPort = new LinkedHashMap<>();
    for (SliceRecord s : slices) {
      if (!family.equals(s.addressType())) {
        continue;
      }
      Integer target = null;
      for (SliceRecord.Port p : s.ports()) {
        if (portName.equals(Objects.requireNonNullElse(p.name(), ""))
            && protocol.equals(Objects.requireNonNullElse(p.protocol(), "TCP"))) {
          target = p.port();
        }
      }
      if (target == null) {
        continue;
      }
      for (SliceRecord.EndpointRecord e : s.endpoints()) {
        String invalid = e.firstInvalid();
        if (invalid != null) {
          skipped.add(s.namespace() + "/" + s.name() + ": " + invalid);
          continue;
        }
        IpAddress a = e.address();
        if (a == null) {
          continue;
        }
        try {
          // The record applied Kubernetes' defaults: a nil ready is ready, nil serving is ready.
          var b =
              Endpoint.builder(a, target)
                  .node(e.nodeName())
                  .zone(e.zone())
                  .conditions(e.ready(), e.serving(), e.terminating())
                  .interfaceName(e.interfaceName());
          if (!e.zoneHints().isEmpty() || !e.nodeHints().isEmpty()) {
            b.zoneHints(e.zoneHints().toArray(String[]::new));
            b.nodeHints(e.nodeHints().toArray(String[]::new));
          }
          Endpoint ep = b.build();
          // An endpoint in two slices (moving between them) counts once; prefer the ready copy.
          byHostPort.merge(ep.hostPort(), ep, (x, y) -> x.ready() ? x : y);
        } catch (IllegalArgumentException ex) {
          skipped.add(s.namespace() + "/" + s.name() + ": " + ex.getMessage());
        }
      }
    }
    return new ArrayList<>(byHostPort.values());
  }
}
