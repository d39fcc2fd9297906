package io.multinet.kube.crd;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import io.fabric8.kubernetes.api.model.Namespaced;
import io.fabric8.kubernetes.client.CustomResource;
import io.fabric8.kubernetes.model.annotation.Group;
import io.fabric8.kubernetes.model.annotation.Kind;
import io.fabric8.kubernetes.model.annotation.Plural;
import io.fabric8.kubernetes.model.annotation.Version;
import org.jspecify.annotations.Nullable;

/**
 * Multus' {@code k8s.cni.cncf.io/v1 NetworkAttachmentDefinition}, read only: Calico/VPP networks
 * name their attachments inside the CNI config ({@code dataplane_options.network_name}).
 */
@Group("k8s.cni.cncf.io")
@Version("v1")
@Kind("NetworkAttachmentDefinition")
@Plural("network-attachment-definitions")
public final class NetworkAttachmentDefinition
    extends CustomResource<NetworkAttachmentDefinition.Spec, Void> implements Namespaced {

  private static final long serialVersionUID = 1L;

  /** The CNI configuration, a JSON string. */
  @JsonIgnoreProperties(ignoreUnknown = true)
  public static final class Spec {
    public @Nullable String config;
  }
}
