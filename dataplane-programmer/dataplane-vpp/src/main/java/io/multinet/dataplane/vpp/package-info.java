/**
 * The VPP dataplane: a client for VPP's binary API over its unix socket ({@link
 * io.multinet.dataplane.vpp.VppApiClient}), the cnat, ip and interface messages this build speaks,
 * and {@link io.multinet.dataplane.vpp.VppBackend}, which maps service ports to cnat translations.
 * Design: docs/vpp.md.
 */
@NullMarked
package io.multinet.dataplane.vpp;

import org.jspecify.annotations.NullMarked;
