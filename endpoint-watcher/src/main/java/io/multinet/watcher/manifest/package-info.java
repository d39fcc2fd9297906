/** Loading manifests into an API server, for explain, the demo and tests. */
@NullMarked
package io.multinet.watcher.manifest;

import org.jspecify.annotations.NullMarked;
