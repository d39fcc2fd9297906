package io.multinet.watcher.slice;

import static io.multinet.kube.WellKnown.INTERFACES;
import static io.multinet.kube.WellKnown.MANAGED_BY;
import static io.multinet.kube.WellKnown.MANAGED_BY_LABEL;
import static io.multinet.kube.WellKnown.NETWORK_LABEL;
import static io.multinet.kube.WellKnown.SERVICE_NAME_LABEL;
import static io.multinet.kube.WellKnown.interfaces;
import static java.util.Objects.requireNonNull;

import io.fabric8.kubernetes.api.model.ObjectReferenceBuilder;
import io.fabric8.kubernetes.api.model.OwnerReferenceBuilder;
import io.fabric8.kubernetes.api.model.discovery.v1.Endpoint;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointBuilder;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointPort;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointPortBuilder;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSliceBuilder;
import io.fabric8.kubernetes.api.model.discovery.v1.ForZone;
import io.multinet.network.IpAddress;
import io.multinet.network.IpFamily;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.TreeSet;
import org.jspecify.annotations.Nullable;
import tools.jackson.databind.ObjectMapper;

/**
 * Plans the EndpointSlice writes that take a Service's slices on one network from what exists to
 * what is desired, with minimal churn, as Kubernetes' EndpointSlice reconciler does: an endpoint
 * stays in the slice that holds it, an unchanged slice is never written, new endpoints fill slices
 * that are being written anyway before untouched ones, and only then new slices. So a one-pod
 * change rewrites one slice.
 */
public final class SlicePlanner {

  public static final String TRIGGER_TIME = "endpoints.kubernetes.io/last-change-trigger-time";

  public static final int MAX_ENDPOINTS_PER_SLICE = 100;

  private static final ObjectMapper JSON = new ObjectMapper();

  private SlicePlanner() {}

  /** The Service the slices belong to. */
  public record Owner(String namespace, String name, String uid) {
    public Owner {
      requireNonNull(namespace, "namespace");
      requireNonNull(name, "name");
      requireNonNull(uid, "uid");
    }
  }

  /** Writes to make; an empty plan means the slices already match. */
  public record Plan(
      List<EndpointSlice> creates, List<EndpointSlice> updates, List<EndpointSlice> deletes) {
    public boolean isEmpty() {
      return creates.isEmpty() && updates.isEmpty() && deletes.isEmpty();
    }

    public int writes() {
      return creates.size() + updates.size() + deletes.size();
    }
  }

  /**
   * Plans the writes.
   *
   * @param existing the slices this controller manages for this Service (any network)
   * @param triggerTime RFC 3339 time of the change that caused this, for written slices
   */
  public static Plan plan(
      Owner owner,
      String network,
      List<DesiredEndpoint> desired,
      List<EndpointSlice> existing,
      String triggerTime) {
    return plan(owner, network, desired, existing, triggerTime, MAX_ENDPOINTS_PER_SLICE);
  }

  static Plan plan(
      Owner owner,
      String network,
      List<DesiredEndpoint> desired,
      List<EndpointSlice> existing,
      String triggerTime,
      int maxPerSlice) {
    // Group desired endpoints by (family, resolved ports): one set of slices per group.
    Map<GroupKey, Map<IpAddress, DesiredEndpoint>> groups = new TreeMap<>();
    for (DesiredEndpoint d : desired) {
      var key = new GroupKey(d.address().family(), d.ports());
      groups.computeIfAbsent(key, k -> new TreeMap<>()).put(d.address(), d);
    }
    Map<GroupKey, List<EndpointSlice>> existingByGroup = new HashMap<>();
    var deletes = new ArrayList<EndpointSlice>();
    var sortedExisting = new ArrayList<>(existing);
    sortedExisting.sort(Comparator.comparing(s -> s.getMetadata().getName()));
    for (EndpointSlice s : sortedExisting) {
      GroupKey key = groupOf(s);
      if (key == null || !network.equals(label(s, NETWORK_LABEL)) || !groups.containsKey(key)) {
        deletes.add(s);
      } else {
        existingByGroup.computeIfAbsent(key, k -> new ArrayList<>()).add(s);
      }
    }

    var creates = new ArrayList<EndpointSlice>();
    var updates = new ArrayList<EndpointSlice>();
    for (Map.Entry<GroupKey, Map<IpAddress, DesiredEndpoint>> g : groups.entrySet()) {
      Map<IpAddress, DesiredEndpoint> remaining = new LinkedHashMap<>(g.getValue());
      List<Slot> slots = new ArrayList<>();
      for (EndpointSlice s : existingByGroup.getOrDefault(g.getKey(), List.of())) {
        Map<String, String> interfaces = interfaces(s);
        var keep = new ArrayList<DesiredEndpoint>();
        boolean changed = !metadataMatches(s, owner, network);
        for (Endpoint e : s.getEndpoints()) {
          IpAddress a = address(e);
          DesiredEndpoint d = a == null ? null : remaining.remove(a);
          if (d == null) {
            changed = true;
          } else {
            keep.add(d);
            changed |= !view(d).equals(view(e, interfaces));
          }
        }
        slots.add(new Slot(s, keep, changed));
      }
      // Fill slices being written anyway first, then untouched ones, then new slices.
      for (boolean pass : new boolean[] {true, false}) {
        for (Slot slot : slots) {
          if (slot.changed == pass) {
            while (slot.keep.size() < maxPerSlice && !remaining.isEmpty()) {
              var first = remaining.entrySet().iterator().next();
              slot.keep.add(first.getValue());
              remaining.remove(first.getKey());
              slot.changed = true;
            }
          }
        }
      }
      for (Slot slot : slots) {
        if (!slot.changed) {
          continue;
        }
        if (slot.keep.isEmpty()) {
          deletes.add(slot.slice);
        } else {
          updates.add(render(slot.slice, owner, network, g.getKey(), slot.keep, triggerTime));
        }
      }
      var rest = new ArrayList<>(remaining.values());
      for (int i = 0; i < rest.size(); i += maxPerSlice) {
        List<DesiredEndpoint> chunk = rest.subList(i, Math.min(rest.size(), i + maxPerSlice));
        creates.add(render(null, owner, network, g.getKey(), chunk, triggerTime));
      }
    }
    return new Plan(creates, updates, deletes);
  }

  private static EndpointSlice render(
      @Nullable EndpointSlice base,
      Owner owner,
      String network,
      GroupKey group,
      List<DesiredEndpoint> endpoints,
      String triggerTime) {
    var sorted = new ArrayList<>(endpoints);
    sorted.sort(Comparator.comparing(DesiredEndpoint::address));
    var interfaces = new TreeMap<String, String>();
    var eps = new ArrayList<Endpoint>(sorted.size());
    for (DesiredEndpoint d : sorted) {
      String iface = d.interfaceName();
      if (iface != null) {
        interfaces.put(d.address().toString(), iface);
      }
      var b =
          new EndpointBuilder()
              .withAddresses(d.address().toString())
              .withNewConditions()
              .withReady(d.ready())
              .withServing(d.serving())
              .withTerminating(d.terminating())
              .endConditions()
              .withNodeName(d.nodeName())
              .withZone(d.zone())
              .withHostname(d.hostname())
              .withTargetRef(
                  new ObjectReferenceBuilder()
                      .withKind("Pod")
                      .withNamespace(d.podNamespace())
                      .withName(d.podName())
                      .withUid(d.podUid())
                      .build());
      if (!d.zoneHints().isEmpty()) {
        var zones = new ArrayList<ForZone>();
        for (String z : new TreeSet<>(d.zoneHints())) {
          zones.add(new ForZone(z));
        }
        b.withNewHints().withForZones(zones).endHints();
      }
      eps.add(b.build());
    }
    List<EndpointPort> ports = new ArrayList<>();
    for (PortRef p : group.ports()) {
      ports.add(
          new EndpointPortBuilder()
              .withName(p.name())
              .withProtocol(p.protocol())
              .withPort(p.port())
              .build());
    }
    var labels = new TreeMap<String, String>();
    var annotations = new TreeMap<String, String>();
    if (base != null) {
      labels.putAll(orEmpty(base.getMetadata().getLabels()));
      annotations.putAll(orEmpty(base.getMetadata().getAnnotations()));
    }
    labels.put(SERVICE_NAME_LABEL, owner.name());
    labels.put(MANAGED_BY_LABEL, MANAGED_BY);
    labels.put(NETWORK_LABEL, network);
    annotations.put(TRIGGER_TIME, triggerTime);
    if (interfaces.isEmpty()) {
      annotations.remove(INTERFACES);
    } else {
      annotations.put(INTERFACES, toJson(interfaces));
    }
    var meta =
        new EndpointSliceBuilder()
            .withNewMetadata()
            .withNamespace(owner.namespace())
            .withLabels(labels)
            .withAnnotations(annotations)
            .withOwnerReferences(
                new OwnerReferenceBuilder()
                    .withApiVersion("v1")
                    .withKind("Service")
                    .withName(owner.name())
                    .withUid(owner.uid())
                    .withController(true)
                    .withBlockOwnerDeletion(true)
                    .build());
    if (base == null) {
      meta.withGenerateName(owner.name() + "-" + network + "-");
    } else {
      meta.withName(base.getMetadata().getName())
          .withResourceVersion(base.getMetadata().getResourceVersion());
    }
    return meta.endMetadata()
        .withAddressType(group.family() == IpFamily.IPV4 ? "IPv4" : "IPv6")
        .withEndpoints(eps)
        .withPorts(ports)
        .build();
  }

  private static boolean metadataMatches(EndpointSlice s, Owner owner, String network) {
    Map<String, String> labels = orEmpty(s.getMetadata().getLabels());
    return owner.name().equals(labels.get(SERVICE_NAME_LABEL))
        && MANAGED_BY.equals(labels.get(MANAGED_BY_LABEL))
        && network.equals(labels.get(NETWORK_LABEL))
        && s.getMetadata().getOwnerReferences().stream()
            .anyMatch(r -> owner.uid().equals(r.getUid()));
  }

  /** The group a slice serves, or null when it is not one this planner would write. */
  private static @Nullable GroupKey groupOf(EndpointSlice s) {
    IpFamily family =
        switch (Objects.requireNonNullElse(s.getAddressType(), "")) {
          case "IPv4" -> IpFamily.IPV4;
          case "IPv6" -> IpFamily.IPV6;
          default -> null;
        };
    if (family == null) {
      return null;
    }
    var ports = new ArrayList<PortRef>();
    for (EndpointPort p : s.getPorts()) {
      if (p.getPort() == null) {
        return null;
      }
      ports.add(
          new PortRef(
              Objects.requireNonNullElse(p.getName(), ""),
              Objects.requireNonNullElse(p.getProtocol(), "TCP"),
              p.getPort()));
    }
    ports.sort(null);
    return new GroupKey(family, ports);
  }

  private static @Nullable IpAddress address(Endpoint e) {
    if (e.getAddresses().size() != 1) {
      return null;
    }
    try {
      return IpAddress.parse(e.getAddresses().getFirst());
    } catch (IllegalArgumentException ex) {
      return null;
    }
  }

  /** What decides whether a written endpoint matches the desired one. */
  private record View(
      String address,
      boolean ready,
      boolean serving,
      boolean terminating,
      @Nullable String node,
      @Nullable String zone,
      List<String> hints,
      @Nullable String pod,
      @Nullable String iface,
      @Nullable String hostname) {}

  private static View view(DesiredEndpoint d) {
    return new View(
        d.address().toString(),
        d.ready(),
        d.serving(),
        d.terminating(),
        d.nodeName(),
        d.zone(),
        List.copyOf(new TreeSet<>(d.zoneHints())),
        d.podNamespace() + "/" + d.podName() + "/" + d.podUid(),
        d.interfaceName(),
        d.hostname());
  }

  private static View view(Endpoint e, Map<String, String> interfaces) {
    var c = e.getConditions();
    var hints = new TreeSet<String>();
    if (e.getHints() != null) {
      for (ForZone z : e.getHints().getForZones()) {
        hints.add(z.getName());
      }
    }
    var ref = e.getTargetRef();
    String address = e.getAddresses().getFirst();
    IpAddress parsed = IpAddress.parse(address);
    return new View(
        parsed.toString(),
        c != null && Boolean.TRUE.equals(c.getReady()),
        c != null && Boolean.TRUE.equals(c.getServing()),
        c != null && Boolean.TRUE.equals(c.getTerminating()),
        e.getNodeName(),
        e.getZone(),
        List.copyOf(hints),
        ref == null ? null : ref.getNamespace() + "/" + ref.getName() + "/" + ref.getUid(),
        interfaces.get(parsed.toString()),
        e.getHostname());
  }

  private static String toJson(Map<String, String> m) {
    return JSON.writeValueAsString(m);
  }

  private static @Nullable String label(EndpointSlice s, String key) {
    return orEmpty(s.getMetadata().getLabels()).get(key);
  }

  private static Map<String, String> orEmpty(@Nullable Map<String, String> m) {
    return m == null ? Map.of() : m;
  }

  private record GroupKey(IpFamily family, List<PortRef> ports) implements Comparable<GroupKey> {
    @Override
    public int compareTo(GroupKey o) {
      int c = family.compareTo(o.family);
      if (c != 0) {
        return c;
      }
      for (int i = 0; i < Math.min(ports.size(), o.ports.size()); i++) {
        c = ports.get(i).compareTo(o.ports.get(i));
        if (c != 0) {
          return c;
        }
      }
      return Integer.compare(ports.size(), o.ports.size());
    }
  }

  private static final class Slot {
    final EndpointSlice slice;
    final List<DesiredEndpoint> keep;
    boolean changed;

    Slot(EndpointSlice slice, List<DesiredEndpoint> keep, boolean changed) {
      this.slice = slice;
      this.keep = keep;
      this.changed = changed;
    }
  }
}
