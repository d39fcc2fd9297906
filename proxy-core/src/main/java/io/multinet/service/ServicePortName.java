package io.multinet.service;

import static java.util.Objects.requireNonNull;

/**
 * The Kubernetes identity of a service port, for logs, metrics and events: {@code ns/name:port}.
 *
 * @param portName the Service port's name; empty for an unnamed single port
 */
public record ServicePortName(String namespace, String name, String portName) {

  /**
   * The namespace of the service ports the node proxy makes for its own listeners (such as each
   * network's DNS): no Kubernetes namespace has a dot. Their endpoints are addresses of the node
   * itself, which the dataplane delivers to locally, so they lie outside every network's pod CIDRs.
   */
  public static final String NODE_LOCAL_NAMESPACE = "multinet.io";

  public ServicePortName {
    requireNonNull(namespace, "namespace");
    requireNonNull(name, "name");
    requireNonNull(portName, "portName");
    if (namespace.isEmpty() || name.isEmpty()) {
      throw new IllegalArgumentException(
          "service: " + namespace + "/" + name + " (expected: non-empty namespace and name)");
    }
  }

  /** Whether this names a service port of the node proxy's own listeners. */
  public boolean isNodeLocal() {
    return namespace.equals(NODE_LOCAL_NAMESPACE);
  }

  @Override
  public String toString() {
    return namespace + "/" + name + (portName.isEmpty() ? "" : ":" + portName);
  }
}
