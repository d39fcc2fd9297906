package io.multinet.service;

import static java.util.Objects.requireNonNull;

import org.jspecify.annotations.Nullable;

/**
 * The node a service table is built for.
 *
 * @param name the Node's name, compared with {@link Endpoint#nodeName()}
 * @param zone its {@code topology.kubernetes.io/zone} label; null when unlabelled
 */
public record NodeInfo(String name, @Nullable String zone) {

  public NodeInfo {
    requireNonNull(name, "name");
    if (name.isEmpty()) {
      throw new IllegalArgumentException("name: \"\" (expected: the node's name)");
    }
  }
}
