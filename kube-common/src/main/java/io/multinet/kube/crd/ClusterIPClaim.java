package io.multinet.kube.crd;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import io.fabric8.kubernetes.client.CustomResource;
import io.fabric8.kubernetes.model.annotation.Group;
import io.fabric8.kubernetes.model.annotation.Kind;
import io.fabric8.kubernetes.model.annotation.Plural;
import io.fabric8.kubernetes.model.annotation.Version;
import org.jspecify.annotations.Nullable;

/**
 * {@code multinet.io/v1alpha1 ClusterIPClaim}: one allocated cluster IP of one network, after
 * KEP-1880's IPAddress objects. The name is derived from (network, address), so the API server
 * itself refuses a second claim on the same address: allocation needs no lock and survives a crash
 * between steps.
 */
@Group("multinet.io")
@Version("v1alpha1")
@Kind("ClusterIPClaim")
@Plural("clusteripclaims")
public final class ClusterIPClaim extends CustomResource<ClusterIPClaim.Spec, Void> {

  private static final long serialVersionUID = 1L;

  /** {@link Spec#holder} of a claim on a Network's DNS address. */
  public static final String NETWORK_HOLDER = "Network";

  /**
   * Which network and address, and what holds it: a Service (the {@code service*} fields), or with
   * {@link #holder} {@value #NETWORK_HOLDER} the Network's DNS service ({@link #networkUid}).
   */
  @JsonIgnoreProperties(ignoreUnknown = true)
  public static final class Spec {
    public @Nullable String network;
    public @Nullable String address;

    /** {@code Service} (also when absent) or {@value #NETWORK_HOLDER}. */
    public @Nullable String holder;

    public @Nullable String serviceNamespace;
    public @Nullable String serviceName;
    public @Nullable String serviceUid;
    public @Nullable String networkUid;

    /** Whether a Network's DNS service holds the address. */
    public boolean heldByNetwork() {
      return NETWORK_HOLDER.equals(holder);
    }
  }
}
