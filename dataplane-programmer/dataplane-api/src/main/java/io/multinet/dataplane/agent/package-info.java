/** The dataplane agent: the gRPC service in front of a dataplane backend, and its transports. */
@NullMarked
package io.multinet.dataplane.agent;

import org.jspecify.annotations.NullMarked;
