package io.multinet.kube;

import static java.util.Objects.requireNonNull;

/**
 * A rejected input, to be answered with a Warning Event on the object and a metric increment.
 *
 * @param kind the object's kind ({@code Service}, {@code Network}, {@code Pod}, …)
 * @param namespace its namespace; empty for cluster-scoped objects
 * @param name its name
 * @param reason a CamelCase reason, also the metric label ({@code UnknownNetwork})
 * @param message what is wrong and what was expected
 */
public record Problem(String kind, String namespace, String name, String reason, String message) {

  public Problem {
    requireNonNull(kind, "kind");
    requireNonNull(namespace, "namespace");
    requireNonNull(name, "name");
    requireNonNull(reason, "reason");
    requireNonNull(message, "message");
  }

  @Override
  public String toString() {
    return kind
        + " "
        + (namespace.isEmpty() ? "" : namespace + "/")
        + name
        + ": "
        + reason
        + ": "
        + message;
  }
}
