package io.multinet.watcher.slice;

import static io.multinet.kube.WellKnown.ZONE_LABEL;
import static java.util.Objects.requireNonNull;

import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.Node;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServicePort;
import io.multinet.kube.Problem;
import io.multinet.kube.attachment.PodInterface;
import io.multinet.kube.network.NetworkDefinition;
import io.multinet.network.IpAddress;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import org.jspecify.annotations.Nullable;

/**
 * Builds a network Service's endpoints from its pods' interfaces on that network, with the
 * conditions the Kubernetes EndpointSlice controller would give them.
 */
public final class EndpointBuilder {

  static final String TOPOLOGY_MODE = "service.kubernetes.io/topology-mode";
  static final String TOPOLOGY_HINTS_LEGACY = "service.kubernetes.io/topology-aware-hints";

  private EndpointBuilder() {}

  /** Endpoints and the problems met on the way (a bad pod is skipped, never fatal). */
  public record Result(List<DesiredEndpoint> endpoints, List<Problem> problems) {}

  /**
   * Builds the endpoints of {@code service} on {@code network}.
   *
   * @param pods the records of the pods of the Service's namespace
   * @param nodes node by name, for zones
   */
  public static Result build(
      Service service,
      NetworkDefinition network,
      Map<String, String> selector,
      Collection<PodRecord> pods,
      Function<String, @Nullable Node> nodes) {
    requireNonNull(service, "service");
    requireNonNull(network, "network");
    var endpoints = new ArrayList<DesiredEndpoint>();
    var problems = new ArrayList<Problem>();
    if (selector.isEmpty()) {
      return new Result(endpoints, problems); // a selectorless Service selects no pods
    }
    boolean publishNotReady =
        service.getSpec() != null
            && Boolean.TRUE.equals(service.getSpec().getPublishNotReadyAddresses());
    List<ServicePort> servicePorts =
        service.getSpec() == null ? List.of() : service.getSpec().getPorts();
    var seen = new HashSet<IpAddress>();
    List<PodRecord> sorted = new ArrayList<>(pods);
    sorted.sort(Comparator.comparing(PodRecord::name));
    for (PodRecord pod : sorted) {
      if (!matches(selector, pod.labels()) || pod.finished()) {
        continue;
      }
      String malformed = pod.networkStatusError();
      if (malformed != null) {
        problems.add(problem(pod, "MalformedNetworkStatus", malformed));
        continue;
      }
      List<PodInterface> interfaces = pod.interfaces();
      List<PortRef> ports = resolvePorts(servicePorts, pod);
      if (ports.isEmpty() && !servicePorts.isEmpty()) {
        continue; // no port resolves on this pod: Kubernetes lists it nowhere either
      }
      String nodeName = pod.nodeName();
      Node node = nodeName == null ? null : nodes.apply(nodeName);
      String zone = node == null ? null : orEmpty(node.getMetadata().getLabels()).get(ZONE_LABEL);
      // Kubernetes' EndpointSlice controller: serving is the pod's Ready condition alone,
      // terminating is a set deletionTimestamp, and ready is serving and not terminating unless
      // the Service publishes not-ready addresses.
      boolean terminating = pod.terminating();
      boolean serving = pod.ready();
      boolean ready = publishNotReady || (serving && !terminating);
      String ns = pod.namespace();
      String hostname = hostname(pod, service);
      for (PodInterface iface : interfaces) {
        if (!network.includes(iface, ns)) {
          continue;
        }
        for (IpAddress a : iface.addresses()) {
          if (!network.network().isPodAddress(a)) {
            problems.add(
                problem(
                    pod,
                    "EndpointOutsideNetwork",
                    "address: "
                        + a
                        + " on "
                        + iface.attachment()
                        + " (expected: within network "
                        + network.name()
                        + "'s podCIDRs "
                        + network.network().podCidrs()
                        + ")"));
            continue;
          }
          if (!seen.add(a)) {
            problems.add(
                problem(
                    pod,
                    "DuplicateEndpointAddress",
                    "address: "
                        + a
                        + " (expected: unique within network "
                        + network.name()
                        + "; another pod has it)"));
            continue;
          }
          endpoints.add(
              new DesiredEndpoint(
                  a,
                  ports,
                  ns,
                  pod.name(),
                  pod.uid(),
                  nodeName,
                  zone,
                  ready,
                  serving,
                  terminating,
                  Set.of(),
                  iface.interfaceName(),
                  hostname));
        }
      }
    }
    return new Result(wantsTopology(service) ? withZoneHints(endpoints) : endpoints, problems);
  }

  /** The Service asks for topology-aware routing: topology-mode Auto, or a traffic distribution. */
  static boolean wantsTopology(Service service) {
    Map<String, String> a = orEmpty(service.getMetadata().getAnnotations());
    String mode = a.getOrDefault(TOPOLOGY_MODE, a.get(TOPOLOGY_HINTS_LEGACY));
    if (mode != null && mode.toLowerCase(Locale.ROOT).equals("auto")) {
      return true;
    }
    String distribution =
        service.getSpec() == null ? null : service.getSpec().getTrafficDistribution();
    return distribution != null
        && (distribution.equals("PreferClose") || distribution.equals("PreferSameZone"));
  }

  /**
   * Hints each endpoint for its own zone (PreferClose's rule), and only when every ready endpoint
   * has a zone: a partial set of hints would make kube-proxy ignore them anyway.
   */
  private static List<DesiredEndpoint> withZoneHints(List<DesiredEndpoint> endpoints) {
    for (DesiredEndpoint e : endpoints) {
      if (e.ready() && e.zone() == null) {
        return endpoints;
      }
    }
    List<DesiredEndpoint> out = new ArrayList<>(endpoints.size());
    for (DesiredEndpoint e : endpoints) {
      String zone = e.zone();
      out.add(zone == null ? e : e.withZoneHints(Set.of(zone)));
    }
    return out;
  }

  private static List<PortRef> resolvePorts(List<ServicePort> servicePorts, PodRecord pod) {
    List<PortRef> out = new ArrayList<>(servicePorts.size());
    for (ServicePort sp : servicePorts) {
      String protocol = sp.getProtocol() == null ? "TCP" : sp.getProtocol();
      String name = sp.getName() == null ? "" : sp.getName();
      IntOrString target = sp.getTargetPort();
      Integer port = sp.getPort();
      int resolved;
      if (target == null
          || (target.getStrVal() == null
              && (target.getIntVal() == null || target.getIntVal() == 0))) {
        resolved = port == null ? 0 : port;
      } else if (target.getStrVal() != null) {
        resolved = pod.namedPort(target.getStrVal(), protocol);
      } else {
        resolved = target.getIntVal();
      }
      if (resolved > 0 && resolved <= 65535) {
        out.add(new PortRef(name, protocol, resolved));
      }
    }
    out.sort(null);
    return out;
  }

  /**
   * The endpoint's hostname, by the Kubernetes EndpointSlice controller's rule: the pod names a
   * hostname and its subdomain is this Service, in the same namespace. DNS then publishes {@code
   * <hostname>.<service>.<namespace>.svc.<domain>}.
   */
  static @Nullable String hostname(PodRecord pod, Service service) {
    String hostname = pod.hostname();
    if (hostname == null
        || hostname.isEmpty()
        || !service.getMetadata().getName().equals(pod.subdomain())
        || !service.getMetadata().getNamespace().equals(pod.namespace())) {
      return null;
    }
    return hostname;
  }

  public static boolean matches(
      Map<String, String> selector, @Nullable Map<String, String> labels) {
    if (labels == null) {
      return false;
    }
    for (Map.Entry<String, String> e : selector.entrySet()) {
      if (!e.getValue().equals(labels.get(e.getKey()))) {
        return false;
      }
    }
    return true;
  }

  private static Problem problem(PodRecord pod, String reason, String message) {
    return new Problem("Pod", pod.namespace(), pod.name(), reason, message);
  }

  private static <K, V> Map<K, V> orEmpty(@Nullable Map<K, V> m) {
    return m == null ? Map.of() : m;
  }
}
