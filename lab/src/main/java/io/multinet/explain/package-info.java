/** {@code explain}: the per-flow trace and the dataplane state a node would program. */
@NullMarked
package io.multinet.explain;

import org.jspecify.annotations.NullMarked;
