package io.multinet.kube.attachment;

import static java.util.Objects.requireNonNull;

import io.multinet.network.IpAddress;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * One entry of a pod's {@code k8s.v1.cni.cncf.io/network-status}: the pod's interface on one
 * attachment, with its addresses (prefix lengths dropped).
 *
 * @param attachment the entry's {@code name}: a NetworkAttachmentDefinition as {@code ns/name} or
 *     {@code name}, or the cluster default network's name
 * @param interfaceName the interface inside the pod ({@code net1}); null when not reported
 * @param addresses IPv4 and IPv6 addresses, in the order reported
 * @param isDefault whether this entry is the cluster-wide default network
 */
public record PodInterface(
    String attachment,
    @Nullable String interfaceName,
    List<IpAddress> addresses,
    boolean isDefault) {

  public PodInterface {
    requireNonNull(attachment, "attachment");
    addresses = List.copyOf(requireNonNull(addresses, "addresses"));
  }

  /**
   * Whether this entry names {@code ref}, given the pod's namespace: {@code "blue-net"} in a pod of
   * namespace {@code "default"} is {@code "default/blue-net"}, as the spec resolves unqualified
   * names against the pod's namespace.
   */
  public boolean matches(String ref, String podNamespace) {
    return qualify(attachment, podNamespace).equals(qualify(ref, podNamespace));
  }

  static String qualify(String name, String namespace) {
    return name.indexOf('/') >= 0 ? name : namespace + "/" + name;
  }
}
