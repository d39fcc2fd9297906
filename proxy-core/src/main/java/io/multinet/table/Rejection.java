package io.multinet.table;

import static java.util.Objects.requireNonNull;

import io.multinet.service.ServicePortName;

/**
 * A service port, or part of one, the table left out, and why: bad input is answered, never allowed
 * to stop the other services.
 *
 * @param name the Kubernetes identity, so the caller can raise an Event on the Service
 * @param reason a message such as {@code "network: 7 (expected: a known network id)"}
 */
public record Rejection(ServicePortName name, String reason) {

  public Rejection {
    requireNonNull(name, "name");
    requireNonNull(reason, "reason");
  }

  @Override
  public String toString() {
    return name + ": " + reason;
  }
}
