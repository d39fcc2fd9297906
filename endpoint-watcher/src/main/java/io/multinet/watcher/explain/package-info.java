/** The offline explain report: what the controller made of a set of manifests. */
@NullMarked
package io.multinet.watcher.explain;

import org.jspecify.annotations.NullMarked;
