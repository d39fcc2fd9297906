package io.multinet.kube.network;

import static java.util.Objects.requireNonNull;

import io.fabric8.kubernetes.api.model.LabelSelector;
import io.fabric8.kubernetes.api.model.LabelSelectorBuilder;
import io.multinet.kube.Problem;
import io.multinet.kube.crd.CalicoNetworkResource;
import io.multinet.kube.crd.NetworkAttachmentDefinition;
import io.multinet.kube.crd.NetworkResource;
import io.multinet.network.Cidr;
import io.multinet.network.IpAddress;
import io.multinet.network.Network;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.Collection;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.ObjectMapper;

/**
 * Every valid network at one moment, built from the Network objects. Invalid ones are left out with
 * a {@link Problem} each; they never make the others invalid. Conflicts are settled by age (oldest
 * wins, then name), so the answer does not depend on the order the API listed them in.
 */
public final class NetworkCatalog {

  private static final ObjectMapper JSON = new ObjectMapper();

  private final Map<String, NetworkDefinition> byName;
  private final List<Problem> problems;

  private NetworkCatalog(Map<String, NetworkDefinition> byName, List<Problem> problems) {
    this.byName = byName;
    this.problems = List.copyOf(problems);
  }

  /** A catalog with only the implicit default network. */
  public static NetworkCatalog empty() {
    return build(List.of(), List.of(), List.of());
  }

  public static NetworkCatalog build(
      Collection<NetworkResource> networks,
      Collection<CalicoNetworkResource> calicoNetworks,
      Collection<NetworkAttachmentDefinition> nads) {
    requireNonNull(networks, "networks");
    requireNonNull(calicoNetworks, "calicoNetworks");
    requireNonNull(nads, "nads");
    var problems = new ArrayList<Problem>();
    var byName = new TreeMap<String, NetworkDefinition>();
    var byId = new HashMap<Integer, String>();
    var attachmentOwner = new HashMap<String, String>();

    List<NetworkResource> sorted = new ArrayList<>(networks);
    sorted.sort(
        Comparator.comparing(
                (NetworkResource n) -> Objects.toString(n.getMetadata().getCreationTimestamp(), ""))
            .thenComparing(n -> n.getMetadata().getName()));
    for (NetworkResource r : sorted) {
      String name = r.getMetadata().getName();
      try {
        var side = new ArrayList<Problem>();
        NetworkDefinition d = fromMultinet(r, side);
        claim(d, byId, attachmentOwner);
        byName.put(name, d);
        // Only a valid network's DNS or selector is worth a problem of its own.
        problems.addAll(side);
      } catch (IllegalArgumentException e) {
        problems.add(
            new Problem("Network", "", name, "InvalidNetwork", String.valueOf(e.getMessage())));
      }
    }

    List<CalicoNetworkResource> calico = new ArrayList<>(calicoNetworks);
    calico.sort(Comparator.comparing(n -> n.getMetadata().getName()));
    for (CalicoNetworkResource r : calico) {
      String name = r.getMetadata().getName();
      try {
        if (byName.containsKey(name)) {
          throw new IllegalArgumentException(
              "name: " + name + " (expected: unique; the multinet.io Network of that name wins)");
        }
        NetworkDefinition d = fromCalico(r, nads);
        claim(d, byId, attachmentOwner);
        byName.put(name, d);
      } catch (IllegalArgumentException e) {
        problems.add(
            new Problem("Network", "", name, "InvalidNetwork", String.valueOf(e.getMessage())));
      }
    }
    return new NetworkCatalog(byName, problems);
  }

  /** The network named {@code name}, or null; {@code "default"} is never in the catalog. */
  public @Nullable NetworkDefinition byName(String name) {
    return byName.get(name);
  }

  /** The network whose attachments include NetworkAttachmentDefinition {@code ns/name}, or null. */
  public @Nullable NetworkDefinition byAttachment(String namespace, String name) {
    for (NetworkDefinition d : byName.values()) {
      if (d.hasAttachment(namespace, name)) {
        return d;
      }
    }
    return null;
  }

  public Collection<NetworkDefinition> networks() {
    return byName.values();
  }

  /** What was rejected, one per invalid Network object. */
  public List<Problem> problems() {
    return problems;
  }

  private static void claim(
      NetworkDefinition d, Map<Integer, String> byId, Map<String, String> attachmentOwner) {
    String other = byId.get(d.network().id());
    if (other != null) {
      throw new IllegalArgumentException(
          "id: " + d.network().id() + " (expected: unique across Networks; " + other + " has it)");
    }
    for (String a : d.attachments()) {
      String owner = attachmentOwner.get(a);
      if (owner != null) {
        throw new IllegalArgumentException(
            "attachments: " + a + " (expected: unique across Networks; " + owner + " has it)");
      }
    }
    byId.put(d.network().id(), d.name());
    for (String a : d.attachments()) {
      attachmentOwner.put(a, d.name());
    }
  }

  private static NetworkDefinition fromMultinet(NetworkResource r, List<Problem> problems) {
    String name = r.getMetadata().getName();
    NetworkResource.Spec spec = r.getSpec();
    if (spec == null) {
      throw new IllegalArgumentException("spec: missing (expected: id, serviceCIDRs, attachments)");
    }
    if (spec.id == null) {
      throw new IllegalArgumentException("id: missing (expected: 1-" + Network.MAX_ID + ")");
    }
    if (Network.DEFAULT_NAME.equals(name)) {
      throw new IllegalArgumentException(
          "name: default (expected: another name; the default network is implicit)");
    }
    List<Cidr> service = cidrs("serviceCIDRs", spec.serviceCIDRs);
    List<Cidr> pods = cidrs("podCIDRs", spec.podCIDRs);
    Network network;
    try {
      network = Network.of(name, spec.id, service, pods);
    } catch (IllegalArgumentException e) {
      // Speak the CRD's field names, not the Java model's.
      throw new IllegalArgumentException(
          String.valueOf(e.getMessage())
              .replaceFirst("^serviceCidrs:", "serviceCIDRs:")
              .replaceFirst("^podCidrs:", "podCIDRs:"),
          e);
    }
    List<String> attachments = spec.attachments == null ? List.of() : spec.attachments;
    for (String a : attachments) {
      if (a == null || a.isBlank() || a.chars().filter(c -> c == '/').count() > 1) {
        throw new IllegalArgumentException(
            "attachments: "
                + a
                + " (expected: name or namespace/name of a NetworkAttachmentDefinition)");
      }
    }
    NetworkResource.Kernel kernel = spec.kernel;
    NetworkResource.Vpp vpp = spec.vpp;
    Integer table = kernel == null ? null : kernel.routingTable;
    if (table != null && (table < 1 || table == 253 || table == 254 || table == 255)) {
      throw new IllegalArgumentException(
          "kernel.routingTable: "
              + table
              + " (expected: 1-2147483647, not 253-255 which the kernel reserves)");
    }
    NamespaceSelector namespaces;
    try {
      namespaces = NamespaceSelector.of(spec.namespaceSelector);
    } catch (IllegalArgumentException e) {
      // Fail closed: a selector meant to restrict the network must not open it to everyone.
      problems.add(
          new Problem(
              "Network", "", name, "InvalidNamespaceSelector", String.valueOf(e.getMessage())));
      namespaces = NamespaceSelector.of(NOTHING);
    }
    NetworkDns dns = null;
    if (!service.isEmpty()) {
      try {
        dns = dns(network, spec.dns, r.getStatus());
      } catch (IllegalArgumentException e) {
        problems.add(
            new Problem("Network", "", name, "InvalidDNS", String.valueOf(e.getMessage())));
      }
    }
    return new NetworkDefinition(
        network,
        attachments,
        kernel == null || kernel.interfaces == null ? List.of() : kernel.interfaces,
        table,
        vpp == null ? null : vpp.vrf,
        NetworkDefinition.MULTINET,
        dns,
        namespaces);
  }

  // A selector no namespace satisfies: one label that must both exist and not exist.
  private static final LabelSelector NOTHING =
      new LabelSelectorBuilder()
          .addNewMatchExpression()
          .withKey("multinet.io/invalid-namespace-selector")
          .withOperator("Exists")
          .endMatchExpression()
          .addNewMatchExpression()
          .withKey("multinet.io/invalid-namespace-selector")
          .withOperator("DoesNotExist")
          .endMatchExpression()
          .build();

  private static final Pattern DOMAIN =
      Pattern.compile(
          "([a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?)(\\.[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?)*");

  private static NetworkDns dns(
      Network network,
      NetworkResource.@Nullable Dns spec,
      NetworkResource.@Nullable Status status) {
    List<IpAddress> requested = new ArrayList<>();
    String domain = null;
    List<InetSocketAddress> upstreams = new ArrayList<>();
    if (spec != null) {
      for (String ip : Objects.requireNonNullElse(spec.clusterIPs, List.<String>of())) {
        IpAddress a;
        try {
          a = IpAddress.parse(Objects.requireNonNullElse(ip, "").trim());
        } catch (IllegalArgumentException e) {
          throw new IllegalArgumentException(
              "dns.clusterIPs: " + ip + " (expected: an IPv4 or IPv6 address)", e);
        }
        if (!network.isServiceAddress(a)) {
          throw new IllegalArgumentException(
              "dns.clusterIPs: "
                  + ip
                  + " (expected: inside serviceCIDRs "
                  + network.serviceCidrs()
                  + ")");
        }
        for (IpAddress other : requested) {
          if (other.family() == a.family()) {
            throw new IllegalArgumentException(
                "dns.clusterIPs: " + spec.clusterIPs + " (expected: at most one per family)");
          }
        }
        requested.add(a);
      }
      if (spec.clusterDomain != null) {
        String d = spec.clusterDomain.trim().toLowerCase(java.util.Locale.ROOT);
        if (d.endsWith(".")) {
          d = d.substring(0, d.length() - 1);
        }
        if (d.length() > 253 || !DOMAIN.matcher(d).matches()) {
          throw new IllegalArgumentException(
              "dns.clusterDomain: "
                  + spec.clusterDomain
                  + " (expected: a DNS name such as cluster.local)");
        }
        domain = d;
      }
      for (String u : Objects.requireNonNullElse(spec.upstreams, List.<String>of())) {
        upstreams.add(upstream(Objects.requireNonNullElse(u, "")));
      }
    }
    List<IpAddress> effective = requested;
    if (status != null && status.dns != null) {
      // The addresses the controller holds claims on. Without a request they are the allocated
      // ones; with one, a requested address the status does not list is one the controller could
      // not claim (a Service holds it) or has not claimed yet, and answering on it would shadow
      // that Service. Anything else in the status is ignored, not trusted.
      List<IpAddress> confirmed = new ArrayList<>();
      for (String ip : status.dns.clusterIPs) {
        try {
          IpAddress a = IpAddress.parse(Objects.requireNonNullElse(ip, ""));
          if (network.isServiceAddress(a)
              && (requested.isEmpty() || requested.contains(a))
              && confirmed.stream().noneMatch(o -> o.family() == a.family())) {
            confirmed.add(a);
          }
        } catch (IllegalArgumentException e) {
          // skipped: the controller rewrites its status
        }
      }
      effective = confirmed;
    }
    return new NetworkDns(requested, effective, domain, upstreams);
  }

  /** {@code IP}, {@code IP:port} or {@code [IPv6]:port}. */
  static InetSocketAddress upstream(String text) {
    String t = text.trim();
    String host = t;
    int port = 53;
    try {
      if (t.startsWith("[")) {
        int close = t.indexOf(']');
        host = t.substring(1, close);
        if (close + 1 < t.length()) {
          if (t.charAt(close + 1) != ':') {
            throw new IllegalArgumentException(t);
          }
          port = Integer.parseInt(t.substring(close + 2));
        }
      } else if (t.indexOf(':') >= 0 && t.indexOf(':') == t.lastIndexOf(':')) {
        host = t.substring(0, t.indexOf(':'));
        port = Integer.parseInt(t.substring(t.indexOf(':') + 1));
      }
      if (port < 1 || port > 65535) {
        throw new IllegalArgumentException(t);
      }
      return new InetSocketAddress(IpAddress.parse(host).toInetAddress(), port);
    } catch (RuntimeException e) {
      throw new IllegalArgumentException(
          "dns.upstreams: " + text + " (expected: IP, IP:port or [IPv6]:port, port 1-65535)", e);
    }
  }

  private static NetworkDefinition fromCalico(
      CalicoNetworkResource r, Collection<NetworkAttachmentDefinition> nads) {
    String name = r.getMetadata().getName();
    CalicoNetworkResource.Spec spec = r.getSpec();
    if (spec == null || spec.vni == null) {
      throw new IllegalArgumentException("vni: missing (expected: 1-" + Network.MAX_ID + ")");
    }
    List<Cidr> pods = spec.range == null ? List.of() : List.of(Cidr.parse(spec.range));
    // Calico/VPP keeps service IPs in Kubernetes' own range, so such networks have no service
    // range.
    Network network = Network.of(name, spec.vni, List.of(), pods);
    List<String> attachments = new ArrayList<>();
    for (NetworkAttachmentDefinition nad : nads) {
      if (name.equals(calicoNetworkName(nad))) {
        attachments.add(nad.getMetadata().getNamespace() + "/" + nad.getMetadata().getName());
      }
    }
    attachments.sort(null);
    return new NetworkDefinition(
        network, attachments, List.of(), null, spec.vni, NetworkDefinition.CALICO);
  }

  /**
   * The Calico/VPP network a NetworkAttachmentDefinition attaches to: {@code
   * dataplane_options.network_name} of one of its plugins, or {@code ipam.network}; null if none.
   */
  static @Nullable String calicoNetworkName(NetworkAttachmentDefinition nad) {
    NetworkAttachmentDefinition.Spec spec = nad.getSpec();
    if (spec == null || spec.config == null) {
      return null;
    }
    JsonNode config;
    try {
      config = JSON.readTree(spec.config);
    } catch (tools.jackson.core.JacksonException e) {
      return null; // multus reports broken CNI configs itself; they attach nothing here
    }
    List<JsonNode> plugins = new ArrayList<>();
    JsonNode list = config.get("plugins");
    if (list != null && list.isArray()) {
      list.forEach(plugins::add);
    } else {
      plugins.add(config);
    }
    for (JsonNode p : plugins) {
      JsonNode options = p.get("dataplane_options");
      if (options != null && options.hasNonNull("network_name")) {
        return options.get("network_name").asString("");
      }
      JsonNode ipam = p.get("ipam");
      if (ipam != null && ipam.hasNonNull("network")) {
        return ipam.get("network").asString("");
      }
    }
    return null;
  }

  private static List<Cidr> cidrs(String field, @Nullable List<String> values) {
    if (values == null) {
      return List.of();
    }
    List<Cidr> out = new ArrayList<>(values.size());
    for (String v : values) {
      try {
        out.add(Cidr.parse(Objects.requireNonNullElse(v, "")));
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException(field + ": " + e.getMessage(), e);
      }
    }
    return out;
  }
}
