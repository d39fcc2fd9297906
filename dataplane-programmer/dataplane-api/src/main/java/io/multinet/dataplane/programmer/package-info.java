/** The programmer: the node proxy's client of the dataplane API (full state, then deltas). */
@NullMarked
package io.multinet.dataplane.programmer;

import org.jspecify.annotations.NullMarked;
