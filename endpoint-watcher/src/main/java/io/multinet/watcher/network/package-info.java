/** Networks as the cluster declares them: multinet.io and Calico/VPP Network objects. */
@NullMarked
package io.multinet.watcher.network;

import org.jspecify.annotations.NullMarked;
