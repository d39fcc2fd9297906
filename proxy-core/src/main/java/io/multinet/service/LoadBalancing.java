package io.multinet.service;

/** How a service port picks a backend for a new flow. */
public enum LoadBalancing {
  /** Uniform over the usable endpoints, as kube-proxy's {@code numgen random}. */
  RANDOM,
  /**
   * Maglev consistent hashing over the flow: a backend removal moves only the flows it held (plus a
   * small slack), and every node picks the same backend for the same flow.
   */
  MAGLEV
}
