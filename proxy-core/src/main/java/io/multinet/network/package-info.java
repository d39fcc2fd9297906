/**
 * Networks and the addressing they are made of: {@link io.multinet.network.IpAddress}, {@link
 * io.multinet.network.Cidr}, {@link io.multinet.network.Protocol} and {@link
 * io.multinet.network.Network}. IPv4 and IPv6 share one representation throughout.
 */
@NullMarked
package io.multinet.network;

import org.jspecify.annotations.NullMarked;
