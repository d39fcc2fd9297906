package io.multinet.table;

import static java.util.Objects.requireNonNull;

import io.multinet.service.Endpoint;
import io.multinet.service.LoadBalancing;
import io.multinet.service.ServicePort;
import io.multinet.service.ServicePortKey;
import java.util.Arrays;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * What a lookup finds: the backends this node uses for one address of one service port, and how it
 * picks among them. Immutable; {@link #select} allocates nothing and takes no lock.
 */
public final class ServiceEntry {

  private final ServicePortKey key;
  private final ServicePort servicePort;
  private final boolean external;
  private final Endpoint[] backends;
  private final char @Nullable [] maglev;
  private final boolean hasAnyEndpoints;

  ServiceEntry(
      ServicePortKey key,
      ServicePort servicePort,
      boolean external,
      List<Endpoint> backends,
      boolean hasAnyEndpoints,
      int previousMaglevSize) {
    this.key = requireNonNull(key, "key");
    this.servicePort = requireNonNull(servicePort, "servicePort");
    this.external = external;
    this.backends = requireNonNull(backends, "backends").toArray(new Endpoint[0]);
    this.maglev =
        servicePort.policy().loadBalancing() == LoadBalancing.MAGLEV && !backends.isEmpty()
            ? Maglev.build(backends, Maglev.tableSize(backends.size(), previousMaglevSize))
            : null;
    this.hasAnyEndpoints = hasAnyEndpoints;
  }

  /** The key this entry was found under: the cluster IP's, or an external address's. */
  public ServicePortKey key() {
    return key;
  }

  public ServicePort servicePort() {
    return servicePort;
  }

  /** Whether this entry serves an external or load-balancer address (external traffic policy). */
  public boolean isExternal() {
    return external;
  }

  public int backendCount() {
    return backends.length;
  }

  public Endpoint backend(int index) {
    return backends[index];
  }

  public List<Endpoint> backends() {
    return List.of(backends);
  }

  /**
   * Whether the service has usable endpoints anywhere. With no backends here, this tells a
   * dataplane to reject (none anywhere) or drop (a Local policy with none on this node), as
   * kube-proxy does.
   */
  public boolean hasAnyEndpoints() {
    return hasAnyEndpoints;
  }

  /** The Maglev table size, or 0 for random selection. */
  public int maglevTableSize() {
    char[] m = maglev;
    return m == null ? 0 : m.length;
  }

  /**
   * The backend for a flow, or null when this node has none to offer. With Maglev and {@code
   * flowHash} from {@link FlowHash#of}, this is the kernel dataplane's pick: slot {@code
   * reciprocal_scale(hash, M)} of the same table, which the kernel builds from the same sorted
   * backends and size. With random selection any hash gives a uniform pick; the kernel draws its
   * own ({@code numgen random}), and under ClientIP affinity it records its first pick per client.
   */
  public @Nullable Endpoint select(int flowHash) {
    Endpoint[] b = backends;
    if (b.length == 0) {
      return null;
    }
    char[] m = maglev;
    if (m == null) {
      return b[Hashing.range(flowHash, b.length)];
    }
    return b[m[Hashing.range(flowHash, m.length)]];
  }

  /** Same backends, same policy, same service: what a dataplane would program identically. */
  @SuppressWarnings("ReferenceEquality") // identity first: reused entries skip the deep compare
  boolean sameAs(ServiceEntry o) {
    return this == o
        || (external == o.external
            && hasAnyEndpoints == o.hasAnyEndpoints
            && key.equals(o.key)
            && servicePort.equals(o.servicePort)
            && Arrays.equals(backends, o.backends));
  }

  @Override
  public String toString() {
    return key + " " + servicePort.name() + (external ? " external" : "") + " -> " + backends();
  }
}
