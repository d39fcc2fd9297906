/** The coalescing sync runner every sync loop shares. */
@NullMarked
package io.multinet.sync;

import org.jspecify.annotations.NullMarked;
