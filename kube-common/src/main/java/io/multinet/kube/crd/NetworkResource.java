package io.multinet.kube.crd;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.client.CustomResource;
import io.fabric8.kubernetes.model.annotation.Group;
import io.fabric8.kubernetes.model.annotation.Kind;
import io.fabric8.kubernetes.model.annotation.Plural;
import io.fabric8.kubernetes.model.annotation.Version;
import java.util.ArrayList;
import java.util.List;
import org.jspecify.annotations.Nullable;

/** {@code multinet.io/v1alpha1 Network}: one isolated network, cluster-scoped. */
@Group("multinet.io")
@Version("v1alpha1")
@Kind("Network")
@Plural("networks")
public final class NetworkResource
    extends CustomResource<NetworkResource.Spec, NetworkResource.Status> {

  private static final long serialVersionUID = 1L;

  /** The network's desired shape; every field is validated by the controller, not trusted. */
  @JsonIgnoreProperties(ignoreUnknown = true)
  public static final class Spec {
    public @Nullable Integer id;
    public @Nullable List<String> serviceCIDRs;
    public @Nullable List<String> podCIDRs;
    public @Nullable List<String> attachments;
    public @Nullable Kernel kernel;
    public @Nullable Vpp vpp;
  }

  /** Node-side ingress interfaces and the policy routing table of the kernel dataplane. */
  @JsonIgnoreProperties(ignoreUnknown = true)
  public static final class Kernel {
    public @Nullable List<String> interfaces;
    public @Nullable Integer routingTable;
  }

  /** The VPP FIB table this network maps to. */
  @JsonIgnoreProperties(ignoreUnknown = true)
  public static final class Vpp {
    public @Nullable Integer vrf;
  }

  /** Ready or Invalid, with the reason. */
  @JsonIgnoreProperties(ignoreUnknown = true)
  public static final class Status {
    public List<Condition> conditions = new ArrayList<>();
  }
}
