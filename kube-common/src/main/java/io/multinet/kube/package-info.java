/**
 * The pieces of Kubernetes both processes read: {@link io.multinet.kube.Problem} (a rejected input)
 * and {@link io.multinet.kube.WellKnown} (the labels and annotations the controller writes and the
 * node proxy reads).
 */
@NullMarked
package io.multinet.kube;

import org.jspecify.annotations.NullMarked;
