package io.multinet.service;

/** {@code internalTrafficPolicy} and {@code externalTrafficPolicy}, as Kubernetes defines them. */
public enum TrafficPolicy {
  /** Any ready endpoint in the cluster. */
  CLUSTER,
  /** Only endpoints on the node the traffic arrives at; dropped when there are none. */
  LOCAL
}
