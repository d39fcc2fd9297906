/**
 * JMH benchmarks of proxy-core's hot path, Maglev builds and table diffs, and of programming the
 * kernel dataplane.
 */
@NullMarked
package io.multinet.benchmarks;

import org.jspecify.annotations.NullMarked;
