package io.multinet.benchmarks;

import static java.util.Objects.requireNonNull;

import io.multinet.dataplane.v1.Backend;
import io.multinet.dataplane.v1.Protocol;
import io.multinet.dataplane.v1.ServicePort;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * {@link KernelWorkload}'s services (IPv4, TCP and UDP, random load balancing, ten endpoints)
 * rendered as nft text in four rule layouts, for {@link KernelLayoutBenchmark}. Every layout shares
 * the same skeleton, so only the per-service part differs: table {@value #TABLE}, a {@code nat_pre}
 * chain dispatching {@code ct zone . ip daddr . meta l4proto . th dport} through the verdict map
 * {@code svc4}. Zone setting, hairpin, masquerade and NodePort rules are left out of all of them:
 * they are the same whatever the layout.
 *
 * <ul>
 *   <li>{@link Layout#OURS}: the kernel plan's shape ({@code KernelPlanner}). {@code svc4} elements
 *       {@code goto} a chain shared by every service with ten backends, {@code lb_rand_10}, which
 *       DNATs through {@code ep4_tcp}/{@code ep4_udp} keyed by (zone, VIP, port, slot).
 *   <li>{@link Layout#KUBE_PROXY}: kube-proxy's nftables mode. A chain per service with {@code
 *       numgen random mod 10 vmap { 0 : goto ep..., ... }} (an anonymous verdict map per service)
 *       and a chain per endpoint doing the DNAT.
 *   <li>{@link Layout#SERVICE_MAPS}: a chain per service binding a named endpoint map of its own
 *       ({@code numgen random mod 10 map @ep_I}).
 *   <li>{@link Layout#SHARED_MAP}: a chain per service, every one binding the shared {@code
 *       ep4_tcp}/{@code ep4_udp} of {@link Layout#OURS}: ours with one binding rule per service
 *       instead of one per backend count.
 * </ul>
 *
 * <p>A change replaces all endpoints of one service (variant 0 to 1 of {@link KernelWorkload#port})
 * with the smallest batch natural to the layout: element-only updates of the endpoint map for
 * {@link Layout#OURS}, {@link Layout#SHARED_MAP} and {@link Layout#SERVICE_MAPS}; for {@link
 * Layout#KUBE_PROXY} new endpoint chains, the service chain flushed and given a new verdict map,
 * the old endpoint chains flushed and deleted (kube-proxy names endpoint chains after the endpoint,
 * so new endpoints mean new chains).
 */
final class LayoutAlternatives {

  static final String TABLE = "inet layouts";

  /** Removes the table if present, in one transaction (creating it first makes delete safe). */
  static final String DELETE = "table " + TABLE + " {}\ndelete table " + TABLE + "\n";

  enum Layout {
    OURS,
    KUBE_PROXY,
    SERVICE_MAPS,
    SHARED_MAP;

    /**
     * The JMH parameter value: {@code ours}, {@code kubeproxy}, {@code svcmaps}, {@code sharedmap}.
     */
    static Layout of(String name) {
      return switch (requireNonNull(name, "name").toLowerCase(Locale.ROOT)) {
        case "ours" -> OURS;
        case "kubeproxy" -> KUBE_PROXY;
        case "svcmaps" -> SERVICE_MAPS;
        case "sharedmap" -> SHARED_MAP;
        default -> throw new IllegalArgumentException("unknown layout " + name);
      };
    }
  }

  private LayoutAlternatives() {}

  /** The whole table for services {@code 0 .. services - 1}, variant 0, into an empty namespace. */
  static String full(Layout layout, int services) {
    List<ServicePort> ports = new ArrayList<>(services);
    for (int i = 0; i < services; i++) {
      ports.add(KernelWorkload.port(i, 0));
    }
    var sb = new StringBuilder(services * 1_000);
    sb.append("table ").append(TABLE).append(" {\n");
    sb.append(
        "  map svc4 { typeof ct zone . ip daddr . meta l4proto . th dport : verdict;"
            + " size 65536; }\n");
    if (layout == Layout.OURS || layout == Layout.SHARED_MAP) {
      for (String p : List.of("tcp", "udp")) {
        sb.append("  map ep4_")
            .append(p)
            .append(" { typeof ct zone . ip daddr . ")
            .append(p)
            .append(" dport . numgen random mod 1 : ip daddr . ")
            .append(p)
            .append(" dport; size 1048576; }\n");
      }
    }
    sb.append("  chain nat_pre {\n")
        .append("    type nat hook prerouting priority dstnat; policy accept;\n")
        .append("    ct zone . ip daddr . meta l4proto . th dport vmap @svc4\n")
        .append("  }\n");
    switch (layout) {
      case OURS -> {
        sb.append("  chain lb_rand_").append(KernelWorkload.ENDPOINTS).append(" {\n");
        for (String p : List.of("tcp", "udp")) {
          sb.append("    ").append(sharedMapDnat(p, KernelWorkload.ENDPOINTS)).append('\n');
        }
        sb.append("  }\n");
      }
      case KUBE_PROXY -> {
        // Endpoint chains first: the service chains' verdict maps name them.
        for (int i = 0; i < services; i++) {
          ServicePort sp = ports.get(i);
          for (int e = 0; e < sp.getBackendsCount(); e++) {
            sb.append("  chain ")
                .append(endpointChain(i, 0, e))
                .append(" {\n    ")
                .append(endpointDnat(sp, e))
                .append("\n  }\n");
          }
        }
        for (int i = 0; i < services; i++) {
          sb.append("  chain svc_")
              .append(i)
              .append(" {\n    ")
              .append(endpointVmap(i, 0, ports.get(i).getBackendsCount()))
              .append("\n  }\n");
        }
      }
      case SERVICE_MAPS -> {
        for (int i = 0; i < services; i++) {
          ServicePort sp = ports.get(i);
          String p = proto(sp);
          sb.append("  map ep_")
              .append(i)
              .append(" { typeof numgen random mod 1 : ip daddr . ")
              .append(p)
              .append(" dport; }\n");
          sb.append("  chain svc_")
              .append(i)
              .append(" {\n    meta l4proto ")
              .append(p)
              .append(" dnat ip to numgen random mod ")
              .append(sp.getBackendsCount())
              .append(" map @ep_")
              .append(i)
              .append("\n  }\n");
        }
      }
      case SHARED_MAP -> {
        for (int i = 0; i < services; i++) {
          ServicePort sp = ports.get(i);
          sb.append("  chain svc_")
              .append(i)
              .append(" {\n    ")
              .append(sharedMapDnat(proto(sp), sp.getBackendsCount()))
              .append("\n  }\n");
        }
      }
    }
    sb.append("}\n");
    for (int i = 0; i < services; i++) {
      ServicePort sp = ports.get(i);
      String chain = layout == Layout.OURS ? "lb_rand_" + sp.getBackendsCount() : "svc_" + i;
      sb.append("add element ")
          .append(TABLE)
          .append(" svc4 { ")
          .append(svcKey(sp))
          .append(" : goto ")
          .append(chain)
          .append(" }\n");
      if (layout != Layout.KUBE_PROXY) {
        addEndpoints(sb, layout, i, sp);
      }
    }
    return sb.toString();
  }

  /** One batch taking service {@code i}'s endpoints from variant {@code from} to {@code to}. */
  static String change(Layout layout, int i, int from, int to) {
    ServicePort before = KernelWorkload.port(i, from);
    ServicePort after = KernelWorkload.port(i, to);
    var sb = new StringBuilder();
    if (layout == Layout.KUBE_PROXY) {
      for (int e = 0; e < after.getBackendsCount(); e++) {
        String chain = endpointChain(i, to, e);
        sb.append("add chain ").append(TABLE).append(' ').append(chain).append('\n');
        sb.append("add rule ")
            .append(TABLE)
            .append(' ')
            .append(chain)
            .append(' ')
            .append(endpointDnat(after, e))
            .append('\n');
      }
      sb.append("flush chain ").append(TABLE).append(" svc_").append(i).append('\n');
      sb.append("add rule ")
          .append(TABLE)
          .append(" svc_")
          .append(i)
          .append(' ')
          .append(endpointVmap(i, to, after.getBackendsCount()))
          .append('\n');
      for (int e = 0; e < before.getBackendsCount(); e++) {
        String chain = endpointChain(i, from, e);
        sb.append("flush chain ").append(TABLE).append(' ').append(chain).append('\n');
        sb.append("delete chain ").append(TABLE).append(' ').append(chain).append('\n');
      }
      return sb.toString();
    }
    List<String> keys = new ArrayList<>();
    for (int e = 0; e < before.getBackendsCount(); e++) {
      keys.add(slotKey(layout, before, e));
    }
    sb.append("delete element ")
        .append(TABLE)
        .append(' ')
        .append(endpointMap(layout, i, before))
        .append(" { ")
        .append(String.join(", ", keys))
        .append(" }\n");
    addEndpoints(sb, layout, i, after);
    return sb.toString();
  }

  private static void addEndpoints(StringBuilder sb, Layout layout, int i, ServicePort sp) {
    List<String> elements = new ArrayList<>();
    for (int e = 0; e < sp.getBackendsCount(); e++) {
      Backend b = sp.getBackends(e);
      elements.add(slotKey(layout, sp, e) + " : " + b.getAddress() + " . " + b.getPort());
    }
    sb.append("add element ")
        .append(TABLE)
        .append(' ')
        .append(endpointMap(layout, i, sp))
        .append(" { ")
        .append(String.join(", ", elements))
        .append(" }\n");
  }

  private static String endpointMap(Layout layout, int i, ServicePort sp) {
    return layout == Layout.SERVICE_MAPS ? "ep_" + i : "ep4_" + proto(sp);
  }

  private static String slotKey(Layout layout, ServicePort sp, int slot) {
    if (layout == Layout.SERVICE_MAPS) {
      return Integer.toString(slot);
    }
    return sp.getNetworkId() + " . " + sp.getAddress() + " . " + sp.getPort() + " . " + slot;
  }

  private static String svcKey(ServicePort sp) {
    return sp.getNetworkId() + " . " + sp.getAddress() + " . " + proto(sp) + " . " + sp.getPort();
  }

  private static String sharedMapDnat(String p, int n) {
    return "meta nfproto ipv4 meta l4proto "
        + p
        + " dnat ip to ct zone . ip daddr . "
        + p
        + " dport . numgen random mod "
        + n
        + " map @ep4_"
        + p;
  }

  private static String endpointChain(int service, int variant, int endpoint) {
    return "ep_" + service + "_" + variant + "_" + endpoint;
  }

  private static String endpointVmap(int service, int variant, int n) {
    List<String> slots = new ArrayList<>();
    for (int e = 0; e < n; e++) {
      slots.add(e + " : goto " + endpointChain(service, variant, e));
    }
    return "numgen random mod " + n + " vmap { " + String.join(", ", slots) + " }";
  }

  private static String endpointDnat(ServicePort sp, int e) {
    Backend b = sp.getBackends(e);
    return "meta l4proto " + proto(sp) + " dnat ip to " + b.getAddress() + ":" + b.getPort();
  }

  private static String proto(ServicePort sp) {
    return sp.getProtocol() == Protocol.UDP ? "udp" : "tcp";
  }
}
