/**
 * A network namespace lab: a node, pods of several networks and clients built with iproute2, echo
 * servers and probes run inside them through {@code setns(2)}. Real-traffic tests, the local demo
 * cluster and the end-to-end harness use it; it needs root.
 */
@NullMarked
package io.multinet.dataplane.lab;

import org.jspecify.annotations.NullMarked;
