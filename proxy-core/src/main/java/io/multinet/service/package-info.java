/**
 * Service ports and their endpoints: the model every module shares, and kube-proxy's rules for
 * which endpoints a node uses ({@link io.multinet.service.EndpointSelection}).
 */
@NullMarked
package io.multinet.service;

import org.jspecify.annotations.NullMarked;
