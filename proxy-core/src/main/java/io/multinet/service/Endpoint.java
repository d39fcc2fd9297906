package io.multinet.service;

import static java.util.Objects.requireNonNull;

import io.multinet.network.IpAddress;
import java.util.Comparator;
import java.util.Set;
import java.util.TreeSet;
import org.jspecify.annotations.Nullable;

/**
 * One backend of a service port, with the EndpointSlice conditions kube-proxy acts on.
 *
 * @param address the pod's address on the service's network
 * @param port the target port, 1-65535
 * @param nodeName the node the pod runs on; null when unknown (never local)
 * @param zone the node's {@code topology.kubernetes.io/zone}; null when unknown
 * @param ready the EndpointSlice {@code ready} condition
 * @param serving the {@code serving} condition (ready, ignoring termination)
 * @param terminating the {@code terminating} condition
 * @param zoneHints zones this endpoint is hinted for ({@code hints.forZones})
 * @param nodeHints nodes this endpoint is hinted for ({@code hints.forNodes})
 * @param interfaceName the pod's interface on this network (from network-status); null for the
 *     default network
 */
public record Endpoint(
    IpAddress address,
    int port,
    @Nullable String nodeName,
    @Nullable String zone,
    boolean ready,
    boolean serving,
    boolean terminating,
    Set<String> zoneHints,
    Set<String> nodeHints,
    @Nullable String interfaceName)
    implements Comparable<Endpoint> {

  private static final Comparator<Endpoint> ORDER =
      Comparator.comparing(Endpoint::address).thenComparingInt(Endpoint::port);

  public Endpoint {
    requireNonNull(address, "address");
    ServicePortKey.checkPort("port", port);
    // Sorted copies keep equals() and toString() independent of the order the API gave.
    zoneHints = Set.copyOf(new TreeSet<>(requireNonNull(zoneHints, "zoneHints")));
    nodeHints = Set.copyOf(new TreeSet<>(requireNonNull(nodeHints, "nodeHints")));
  }

  /**
   * A ready, serving, non-terminating endpoint with no node, zone or hints; refine with the
   * builder.
   */
  public static Builder builder(IpAddress address, int port) {
    return new Builder(address, port);
  }

  public static Builder builder(String address, int port) {
    return new Builder(IpAddress.parse(address), port);
  }

  /** Whether this endpoint runs on {@code node}, as kube-proxy's IsLocal decides it. */
  public boolean isLocalTo(String node) {
    return nodeName != null && nodeName.equals(node);
  }

  /** Orders by address, then port: the order tables and diffs rely on. */
  @Override
  public int compareTo(Endpoint o) {
    return ORDER.compare(this, o);
  }

  /** {@code address:port}, with brackets for IPv6. */
  public String hostPort() {
    return (address.isV4() ? address.toString() : "[" + address + "]") + ":" + port;
  }

  /** Builds {@link Endpoint}s; starts ready, serving and not terminating. */
  public static final class Builder {
    private final IpAddress address;
    private final int port;
    private @Nullable String nodeName;
    private @Nullable String zone;
    private boolean ready = true;
    private boolean serving = true;
    private boolean terminating;
    private Set<String> zoneHints = Set.of();
    private Set<String> nodeHints = Set.of();
    private @Nullable String interfaceName;

    private Builder(IpAddress address, int port) {
      this.address = requireNonNull(address, "address");
      this.port = port;
    }

    public Builder node(@Nullable String nodeName) {
      this.nodeName = nodeName;
      return this;
    }

    public Builder zone(@Nullable String zone) {
      this.zone = zone;
      return this;
    }

    /** Sets the three EndpointSlice conditions at once. */
    public Builder conditions(boolean ready, boolean serving, boolean terminating) {
      this.ready = ready;
      this.serving = serving;
      this.terminating = terminating;
      return this;
    }

    public Builder zoneHints(String... zones) {
      this.zoneHints = Set.of(zones);
      return this;
    }

    public Builder nodeHints(String... nodes) {
      this.nodeHints = Set.of(nodes);
      return this;
    }

    public Builder interfaceName(@Nullable String interfaceName) {
      this.interfaceName = interfaceName;
      return this;
    }

    public Endpoint build() {
      return new Endpoint(
          address,
          port,
          nodeName,
          zone,
          ready,
          serving,
          terminating,
          zoneHints,
          nodeHints,
          interfaceName);
    }
  }
}
