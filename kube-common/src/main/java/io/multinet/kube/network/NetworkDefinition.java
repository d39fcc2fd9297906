package io.multinet.kube.network;

import static java.util.Objects.requireNonNull;

import io.multinet.kube.attachment.PodInterface;
import io.multinet.network.Network;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * A validated network: proxy-core's {@link Network} plus what ties pods to it and what dataplanes
 * need.
 *
 * @param network name, id and ranges
 * @param attachments network-status names that mean this network: {@code ns/name} matches that
 *     NetworkAttachmentDefinition only; a bare {@code name} matches that name in any namespace
 * @param kernelInterfaces node-side ingress interface names or prefixes ending in {@code *}
 * @param routingTable the kernel policy-routing table; null when unset
 * @param vrf the VPP FIB table; null when unset
 * @param source where it was declared: {@code multinet.io} or {@code projectcalico.org}
 * @param dns the network's DNS service; null for a network without service CIDRs, or whose {@code
 *     spec.dns} is invalid (reported as a problem of its own: the network's Services stay served)
 * @param namespaces the namespaces that may publish Services into it
 */
public record NetworkDefinition(
    Network network,
    List<String> attachments,
    List<String> kernelInterfaces,
    @Nullable Integer routingTable,
    @Nullable Integer vrf,
    String source,
    @Nullable NetworkDns dns,
    NamespaceSelector namespaces) {

  public static final String MULTINET = "multinet.io";
  public static final String CALICO = "projectcalico.org";

  public NetworkDefinition {
    requireNonNull(network, "network");
    attachments = List.copyOf(requireNonNull(attachments, "attachments"));
    kernelInterfaces = List.copyOf(requireNonNull(kernelInterfaces, "kernelInterfaces"));
    requireNonNull(source, "source");
    requireNonNull(namespaces, "namespaces");
  }

  /** A network without DNS whose Services any namespace may publish (tests, Calico networks). */
  public NetworkDefinition(
      Network network,
      List<String> attachments,
      List<String> kernelInterfaces,
      @Nullable Integer routingTable,
      @Nullable Integer vrf,
      String source) {
    this(
        network,
        attachments,
        kernelInterfaces,
        routingTable,
        vrf,
        source,
        null,
        NamespaceSelector.ALL);
  }

  public String name() {
    return network.name();
  }

  /** Whether a pod interface (from a pod in {@code podNamespace}) is on this network. */
  public boolean includes(PodInterface iface, String podNamespace) {
    if (iface.isDefault()) {
      return false; // the cluster default network is never an additional network
    }
    String entry = iface.attachment();
    String qualified = entry.indexOf('/') >= 0 ? entry : podNamespace + "/" + entry;
    String bareName = qualified.substring(qualified.indexOf('/') + 1);
    for (String a : attachments) {
      if (a.indexOf('/') >= 0 ? a.equals(qualified) : a.equals(bareName)) {
        return true;
      }
    }
    return false;
  }

  /** Whether the NetworkAttachmentDefinition {@code namespace/name} is one of this network's. */
  public boolean hasAttachment(String namespace, String name) {
    for (String a : attachments) {
      if (a.indexOf('/') >= 0 ? a.equals(namespace + "/" + name) : a.equals(name)) {
        return true;
      }
    }
    return false;
  }
}
