package io.multinet.kube.crd;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import io.fabric8.kubernetes.api.model.Condition;
import io.fabric8.kubernetes.api.model.LabelSelector;
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
    public @Nullable Dns dns;

    /** The namespaces whose Services may use this network; absent: every namespace. */
    public @Nullable LabelSelector namespaceSelector;
  }

  /**
   * The network's own DNS service. Every field is optional: a network with service CIDRs gets DNS
   * addresses allocated by the controller (one per family, in {@link Status#dns}).
   */
  @JsonIgnoreProperties(ignoreUnknown = true)
  public static final class Dns {
    /** At most one per family, inside the network's service CIDRs; empty: allocated. */
    public @Nullable List<String> clusterIPs;

    /** The domain of the network's names; absent: the node proxy's {@code --cluster-domain}. */
    public @Nullable String clusterDomain;

    /** Where names outside the cluster domain go, as IP or IP:port; absent: the node's own. */
    public @Nullable List<String> upstreams;
  }

  /** The DNS addresses the controller allocated (when {@code spec.dns.clusterIPs} is empty). */
  @JsonIgnoreProperties(ignoreUnknown = true)
  public static final class DnsStatus {
    public List<String> clusterIPs = new ArrayList<>();
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
    public @Nullable DnsStatus dns;
  }
}
