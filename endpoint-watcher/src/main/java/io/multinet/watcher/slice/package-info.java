/**
 * Per-network EndpointSlices: endpoints from pods' network interfaces, and minimal-churn writes.
 */
@NullMarked
package io.multinet.watcher.slice;

import org.jspecify.annotations.NullMarked;
