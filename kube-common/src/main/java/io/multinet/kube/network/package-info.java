/** Networks as the cluster declares them: multinet.io and Calico/VPP Network objects. */
@NullMarked
package io.multinet.kube.network;

import org.jspecify.annotations.NullMarked;
