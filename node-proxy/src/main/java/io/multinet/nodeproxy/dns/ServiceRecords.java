package io.multinet.nodeproxy.dns;

import static java.util.Objects.requireNonNull;

import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServicePort;
import io.fabric8.kubernetes.api.model.ServiceSpec;
import io.multinet.kube.WellKnown;
import io.multinet.kube.network.NetworkDefinition;
import io.multinet.kube.service.ServiceNetworkResolver;
import io.multinet.network.IpAddress;
import io.multinet.nodeproxy.view.SliceRecord;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * What one Service publishes in its network's zone, after the Kubernetes DNS specification: its
 * names with their data, and the empty non-terminals above them. Compared with the previous sync's
 * to decide whether the zone changes at all.
 *
 * @param networkId the network whose zone holds the names
 * @param names name → data, lowercase dotted names
 * @param ancestors the names between each name and its zone's apex, which exist without data
 */
record ServiceRecords(int networkId, Map<String, NameData> names, Set<String> ancestors) {

  ServiceRecords {
    names = Map.copyOf(requireNonNull(names, "names"));
    ancestors = Set.copyOf(requireNonNull(ancestors, "ancestors"));
  }

  /** One name's data from one Service. */
  record NameData(
      List<IpAddress> addresses, @Nullable String cname, List<Srv> srv, List<String> ptr) {
    NameData {
      addresses = List.copyOf(addresses);
      srv = List.copyOf(srv);
      ptr = List.copyOf(ptr);
    }
  }

  record Srv(int priority, int weight, int port, String target) {}

  /** A name being collected. */
  private static final class Acc {
    final Set<IpAddress> addresses = new LinkedHashSet<>();
    @Nullable String cname;
    final Set<Srv> srv = new LinkedHashSet<>();
    final Set<String> ptr = new LinkedHashSet<>();

    NameData freeze() {
      return new NameData(
          new ArrayList<>(addresses), cname, new ArrayList<>(srv), new ArrayList<>(ptr));
    }
  }

  /**
   * The records of {@code service} in {@code network} (null: the default network) whose zone is
   * {@code domain}, or null when it publishes nothing (no address yet, a headless Service without
   * ready endpoints, a name too long for DNS).
   *
   * @param slices every slice naming the Service
   */
  static @Nullable ServiceRecords of(
      Service service,
      @Nullable NetworkDefinition network,
      int networkId,
      String domain,
      Collection<SliceRecord> slices) {
    ServiceSpec spec = service.getSpec();
    if (spec == null) {
      return null;
    }
    String base =
        (service.getMetadata().getName()
                + "."
                + service.getMetadata().getNamespace()
                + ".svc."
                + domain)
            .toLowerCase(Locale.ROOT);
    if (!Wire.validName(base)) {
      return null;
    }
    Map<String, Acc> names = new LinkedHashMap<>();
    if ("ExternalName".equals(spec.getType())) {
      String target = Objects.requireNonNullElse(spec.getExternalName(), "").trim();
      target = target.toLowerCase(Locale.ROOT);
      if (target.endsWith(".")) {
        target = target.substring(0, target.length() - 1);
      }
      if (target.isEmpty() || !Wire.validName(target)) {
        return null;
      }
      names.computeIfAbsent(base, k -> new Acc()).cname = target;
    } else if ("None".equals(spec.getClusterIP())) {
      headless(service, network, base, slices, names);
    } else {
      List<IpAddress> ips = clusterIps(service, network);
      if (ips.isEmpty()) {
        return null;
      }
      Acc acc = names.computeIfAbsent(base, k -> new Acc());
      acc.addresses.addAll(ips);
      for (IpAddress ip : ips) {
        names.computeIfAbsent(Wire.reverse(ip), k -> new Acc()).ptr.add(base);
      }
      for (ServicePort p : Objects.requireNonNullElse(spec.getPorts(), List.<ServicePort>of())) {
        String srvName = srvName(p.getName(), p.getProtocol(), base);
        if (srvName != null && p.getPort() != null) {
          names
              .computeIfAbsent(srvName, k -> new Acc())
              .srv
              .add(new Srv(0, 100, p.getPort(), base));
        }
      }
    }
    if (names.isEmpty()) {
      return null;
    }
    Map<String, NameData> frozen = new LinkedHashMap<>();
    Set<String> ancestors = new LinkedHashSet<>();
    names.forEach(
        (name, acc) -> {
          frozen.put(name, acc.freeze());
          String apex =
              name.endsWith(".in-addr.arpa")
                  ? "in-addr.arpa"
                  : name.endsWith(".ip6.arpa") ? "ip6.arpa" : domain;
          String n = name;
          while (true) {
            int dot = n.indexOf('.');
            if (dot < 0) {
              break;
            }
            n = n.substring(dot + 1);
            if (n.length() <= apex.length()) {
              break;
            }
            ancestors.add(n);
          }
        });
    ancestors.removeAll(frozen.keySet());
    return new ServiceRecords(networkId, frozen, ancestors);
  }

  private static void headless(
      Service service,
      @Nullable NetworkDefinition network,
      String base,
      Collection<SliceRecord> slices,
      Map<String, Acc> names) {
    ServiceSpec spec = requireNonNull(service.getSpec(), "spec");
    boolean publishNotReady = Boolean.TRUE.equals(spec.getPublishNotReadyAddresses());
    List<SliceRecord> own = own(service, network, slices);
    // One SRV weight per endpoint, so a port's weights add up to about 100 (as CoreDNS does).
    int endpoints = 0;
    for (SliceRecord s : own) {
      endpoints += s.endpoints().size();
    }
    int weight = Math.max(1, 100 / Math.max(1, endpoints));
    for (SliceRecord s : own) {
      String family = s.addressType();
      if (!"IPv4".equals(family) && !"IPv6".equals(family)) {
        continue;
      }
      for (SliceRecord.EndpointRecord e : s.endpoints()) {
        if (!e.ready() && !publishNotReady) {
          continue;
        }
        // Unparsable addresses were dropped from the record (the node pipeline reports them).
        for (IpAddress a : e.addresses()) {
          if (a.isV4() != "IPv4".equals(family)) {
            continue;
          }
          String host =
              Wire.dnsLabel(e.hostname())
                  ? requireNonNull(e.hostname()).toLowerCase(Locale.ROOT)
                  : dashed(a);
          String hostName = host + "." + base;
          if (!Wire.validName(hostName)) {
            continue;
          }
          names.computeIfAbsent(base, k -> new Acc()).addresses.add(a);
          names.computeIfAbsent(hostName, k -> new Acc()).addresses.add(a);
          names.computeIfAbsent(Wire.reverse(a), k -> new Acc()).ptr.add(hostName);
          for (SliceRecord.Port p : s.ports()) {
            String srvName = srvName(p.name(), p.protocol(), base);
            Integer port = p.port();
            if (srvName != null && port != null) {
              names
                  .computeIfAbsent(srvName, k -> new Acc())
                  .srv
                  .add(new Srv(0, weight, port, hostName));
            }
          }
        }
      }
    }
  }

  private static @Nullable String srvName(
      @Nullable String port, @Nullable String protocol, String base) {
    if (port == null || port.isEmpty()) {
      return null; // unnamed ports have no SRV record
    }
    String name =
        ("_" + port + "._" + Objects.requireNonNullElse(protocol, "TCP") + "." + base)
            .toLowerCase(Locale.ROOT);
    return Wire.validName(name) ? name : null;
  }

  /** An endpoint without a hostname is named by its address, dashed (as CoreDNS does). */
  static String dashed(IpAddress a) {
    byte[] b = a.toBytes();
    var sb = new StringBuilder(39);
    if (b.length == 4) {
      for (int i = 0; i < 4; i++) {
        sb.append(i == 0 ? "" : "-").append(b[i] & 0xff);
      }
      return sb.toString();
    }
    for (int i = 0; i < 16; i += 2) {
      sb.append(i == 0 ? "" : "-")
          .append(String.format(Locale.ROOT, "%04x", ((b[i] & 0xff) << 8) | (b[i + 1] & 0xff)));
    }
    return sb.toString();
  }

  /**
   * The slices that carry the Service's endpoints on its network, chosen as the node pipeline
   * chooses them: ours for that network, else (selectorless) the hand-written ones; for the default
   * network, Kubernetes' own.
   */
  private static List<SliceRecord> own(
      Service service, @Nullable NetworkDefinition network, Collection<SliceRecord> slices) {
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
    ServiceSpec spec = requireNonNull(service.getSpec(), "spec");
    Map<String, String> annotations =
        Objects.requireNonNullElse(service.getMetadata().getAnnotations(), Map.of());
    boolean selectorless =
        (spec.getSelector() == null || spec.getSelector().isEmpty())
            && !annotations.containsKey(ServiceNetworkResolver.CALICO_SELECTOR);
    if (network != null && own.isEmpty() && selectorless) {
      for (SliceRecord s : slices) {
        if (!s.ours()) {
          own.add(s);
        }
      }
    }
    return own;
  }

  /**
   * The Service's cluster IPs in its network, read as the node pipeline's ServicePortMapper reads
   * them: a network Service's {@code multinet.io/cluster-ips} annotation, a default-network
   * Service's {@code spec.clusterIPs}.
   */
  private static List<IpAddress> clusterIps(Service service, @Nullable NetworkDefinition network) {
    ServiceSpec spec = requireNonNull(service.getSpec(), "spec");
    List<String> raw = new ArrayList<>();
    if (network != null && !network.network().serviceCidrs().isEmpty()) {
      String v =
          Objects.requireNonNullElse(
                  service.getMetadata().getAnnotations(), Map.<String, String>of())
              .get(WellKnown.CLUSTER_IPS_ANNOTATION);
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
        IpAddress a = IpAddress.parse(r);
        if (!out.contains(a)) {
          out.add(a);
        }
      } catch (IllegalArgumentException e) {
        // the node pipeline reports it
      }
    }
    return out;
  }
}
