/** Change tracking between syncs: {previous, current} per key, no-op changes dropped. */
@NullMarked
package io.multinet.change;

import org.jspecify.annotations.NullMarked;
