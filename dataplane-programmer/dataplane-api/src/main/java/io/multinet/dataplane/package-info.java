/**
 * The dataplane API's Java side: {@link io.multinet.dataplane.DataplaneBackend} (one interface for
 * every dataplane) and {@link io.multinet.dataplane.StateModel} (desired state with deltas).
 */
@NullMarked
package io.multinet.dataplane;

import org.jspecify.annotations.NullMarked;
