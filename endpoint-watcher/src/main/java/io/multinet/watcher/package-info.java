/**
 * The endpoint-watcher controller: informers, the work queue, leader election, Events and problem
 * metrics.
 */
@NullMarked
package io.multinet.watcher;

import org.jspecify.annotations.NullMarked;
