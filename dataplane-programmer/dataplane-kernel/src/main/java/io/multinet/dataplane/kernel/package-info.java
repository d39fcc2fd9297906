/**
 * The Linux kernel dataplane: one nftables table ({@code inet multinet}) programmed in-process
 * through libnftables, conntrack zones and marks for network isolation, and policy routing rules.
 *
 * <p>A desired state becomes a typed {@code KernelPlan} ({@code KernelPlanner}: chains by kind,
 * sets and maps, elements, verdicts); {@code NftRenderer} writes a plan as the nft text of a full
 * sync, and {@code ElementOps} the operations of a delta (nft text, or netlink element batches).
 */
@NullMarked
package io.multinet.dataplane.kernel;

import org.jspecify.annotations.NullMarked;
