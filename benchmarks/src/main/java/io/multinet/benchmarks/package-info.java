/** JMH benchmarks of proxy-core's hot path, Maglev builds and table diffs. */
@NullMarked
package io.multinet.benchmarks;

import org.jspecify.annotations.NullMarked;
