package io.multinet.kube;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.informers.SharedIndexInformer;
import java.util.logging.Level;
import java.util.logging.Logger;

/** What the controller's and the node proxy's informers share. */
public final class Informers {

  /** Calico/VPP's Network CRD: informed only where it is installed. */
  public static final String CALICO_CRD = "networks.projectcalico.org";

  /** Multus' NetworkAttachmentDefinition CRD: informed only where it is installed. */
  public static final String NAD_CRD = "network-attachment-definitions.k8s.cni.cncf.io";

  private static final Logger LOG = Logger.getLogger(Informers.class.getName());

  private Informers() {}

  /**
   * Keeps {@code informer} watching through any error: fabric8's default handler stops on unusual
   * watch failures, and a proxy that stops watching serves a stale table forever.
   */
  public static <T> SharedIndexInformer<T> keepWatching(SharedIndexInformer<T> informer) {
    informer.exceptionHandler((started, t) -> true);
    return informer;
  }

  /** Whether the API server has the CRD {@code name}; false when it cannot be asked. */
  public static boolean crdExists(KubernetesClient client, String name) {
    try {
      return client.apiextensions().v1().customResourceDefinitions().withName(name).get() != null;
    } catch (KubernetesClientException e) {
      LOG.log(Level.FINE, "looking up CRD " + name, e);
      return false;
    }
  }
}
