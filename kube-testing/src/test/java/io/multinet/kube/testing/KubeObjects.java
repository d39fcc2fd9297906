package io.multinet.kube.testing;

import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import java.util.HashMap;
import java.util.Map;

/** Pods and Services as multus and the kubelet leave them, for the Kubernetes modules' tests. */
public final class KubeObjects {

  /** The annotation multus writes on every pod it attached. */
  public static final String NETWORK_STATUS = "k8s.v1.cni.cncf.io/network-status";

  private KubeObjects() {}

  /**
   * A network-status annotation value: the default network's {@code eth0} (10.244.0.9), then one
   * interface {@code netN} per (attachment, address) pair given.
   */
  public static String networkStatus(String... attachmentAndAddress) {
    var status =
        new StringBuilder(
            "[{\"name\":\"cbr0\",\"interface\":\"eth0\",\"ips\":[\"10.244.0.9\"],\"default\":true}");
    for (int i = 0; i < attachmentAndAddress.length; i += 2) {
      status
          .append(",{\"name\":\"")
          .append(attachmentAndAddress[i])
          .append("\",\"interface\":\"net")
          .append(i / 2 + 1)
          .append("\",\"ips\":[\"")
          .append(attachmentAndAddress[i + 1])
          .append("\"]}");
    }
    return status.append(']').toString();
  }

  /** A running, ready pod labelled {@code app} on {@code node}, with that network-status. */
  public static Pod readyPod(
      String namespace, String name, String app, String node, String networkStatus) {
    return new PodBuilder()
        .withNewMetadata()
        .withName(name)
        .withNamespace(namespace)
        .withLabels(Map.of("app", app))
        .withAnnotations(Map.of(NETWORK_STATUS, networkStatus))
        .endMetadata()
        .withNewSpec()
        .withNodeName(node)
        .addNewContainer()
        .withName("c")
        .withImage("echo")
        .endContainer()
        .endSpec()
        .withNewStatus()
        .withPhase("Running")
        .addNewCondition()
        .withType("Ready")
        .withStatus("True")
        .endCondition()
        .endStatus()
        .build();
  }

  /** A Service with one TCP port named {@code http}, selecting {@code selector}. */
  public static Service service(
      String namespace,
      String name,
      Map<String, String> annotations,
      Map<String, String> selector,
      int port,
      int targetPort) {
    return new ServiceBuilder()
        .withNewMetadata()
        .withName(name)
        .withNamespace(namespace)
        .withAnnotations(new HashMap<>(annotations))
        .endMetadata()
        .withNewSpec()
        .withSelector(selector)
        .addNewPort()
        .withName("http")
        .withProtocol("TCP")
        .withPort(port)
        .withTargetPort(new IntOrString(targetPort))
        .endPort()
        .endSpec()
        .build();
  }
}
