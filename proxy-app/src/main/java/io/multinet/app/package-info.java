/** The {@code multinet-proxy} command line and the wiring of the other modules. */
@NullMarked
package io.multinet.app;

import org.jspecify.annotations.NullMarked;
