package io.multinet.service;

import static java.util.Objects.requireNonNull;

/**
 * The Kubernetes identity of a service port, for logs, metrics and events: {@code ns/name:port}.
 *
 * @param portName the Service port's name; empty for an unnamed single port
 */
public record ServicePortName(String namespace, String name, String portName) {

  public ServicePortName {
    requireNonNull(namespace, "namespace");
    requireNonNull(name, "name");
    requireNonNull(portName, "portName");
    if (namespace.isEmpty() || name.isEmpty()) {
      throw new IllegalArgumentException(
          "service: " + namespace + "/" + name + " (expected: non-empty namespace and name)");
    }
  }

  @Override
  public String toString() {
    return namespace + "/" + name + (portName.isEmpty() ? "" : ":" + portName);
  }
}
