package io.multinet.kube.crd;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import io.fabric8.kubernetes.client.CustomResource;
import io.fabric8.kubernetes.model.annotation.Group;
import io.fabric8.kubernetes.model.annotation.Kind;
import io.fabric8.kubernetes.model.annotation.Plural;
import io.fabric8.kubernetes.model.annotation.Version;
import org.jspecify.annotations.Nullable;

/**
 * Calico/VPP's {@code projectcalico.org/v3 Network} (vpp-dataplane multinet): read only; its {@code
 * vni} becomes the network id and its {@code range} the pod CIDR.
 */
@Group("projectcalico.org")
@Version("v3")
@Kind("Network")
@Plural("networks")
public final class CalicoNetworkResource extends CustomResource<CalicoNetworkResource.Spec, Void> {

  private static final long serialVersionUID = 1L;

  /** The fields multinet reads; others (physicalNetworkName) are ignored. */
  @JsonIgnoreProperties(ignoreUnknown = true)
  public static final class Spec {
    public @Nullable Integer vni;
    public @Nullable String range;
  }
}
