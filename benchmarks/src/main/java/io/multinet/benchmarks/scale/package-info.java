/**
 * The end-to-end scale harness: the real controller, node proxy and kernel dataplane against the
 * embedded API server, with kube-proxy-style iptables-restore and {@code nft -f} baselines.
 */
@NullMarked
package io.multinet.benchmarks.scale;

import org.jspecify.annotations.NullMarked;
