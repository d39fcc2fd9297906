/**
 * The Linux kernel dataplane: one nftables table ({@code inet multinet}) programmed in-process
 * through libnftables, conntrack zones and marks for network isolation, and policy routing rules.
 */
@NullMarked
package io.multinet.dataplane.kernel;

import org.jspecify.annotations.NullMarked;
