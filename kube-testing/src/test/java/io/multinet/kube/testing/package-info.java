/** Builders of the Kubernetes objects the tests of every module share (Pods, Services, slices). */
@NullMarked
package io.multinet.kube.testing;

import org.jspecify.annotations.NullMarked;
