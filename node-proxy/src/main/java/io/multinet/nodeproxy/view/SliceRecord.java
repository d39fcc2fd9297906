package io.multinet.nodeproxy.view;

import static java.util.Objects.requireNonNull;

import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.api.model.discovery.v1.Endpoint;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointConditions;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointHints;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointPort;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.fabric8.kubernetes.api.model.discovery.v1.ForNode;
import io.fabric8.kubernetes.api.model.discovery.v1.ForZone;
import io.multinet.kube.Interner;
import io.multinet.kube.WellKnown;
import io.multinet.network.IpAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import org.jspecify.annotations.Nullable;

/**
 * What the node proxy keeps of an EndpointSlice: only what a sync, the DNS records and the metrics
 * read, with addresses parsed and the interfaces annotation resolved per endpoint as the slice is
 * stored. A fabric8 EndpointSlice is four or five objects per endpoint (the endpoint, its
 * conditions, address list, hints, target reference) and their empty maps; this is one per endpoint
 * and the address, with the strings that repeat (namespaces, node and zone names, network and port
 * names) and whole port lists shared.
 *
 * @param namespace metadata.namespace
 * @param name metadata.name
 * @param resourceVersion metadata.resourceVersion, which the informer compares; null when unset
 * @param service the {@code kubernetes.io/service-name} label; null when the slice names none
 * @param ours the slice is managed by this project's controller
 * @param network the {@code multinet.io/network} label; null for the default network
 * @param addressType IPv4, IPv6 or FQDN
 * @param ports the slice's ports
 * @param endpoints the slice's endpoints
 * @param triggerTime the {@code endpoints.kubernetes.io/last-change-trigger-time} annotation
 */
public record SliceRecord(
    String namespace,
    String name,
    @Nullable String resourceVersion,
    @Nullable String service,
    boolean ours,
    @Nullable String network,
    @Nullable String addressType,
    List<Port> ports,
    List<EndpointRecord> endpoints,
    @Nullable String triggerTime) {

  public static final String TRIGGER_TIME = "endpoints.kubernetes.io/last-change-trigger-time";

  /** One port of a slice, as written (a null port or name stays null). */
  public record Port(@Nullable String name, @Nullable String protocol, @Nullable Integer port) {}

  /**
   * One endpoint, with Kubernetes' defaults applied to its conditions (a nil ready is ready, a nil
   * serving is the same as ready, a nil terminating is not terminating).
   *
   * @param address the first address, parsed; null when it does not parse or there is none
   * @param more the other addresses that parse, in order (mostly none: one list shared by all)
   * @param firstInvalid why the first address does not parse (a sync reports it); null when it does
   *     or there is none
   * @param interfaceName the pod's interface for the first address, from the slice's {@code
   *     multinet.io/interfaces} annotation; null when it names none
   */
  public record EndpointRecord(
      @Nullable IpAddress address,
      List<IpAddress> more,
      @Nullable String firstInvalid,
      boolean ready,
      boolean serving,
      boolean terminating,
      @Nullable String nodeName,
      @Nullable String zone,
      @Nullable String hostname,
      List<String> zoneHints,
      List<String> nodeHints,
      @Nullable String interfaceName) {

    public EndpointRecord {
      more = List.copyOf(requireNonNull(more, "more"));
      zoneHints = List.copyOf(requireNonNull(zoneHints, "zoneHints"));
      nodeHints = List.copyOf(requireNonNull(nodeHints, "nodeHints"));
    }

    /** Every address that parses, in order. */
    public List<IpAddress> addresses() {
      if (address == null) {
        return more;
      }
      if (more.isEmpty()) {
        return List.of(address);
      }
      var all = new ArrayList<IpAddress>(more.size() + 1);
      all.add(address);
      all.addAll(more);
      return all;
    }
  }

  private static final int MAX_SHARED = 100_000;

  /** Strings shared by every record: bounded, so unique values cannot grow it without limit. */
  private static final Interner STRINGS = new Interner(MAX_SHARED);

  /** Port lists repeat on most slices of a cluster (http/TCP/8080): one instance each. */
  private static final Map<List<Port>, List<Port>> PORTS = new ConcurrentHashMap<>();

  public SliceRecord {
    requireNonNull(namespace, "namespace");
    requireNonNull(name, "name");
    ports = List.copyOf(requireNonNull(ports, "ports"));
    endpoints = List.copyOf(requireNonNull(endpoints, "endpoints"));
  }

  /** The {@code namespace/name} of the Service the slice names, or null when it names none. */
  public @Nullable String serviceKey() {
    return service == null ? null : namespace + "/" + service;
  }

  /** The record of {@code slice}, with its strings interned. */
  public static SliceRecord of(EndpointSlice slice) {
    requireNonNull(slice, "slice");
    ObjectMeta m = requireNonNull(slice.getMetadata(), "metadata");
    Map<String, String> labels = Objects.requireNonNullElse(m.getLabels(), Map.of());
    Map<String, String> annotations = Objects.requireNonNullElse(m.getAnnotations(), Map.of());
    Map<String, String> interfaces = WellKnown.interfaces(slice);
    List<EndpointRecord> endpoints = new ArrayList<>();
    for (Endpoint e : Objects.requireNonNullElse(slice.getEndpoints(), List.<Endpoint>of())) {
      endpoints.add(endpoint(e, interfaces));
    }
    return new SliceRecord(
        STRINGS.internNonNull(requireNonNull(m.getNamespace(), "namespace")),
        requireNonNull(m.getName(), "name"),
        m.getResourceVersion(),
        STRINGS.intern(labels.get(WellKnown.SERVICE_NAME_LABEL)),
        WellKnown.MANAGED_BY.equals(labels.get(WellKnown.MANAGED_BY_LABEL)),
        STRINGS.intern(labels.get(WellKnown.NETWORK_LABEL)),
        STRINGS.intern(slice.getAddressType()),
        ports(slice.getPorts()),
        endpoints,
        annotations.get(TRIGGER_TIME));
  }

  private static EndpointRecord endpoint(Endpoint e, Map<String, String> interfaces) {
    List<String> raw = Objects.requireNonNullElse(e.getAddresses(), List.of());
    IpAddress first = null;
    List<IpAddress> more = new ArrayList<>(Math.max(0, raw.size() - 1));
    String firstInvalid = null;
    for (int i = 0; i < raw.size(); i++) {
      try {
        IpAddress a = IpAddress.parse(raw.get(i));
        if (i == 0) {
          first = a;
        } else {
          more.add(a);
        }
      } catch (IllegalArgumentException ex) {
        if (i == 0) {
          firstInvalid = String.valueOf(ex.getMessage());
        }
      }
    }
    String interfaceName = null;
    if (first != null && !interfaces.isEmpty()) {
      interfaceName = STRINGS.intern(interfaces.get(first.toString()));
    }
    EndpointConditions c = e.getConditions();
    boolean ready = c == null || c.getReady() == null || c.getReady();
    boolean serving = (c == null || c.getServing() == null) ? ready : c.getServing();
    boolean terminating = c != null && Boolean.TRUE.equals(c.getTerminating());
    EndpointHints hints = e.getHints();
    List<String> zoneHints = List.of();
    List<String> nodeHints = List.of();
    if (hints != null) {
      zoneHints =
          STRINGS.internAll(
              Objects.requireNonNullElse(hints.getForZones(), List.<ForZone>of()).stream()
                  .map(ForZone::getName)
                  .filter(Objects::nonNull)
                  .toList());
      nodeHints =
          STRINGS.internAll(
              Objects.requireNonNullElse(hints.getForNodes(), List.<ForNode>of()).stream()
                  .map(ForNode::getName)
                  .filter(Objects::nonNull)
                  .toList());
    }
    return new EndpointRecord(
        first,
        more,
        firstInvalid,
        ready,
        serving,
        terminating,
        STRINGS.intern(e.getNodeName()),
        STRINGS.intern(e.getZone()),
        e.getHostname(),
        zoneHints,
        nodeHints,
        interfaceName);
  }

  private static List<Port> ports(@Nullable List<EndpointPort> ports) {
    if (ports == null || ports.isEmpty()) {
      return List.of();
    }
    List<Port> out = new ArrayList<>(ports.size());
    for (EndpointPort p : ports) {
      out.add(new Port(STRINGS.intern(p.getName()), STRINGS.intern(p.getProtocol()), p.getPort()));
    }
    List<Port> copy = List.copyOf(out);
    if (PORTS.size() >= MAX_SHARED) {
      return copy;
    }
    List<Port> known = PORTS.putIfAbsent(copy, copy);
    return known == null ? copy : known;
  }
}
