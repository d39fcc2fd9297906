package io.multinet.watcher.ipam;

import static io.multinet.kube.WellKnown.CLUSTER_IPS_ANNOTATION;
import static java.util.Objects.requireNonNull;

import io.fabric8.kubernetes.api.model.OwnerReferenceBuilder;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.multinet.kube.Problem;
import io.multinet.kube.WellKnown;
import io.multinet.kube.crd.ClusterIPClaim;
import io.multinet.kube.crd.NetworkResource;
import io.multinet.kube.network.NetworkDefinition;
import io.multinet.kube.network.NetworkDns;
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
import java.util.Objects;
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
 *
 * <p>A Network's DNS addresses are claims of the same kind, held by the Network ({@code holder:
 * Network}, its uid, and an owner reference to it): a Service can neither be given one nor request
 * one, and the Network keeps its address across restarts and failovers by adopting its claim.
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
   * What holds a claim: a Service, or a Network's DNS service.
   *
   * @param field how a problem names the addresses asked for
   * @param seed where the search for a free address starts (hashed)
   */
  private record Holder(
      String kind, String namespace, String name, String uid, String field, String seed) {

    static Holder of(Service s) {
      String uid = requireNonNull(s.getMetadata().getUid(), "service uid");
      return new Holder(
          "Service",
          s.getMetadata().getNamespace(),
          s.getMetadata().getName(),
          uid,
          CLUSTER_IPS_ANNOTATION,
          uid);
    }

    static Holder of(NetworkResource n) {
      String uid = requireNonNull(n.getMetadata().getUid(), "network uid");
      return new Holder(
          "Network", "", n.getMetadata().getName(), uid, "dns.clusterIPs", "dns/" + uid);
    }

    boolean network() {
      return kind.equals("Network");
    }

    boolean owns(ClusterIPClaim c) {
      ClusterIPClaim.Spec s = c.getSpec();
      if (s == null) {
        return false;
      }
      return network()
          ? s.heldByNetwork() && name.equals(s.network) && uid.equals(s.networkUid)
          : !s.heldByNetwork() && uid.equals(s.serviceUid);
    }

    void fill(ClusterIPClaim.Spec spec) {
      if (network()) {
        spec.holder = ClusterIPClaim.NETWORK_HOLDER;
        spec.networkUid = uid;
      } else {
        spec.serviceNamespace = namespace;
        spec.serviceName = name;
        spec.serviceUid = uid;
      }
    }

    Problem problem(String reason, String message) {
      return new Problem(kind, namespace, name, reason, message);
    }
  }

  /**
   * Makes sure {@code service} holds an address of every family it asks for in {@code network}, and
   * releases any other address it holds. Returns the addresses, primary family first.
   */
  public Result ensure(Service service, NetworkDefinition network) {
    requireNonNull(service, "service");
    requireNonNull(network, "network");
    var problems = new ArrayList<Problem>();
    Holder holder = Holder.of(service);
    List<IpFamily> families = families(service, network, problems);
    Map<String, ClusterIPClaim> known = index(claims.get());

    List<IpAddress> requested = parseAnnotation(service, problems);
    List<IpAddress> result = new ArrayList<>();
    for (IpFamily family : families) {
      IpAddress want = firstOfFamily(requested, family);
      if (want == null) {
        want = adoptable(known.values(), holder, network, family);
      }
      IpAddress got =
          want != null
              ? claimRequested(holder, network, want, known, problems)
              : allocate(holder, network, family, known, problems);
      if (got != null) {
        result.add(got);
      }
    }
    releaseOthers(service, holder.uid(), network.name(), result);
    return new Result(result, problems);
  }

  /**
   * Makes sure Network {@code resource} ({@code network} in the catalog) holds its DNS addresses:
   * the requested ones ({@code spec.dns.clusterIPs}), else one per family of its service CIDRs,
   * keeping the one it holds or last had ({@code previous}, its {@code status.dns.clusterIPs}) so
   * that the address survives restarts, failovers and lost claims. Releases every other DNS claim
   * of the network. A requested address another holder has stays theirs and is reported.
   */
  public Result ensureDns(
      NetworkResource resource, NetworkDefinition network, List<IpAddress> previous) {
    requireNonNull(resource, "resource");
    requireNonNull(network, "network");
    requireNonNull(previous, "previous");
    NetworkDns dns = requireNonNull(network.dns(), "network.dns");
    Holder holder = Holder.of(resource);
    var problems = new ArrayList<Problem>();
    Map<String, ClusterIPClaim> known = index(claims.get());
    List<IpAddress> result = new ArrayList<>();
    if (!dns.requested().isEmpty()) {
      for (IpAddress want : dns.requested()) {
        IpAddress got = claimRequested(holder, network, want, known, problems);
        if (got != null) {
          result.add(got);
        }
      }
    } else {
      for (IpFamily family : serviceFamilies(network)) {
        IpAddress got = adoptable(known.values(), holder, network, family);
        if (got == null) {
          IpAddress last = firstOfFamily(previous, family);
          if (last != null && inRange(network, last)) {
            got = claimRequested(holder, network, last, known, new ArrayList<>());
          }
        }
        if (got == null) {
          got = allocate(holder, network, family, known, problems);
        }
        if (got != null) {
          result.add(got);
        }
      }
    }
    releaseDnsOthers(holder, result);
    return new Result(result, problems);
  }

  /**
   * Deletes the DNS claims of every network not named in {@code keep} with the uid given there: a
   * deleted Network (or an older one of the same name), or one without service CIDRs.
   */
  public int releaseDnsExcept(Map<String, String> keep) {
    requireNonNull(keep, "keep");
    int deleted = 0;
    for (ClusterIPClaim c : claims.get()) {
      ClusterIPClaim.Spec s = c.getSpec();
      if (s != null
          && s.heldByNetwork()
          && (s.network == null || !Objects.equals(keep.get(s.network), s.networkUid))) {
        delete(c);
        deleted++;
      }
    }
    return deleted;
  }

  /**
   * Deletes every claim held by the Service {@code namespace/name}: it left its network or is gone.
   */
  public void releaseAll(String namespace, String name) {
    for (ClusterIPClaim c : claims.get()) {
      ClusterIPClaim.Spec s = c.getSpec();
      if (s != null
          && !s.heldByNetwork()
          && namespace.equals(s.serviceNamespace)
          && name.equals(s.serviceName)) {
        delete(c);
      }
    }
  }

  /**
   * Deletes claims whose Service uid is not in {@code liveServiceUids}: leftovers of crashes.
   * Networks' DNS claims are {@link #releaseDnsExcept}'s.
   */
  public int collectOrphans(Set<String> liveServiceUids) {
    int deleted = 0;
    for (ClusterIPClaim c : claims.get()) {
      ClusterIPClaim.Spec s = c.getSpec();
      if (s != null && s.heldByNetwork()) {
        continue;
      }
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
      Holder holder,
      NetworkDefinition network,
      IpAddress want,
      Map<String, ClusterIPClaim> known,
      List<Problem> problems) {
    if (!inRange(network, want)) {
      problems.add(
          holder.problem(
              "ClusterIPOutOfRange",
              holder.field()
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
    if (existing != null && holder.owns(existing)) {
      return want;
    }
    if (existing == null && tryCreate(holder, network, want)) {
      return want;
    }
    ClusterIPClaim other = existing != null ? existing : fetch(name);
    if (other != null && holder.owns(other)) {
      return want;
    }
    problems.add(
        holder.problem(
            "ClusterIPAllocated",
            holder.field()
                + ": "
                + want
                + " (expected: a free address in network "
                + network.name()
                + "; "
                + describeOwner(other)
                + " holds it)"));
    return null;
  }

  private @Nullable IpAddress allocate(
      Holder holder,
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
    BigInteger offset =
        BigInteger.valueOf(holder.seed().hashCode() & 0x7FFF_FFFFL)
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
        if (holder.owns(existing)) {
          return candidate;
        }
        continue;
      }
      if (tryCreate(holder, network, candidate)) {
        return candidate;
      }
      ClusterIPClaim winner = fetch(name);
      if (winner != null && holder.owns(winner)) {
        return candidate; // another replica claimed it for this very holder
      }
    }
    problems.add(
        holder.problem(
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

  private boolean tryCreate(Holder holder, NetworkDefinition network, IpAddress address) {
    var claim = new ClusterIPClaim();
    claim.getMetadata().setName(claimName(network.name(), address));
    claim.getMetadata().setLabels(Map.of("multinet.io/network", network.name()));
    if (holder.network()) {
      // Kubernetes' garbage collector removes it with its Network, even without a controller.
      claim
          .getMetadata()
          .setOwnerReferences(
              List.of(
                  new OwnerReferenceBuilder()
                      .withApiVersion("multinet.io/v1alpha1")
                      .withKind("Network")
                      .withName(holder.name())
                      .withUid(holder.uid())
                      .build()));
    }
    var spec = new ClusterIPClaim.Spec();
    spec.network = network.name();
    spec.address = address.toString();
    holder.fill(spec);
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
          || s.heldByNetwork()
          || !service.getMetadata().getNamespace().equals(s.serviceNamespace)
          || !service.getMetadata().getName().equals(s.serviceName)) {
        continue;
      }
      if (!uid.equals(s.serviceUid) || !keepNames.contains(c.getMetadata().getName())) {
        delete(c);
      }
    }
  }

  /** Deletes the network's DNS claims other than {@code keep}'s. */
  private void releaseDnsOthers(Holder holder, List<IpAddress> keep) {
    Set<String> keepNames = new LinkedHashSet<>();
    for (IpAddress a : keep) {
      keepNames.add(claimName(holder.name(), a));
    }
    for (ClusterIPClaim c : claims.get()) {
      ClusterIPClaim.Spec s = c.getSpec();
      if (s != null
          && s.heldByNetwork()
          && holder.name().equals(s.network)
          && !(holder.owns(c) && keepNames.contains(c.getMetadata().getName()))) {
        delete(c);
      }
    }
  }

  private static @Nullable IpAddress adoptable(
      Collection<ClusterIPClaim> known, Holder holder, NetworkDefinition network, IpFamily family) {
    for (ClusterIPClaim c : known) {
      ClusterIPClaim.Spec s = c.getSpec();
      if (s != null && holder.owns(c) && network.name().equals(s.network) && s.address != null) {
        try {
          IpAddress a = IpAddress.parse(s.address);
          if (a.family() == family && inRange(network, a)) {
            return a;
          }
        } catch (IllegalArgumentException e) {
          // not ours to judge: a foreign claim; fall through
        }
      }
    }
    return null;
  }

  private static List<IpFamily> serviceFamilies(NetworkDefinition network) {
    List<IpFamily> out = new ArrayList<>();
    for (Cidr c : network.network().serviceCidrs()) {
      if (!out.contains(c.family())) {
        out.add(c.family());
      }
    }
    return out;
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

  private static String describeOwner(@Nullable ClusterIPClaim c) {
    ClusterIPClaim.Spec s = c == null ? null : c.getSpec();
    if (s == null) {
      return "another Service";
    }
    return s.heldByNetwork()
        ? "network " + s.network + "'s DNS service"
        : "Service " + s.serviceNamespace + "/" + s.serviceName;
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
