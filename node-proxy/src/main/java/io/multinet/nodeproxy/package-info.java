/** The node proxy: the DaemonSet process that replaces kube-proxy, with its health and metrics. */
@NullMarked
package io.multinet.nodeproxy;

import org.jspecify.annotations.NullMarked;
