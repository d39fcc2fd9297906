/** The local demo cluster: embedded API server, lab namespaces, controller and node proxy. */
@NullMarked
package io.multinet.demo;

import org.jspecify.annotations.NullMarked;
