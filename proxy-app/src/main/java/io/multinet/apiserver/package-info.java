/** The embedded API server's store: fabric8's mock server in CRUD mode, indexed by object name. */
@NullMarked
package io.multinet.apiserver;

import org.jspecify.annotations.NullMarked;
