package io.multinet.watcher.ipam;

import static io.multinet.kube.WellKnown.CLUSTER_IPS_ANNOTATION;
import static java.util.Objects.requireNonNull;

import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.multinet.kube.Problem;
import io.multinet.kube.WellKnown;
import io.multinet.kube.crd.ClusterIPClaim;
import io.multinet.kube.network.NetworkDefinition;
import io.multinet.network.Cidr;
import io.multinet.network.IpAddress;
import io.multinet.network.IpFamily;
import java.math.BigInteger;
import java.net.HttpURLConnection;
import java.util.ArrayList;
import java.util.Collection;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;

/**
 * Gives network Services cluster IPs from their network's service CIDRs, after KEP-1880: every
 * allocated address is one {@link ClusterIPClaim} whose name is derived from (network, address), so
 * the API server refuses a second claim on the same address. That makes allocation race-safe across
 * controllers without a lock, and crash-safe: the claim is written before the Service's {@value
 * WellKnown#CLUSTER_IPS_ANNOTATION} annotation, and a claim that names the Service's uid is adopted
 * on the next pass instead of leaking.
 */
public final class ClusterIpAllocator {

  /** Candidates tried per family before giving up on a crowded range. */
  static final int MAX_ATTEMPTS = 4096;

  private final KubernetesClient client;
  private final Supplier<Collection<ClusterIPClaim>> claims;

  /**
   * @param claims the claims currently known (an informer's store); only a hint: the API server's
   *     refusal of a duplicate name is what decides
   */
  public ClusterIpAllocator(KubernetesClient client, Supplier<Collection<ClusterIPClaim>> claims) {
    this.client = requireNonNull(client, "client");
    this.claims = requireNonNull(claims, "claims");
  }

  /** The addresses a Service holds after {@link #ensure}, and what went wrong for the others. */
  public record Result(List<IpAddress> addresses, List<Problem> problems) {}

  /**
   * Makes sure {@code service} holds an address of every family it asks for in {@code network}, and
   * releases any other address it holds. Returns the addresses, primary family first.
   */
  public Result ensure(Service service, NetworkDefinition network) {
    requireNonNull(service, "service");
    requireNonNull(network, "network");
    var problems = new ArrayList<Problem>();
    String uid = requireNonNull(service.getMetadata().getUid(), "service uid");
    List<IpFamily> families = families(service, network, problems);
    Map<String, ClusterIPClaim> known = index(claims.get());

    List<IpAddress> requested = parseAnnotation(service, problems);
    List<IpAddress> result = new ArrayList<>();
    for (IpFamily family : families) {
      IpAddress want = firstOfFamily(requested, family);
      if (want == null) {
        want = adoptable(known.values(), service, network, family);
      }
      IpAddress got =
          want != null
              ? claimRequested(service, network, want, known, problems)
              : allocate(service, network, family, known, problems);
      if (got != null) {
        result.add(got);
      }
    }
    releaseOthers(service, uid, network.name(), result);
    return new Result(result, problems);
  }

  /**
   * Deletes every claim held by the Service {@code namespace/name}: it left its network or is gone.
   */
  public void releaseAll(String namespace, String name) {
    for (ClusterIPClaim c : claims.get()) {
      ClusterIPClaim.Spec s = c.getSpec();
      if (s != null && namespace.equals(s.serviceNamespace) && name.equals(s.serviceName)) {
        delete(c);
      }
    }
  }

  /** Deletes claims whose Service uid is not in {@code liveServiceUids}: leftovers of crashes. */
  public int collectOrphans(Set<String> liveServiceUids) {
    int deleted = 0;
    for (ClusterIPClaim c : claims.get()) {
      ClusterIPClaim.Spec s = c.getSpec();
      if (s == null || s.serviceUid == null || !liveServiceUids.contains(s.serviceUid)) {
        delete(c);
        deleted++;
      }
    }
    return deleted;
  }

  /**
   * {@code blue.10.96.0.10}; IPv6 fully expanded with dashes: {@code blue.fd00-0096-0000-…-000a}.
   */
  public static String claimName(String network, IpAddress address) {
    if (address.isV4()) {
      return network + "." + address;
    }
    byte[] b = address.toBytes();
    var sb = new StringBuilder(network.length() + 40).append(network).append('.');
    for (int i = 0; i < 16; i += 2) {
      if (i > 0) {
        sb.append('-');
      }
      sb.append(String.format(Locale.ROOT, "%02x%02x", b[i], b[i + 1]));
    }
    return sb.toString();
  }

  private @Nullable IpAddress claimRequested(
      Service service,
      NetworkDefinition network,
      IpAddress want,
      Map<String, ClusterIPClaim> known,
      List<Problem> problems) {
    if (!inRange(network, want)) {
      problems.add(
          problem(
              service,
              "ClusterIPOutOfRange",
              CLUSTER_IPS_ANNOTATION
                  + ": "
                  + want
                  + " (expected: a usable address within network "
                  + network.name()
                  + "'s serviceCIDRs "
                  + network.network().serviceCidrs()
                  + ")"));
      return null;
    }
    String name = claimName(network.name(), want);
    ClusterIPClaim existing = known.get(name);
    if (existing != null && ownedBy(existing, service)) {
      return want;
    }
    if (existing == null && tryCreate(service, network, want)) {
      return want;
    }
    ClusterIPClaim holder = existing != null ? existing : fetch(name);
    if (holder != null && ownedBy(holder, service)) {
      return want;
    }
    problems.add(
        problem(
            service,
            "ClusterIPAllocated",
            CLUSTER_IPS_ANNOTATION
                + ": "
                + want
                + " (expected: a free address in network "
                + network.name()
                + "; "
                + describeOwner(holder)
                + " holds it)"));
    return null;
  }

  private @Nullable IpAddress allocate(
      Service service,
      NetworkDefinition network,
      IpFamily family,
      Map<String, ClusterIPClaim> known,
      List<Problem> problems) {
    Cidr range = null;
    for (Cidr c : network.network().serviceCidrs()) {
      if (c.family() == family) {
        range = c;
        break;
      }
    }
    if (range == null) {
      return null; // families() already reported it
    }
    BigInteger size = BigInteger.ONE.shiftLeft(family.bits() - range.prefixLength());
    BigInteger base = toBig(range.address());
    // Start where the Service's uid hashes to: two controllers racing for the same Service try the
    // same address first, and one adopts the other's claim instead of taking a second address.
    String uid = requireNonNull(service.getMetadata().getUid(), "service uid");
    BigInteger offset =
        BigInteger.valueOf(uid.hashCode() & 0x7FFF_FFFFL)
            .multiply(BigInteger.valueOf(0x9E3779B1L))
            .mod(size);
    long attempts =
        Math.min(MAX_ATTEMPTS, size.min(BigInteger.valueOf(Long.MAX_VALUE)).longValueExact());
    for (long i = 0; i < attempts; i++) {
      IpAddress candidate = fromBig(base.add(offset.add(BigInteger.valueOf(i)).mod(size)), family);
      if (!inRange(network, candidate)) {
        continue;
      }
      String name = claimName(network.name(), candidate);
      ClusterIPClaim existing = known.get(name);
      if (existing != null) {
        if (ownedBy(existing, service)) {
          return candidate;
        }
        continue;
      }
      if (tryCreate(service, network, candidate)) {
        return candidate;
      }
      ClusterIPClaim winner = fetch(name);
      if (winner != null && ownedBy(winner, service)) {
        return candidate; // another replica claimed it for this very Service
      }
    }
    problems.add(
        problem(
            service,
            "ClusterIPRangeFull",
            "network "
                + network.name()
                + ": no free "
                + (family == IpFamily.IPV4 ? "IPv4" : "IPv6")
                + " address in "
                + range
                + " after "
                + attempts
                + " tries (expected: a range with room)"));
    return null;
  }

  private boolean tryCreate(Service service, NetworkDefinition network, IpAddress address) {
    var claim = new ClusterIPClaim();
    claim.getMetadata().setName(claimName(network.name(), address));
    claim.getMetadata().setLabels(Map.of("multinet.io/network", network.name()));
    var spec = new ClusterIPClaim.Spec();
    spec.network = network.name();
    spec.address = address.toString();
    spec.serviceNamespace = service.getMetadata().getNamespace();
    spec.serviceName = service.getMetadata().getName();
    spec.serviceUid = service.getMetadata().getUid();
    claim.setSpec(spec);
    try {
      client.resources(ClusterIPClaim.class).resource(claim).create();
      return true;
    } catch (KubernetesClientException e) {
      if (e.getCode() == HttpURLConnection.HTTP_CONFLICT) {
        return false;
      }
      throw e;
    }
  }

  private @Nullable ClusterIPClaim fetch(String name) {
    return client.resources(ClusterIPClaim.class).withName(name).get();
  }

  private void delete(ClusterIPClaim c) {
    client.resources(ClusterIPClaim.class).withName(c.getMetadata().getName()).delete();
  }

  private void releaseOthers(Service service, String uid, String network, List<IpAddress> keep) {
    Set<String> keepNames = new LinkedHashSet<>();
    for (IpAddress a : keep) {
      keepNames.add(claimName(network, a));
    }
    for (ClusterIPClaim c : claims.get()) {
      ClusterIPClaim.Spec s = c.getSpec();
      if (s == null
          || !service.getMetadata().getNamespace().equals(s.serviceNamespace)
          || !service.getMetadata().getName().equals(s.serviceName)) {
        continue;
      }
      if (!uid.equals(s.serviceUid) || !keepNames.contains(c.getMetadata().getName())) {
        delete(c);
      }
    }
  }

  private static @Nullable IpAddress adoptable(
      Collection<ClusterIPClaim> known,
      Service service,
      NetworkDefinition network,
      IpFamily family) {
    for (ClusterIPClaim c : known) {
      ClusterIPClaim.Spec s = c.getSpec();
      if (s != null
          && ownedBy(c, service)
          && network.name().equals(s.network)
          && s.address != null) {
        try {
          IpAddress a = IpAddress.parse(s.address);
          if (a.family() == family) {
            return a;
          }
        } catch (IllegalArgumentException e) {
          // not ours to judge: a foreign claim; fall through
        }
      }
    }
    return null;
  }

  static List<IpFamily> families(
      Service service, NetworkDefinition network, List<Problem> problems) {
    List<IpFamily> available = new ArrayList<>();
    for (Cidr c : network.network().serviceCidrs()) {
      if (!available.contains(c.family())) {
        available.add(c.family());
      }
    }
    if (available.isEmpty()) {
      return List.of();
    }
    var spec = service.getSpec();
    String policy =
        spec == null || spec.getIpFamilyPolicy() == null ? "SingleStack" : spec.getIpFamilyPolicy();
    IpFamily primary = available.getFirst();
    if (spec != null && !spec.getIpFamilies().isEmpty()) {
      IpFamily asked =
          "IPv6".equals(spec.getIpFamilies().getFirst()) ? IpFamily.IPV6 : IpFamily.IPV4;
      if (available.contains(asked)) {
        primary = asked;
      }
    }
    List<IpFamily> out = new ArrayList<>();
    out.add(primary);
    if (!policy.equals("SingleStack")) {
      for (IpFamily f : available) {
        if (f != primary) {
          out.add(f);
        }
      }
      if (policy.equals("RequireDualStack") && out.size() < 2) {
        problems.add(
            problem(
                service,
                "ClusterIPFamilyUnavailable",
                "ipFamilyPolicy: RequireDualStack (expected: network "
                    + network.name()
                    + " to have IPv4 and IPv6 serviceCIDRs; it has "
                    + network.network().serviceCidrs()
                    + ")"));
      }
    }
    return out;
  }

  private static List<IpAddress> parseAnnotation(Service service, List<Problem> problems) {
    Map<String, String> a = service.getMetadata().getAnnotations();
    String value = a == null ? null : a.get(CLUSTER_IPS_ANNOTATION);
    if (value == null || value.isBlank()) {
      return List.of();
    }
    List<IpAddress> out = new ArrayList<>();
    for (String part : value.split(",", -1)) {
      try {
        out.add(IpAddress.parse(part.trim()));
      } catch (IllegalArgumentException e) {
        problems.add(
            problem(
                service,
                "InvalidClusterIP",
                CLUSTER_IPS_ANNOTATION + ": " + String.valueOf(e.getMessage())));
      }
    }
    return out;
  }

  private static @Nullable IpAddress firstOfFamily(List<IpAddress> addresses, IpFamily family) {
    for (IpAddress a : addresses) {
      if (a.family() == family) {
        return a;
      }
    }
    return null;
  }

  /** Inside a service CIDR, and neither its network address nor (IPv4) its broadcast address. */
  static boolean inRange(NetworkDefinition network, IpAddress a) {
    for (Cidr c : network.network().serviceCidrs()) {
      if (c.contains(a)) {
        BigInteger offset = toBig(a).subtract(toBig(c.address()));
        BigInteger last =
            BigInteger.ONE.shiftLeft(c.family().bits() - c.prefixLength()).subtract(BigInteger.ONE);
        boolean v4Broadcast =
            c.family() == IpFamily.IPV4 && offset.equals(last) && c.prefixLength() < 31;
        return offset.signum() > 0 && !v4Broadcast;
      }
    }
    return false;
  }

  private static boolean ownedBy(ClusterIPClaim c, Service service) {
    ClusterIPClaim.Spec s = c.getSpec();
    return s != null
        && service.getMetadata().getUid() != null
        && service.getMetadata().getUid().equals(s.serviceUid);
  }

  private static String describeOwner(@Nullable ClusterIPClaim c) {
    ClusterIPClaim.Spec s = c == null ? null : c.getSpec();
    return s == null ? "another Service" : "Service " + s.serviceNamespace + "/" + s.serviceName;
  }

  private static Map<String, ClusterIPClaim> index(Collection<ClusterIPClaim> all) {
    var out = new java.util.HashMap<String, ClusterIPClaim>();
    for (ClusterIPClaim c : all) {
      out.put(c.getMetadata().getName(), c);
    }
    return out;
  }

  private static BigInteger toBig(IpAddress a) {
    return new BigInteger(1, a.toBytes());
  }

  private static IpAddress fromBig(BigInteger v, IpFamily family) {
    byte[] raw = v.toByteArray();
    int len = family == IpFamily.IPV4 ? 4 : 16;
    byte[] out = new byte[len];
    int copy = Math.min(raw.length, len);
    System.arraycopy(raw, raw.length - copy, out, len - copy, copy);
    return IpAddress.of(out);
  }

  private static Problem problem(Service s, String reason, String message) {
    return new Problem(
        "Service", s.getMetadata().getNamespace(), s.getMetadata().getName(), reason, message);
  }
}
