package io.multinet.watcher.slice;

import static java.util.Objects.requireNonNull;

import io.fabric8.kubernetes.api.model.Container;
import io.fabric8.kubernetes.api.model.ContainerPort;
import io.fabric8.kubernetes.api.model.ObjectMeta;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodCondition;
import io.fabric8.kubernetes.api.model.PodSpec;
import io.fabric8.kubernetes.api.model.PodStatus;
import io.multinet.kube.Interner;
import io.multinet.kube.attachment.NetworkStatus;
import io.multinet.kube.attachment.PodInterface;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.jspecify.annotations.Nullable;

/**
 * What the controller keeps of a pod: only what {@link EndpointBuilder} and the reconcile read,
 * with network-status parsed once as the pod is stored (a malformed one keeps its error, reported
 * at every reconcile as before). A fabric8 Pod, even trimmed, is a tree of a dozen objects with
 * empty lists and maps; this is one object, its labels, ports and interfaces, and the strings that
 * repeat (namespaces, label keys and values, node and network names) shared.
 *
 * @param namespace metadata.namespace
 * @param name metadata.name
 * @param uid metadata.uid; empty when unset
 * @param resourceVersion metadata.resourceVersion, which the informer compares; null when unset
 * @param labels metadata.labels
 * @param nodeName spec.nodeName; null before scheduling
 * @param hostname spec.hostname; null when unset
 * @param subdomain spec.subdomain; null when unset
 * @param finished status.phase is Succeeded or Failed
 * @param ready the Ready condition is True
 * @param terminating metadata.deletionTimestamp is set
 * @param ports the containers' named ports, in container order
 * @param interfaces network-status, parsed; empty when it is malformed
 * @param networkStatusError why network-status is malformed; null when it is not
 */
public record PodRecord(
    String namespace,
    String name,
    String uid,
    @Nullable String resourceVersion,
    Map<String, String> labels,
    @Nullable String nodeName,
    @Nullable String hostname,
    @Nullable String subdomain,
    boolean finished,
    boolean ready,
    boolean terminating,
    List<NamedPort> ports,
    List<PodInterface> interfaces,
    @Nullable String networkStatusError) {

  /** A container's named port: a Service's named target port resolves against it. */
  public record NamedPort(String name, String protocol, int port) {
    public NamedPort {
      requireNonNull(name, "name");
      requireNonNull(protocol, "protocol");
    }
  }

  /** Strings shared by every record: bounded, so unique values cannot grow it without limit. */
  private static final Interner STRINGS = new Interner(100_000);

  public PodRecord {
    requireNonNull(namespace, "namespace");
    requireNonNull(name, "name");
    requireNonNull(uid, "uid");
    labels = Map.copyOf(requireNonNull(labels, "labels"));
    ports = List.copyOf(requireNonNull(ports, "ports"));
    interfaces = List.copyOf(requireNonNull(interfaces, "interfaces"));
  }

  /** The record of {@code pod}, with its strings interned. */
  public static PodRecord of(Pod pod) {
    requireNonNull(pod, "pod");
    ObjectMeta m = requireNonNull(pod.getMetadata(), "metadata");
    PodSpec spec = pod.getSpec();
    PodStatus status = pod.getStatus();
    String phase = status == null ? null : status.getPhase();
    List<PodInterface> interfaces = List.of();
    String error = null;
    try {
      interfaces =
          interned(
              NetworkStatus.fromAnnotations(
                  Objects.requireNonNullElse(m.getAnnotations(), Map.of())));
    } catch (IllegalArgumentException e) {
      error = String.valueOf(e.getMessage());
    }
    return new PodRecord(
        STRINGS.internNonNull(requireNonNull(m.getNamespace(), "namespace")),
        requireNonNull(m.getName(), "name"),
        Objects.requireNonNullElse(m.getUid(), ""),
        m.getResourceVersion(),
        STRINGS.internAll(m.getLabels()),
        spec == null ? null : STRINGS.intern(spec.getNodeName()),
        spec == null ? null : spec.getHostname(),
        spec == null ? null : STRINGS.intern(spec.getSubdomain()),
        "Succeeded".equals(phase) || "Failed".equals(phase),
        ready(status),
        m.getDeletionTimestamp() != null,
        spec == null ? List.of() : ports(spec),
        interfaces,
        error);
  }

  /** The container port named {@code name} for {@code protocol}, or 0 when there is none. */
  public int namedPort(String name, String protocol) {
    for (NamedPort p : ports) {
      if (p.name().equals(name) && p.protocol().equals(protocol)) {
        return p.port();
      }
    }
    return 0;
  }

  private static boolean ready(@Nullable PodStatus status) {
    if (status == null || status.getConditions() == null) {
      return false;
    }
    for (PodCondition c : status.getConditions()) {
      if ("Ready".equals(c.getType())) {
        return "True".equals(c.getStatus());
      }
    }
    return false;
  }

  private static List<NamedPort> ports(PodSpec spec) {
    List<NamedPort> out = new ArrayList<>();
    for (Container c : Objects.requireNonNullElse(spec.getContainers(), List.<Container>of())) {
      for (ContainerPort p : Objects.requireNonNullElse(c.getPorts(), List.<ContainerPort>of())) {
        if (p.getName() != null && p.getContainerPort() != null) {
          out.add(
              new NamedPort(
                  STRINGS.internNonNull(p.getName()),
                  STRINGS.internNonNull(Objects.requireNonNullElse(p.getProtocol(), "TCP")),
                  p.getContainerPort()));
        }
      }
    }
    return out;
  }

  private static List<PodInterface> interned(List<PodInterface> parsed) {
    if (parsed.isEmpty()) {
      return List.of();
    }
    List<PodInterface> out = new ArrayList<>(parsed.size());
    for (PodInterface i : parsed) {
      out.add(
          new PodInterface(
              STRINGS.internNonNull(i.attachment()),
              STRINGS.intern(i.interfaceName()),
              i.addresses(),
              i.isDefault()));
    }
    return out;
  }
}
