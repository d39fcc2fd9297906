package io.multinet.service;

/** Whether a service port honours EndpointSlice topology hints. */
public enum TopologyMode {
  /**
   * kube-proxy's behaviour: hints narrow the endpoints only when every ready endpoint carries one
   * and one matches this node (or its zone); otherwise they are ignored.
   */
  HINTS,
  /** Hints are ignored. */
  DISABLED
}
