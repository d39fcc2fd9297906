/** Kubernetes objects as proxy-core sees them: Services and EndpointSlices to service ports. */
@NullMarked
package io.multinet.nodeproxy.view;

import org.jspecify.annotations.NullMarked;
