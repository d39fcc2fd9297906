/**
 * An in-process peer that speaks VPP's socket API strictly, for tests of the VPP backend here and
 * in the command line module: it checks framing, lengths, the client handle and every field.
 */
@NullMarked
package io.multinet.dataplane.vpp.testing;

import org.jspecify.annotations.NullMarked;
