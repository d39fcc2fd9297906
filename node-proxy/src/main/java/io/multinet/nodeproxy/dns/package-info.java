/**
 * The node proxy's per-network DNS server: records built from the node proxy's caches ({@link
 * io.multinet.nodeproxy.dns.DnsRecords}), one listener pair per network ({@link
 * io.multinet.nodeproxy.dns.DnsServer}), forwarding with a cache, per-source rate limits and
 * metrics ({@link io.multinet.nodeproxy.dns.DnsMetrics}).
 */
@NullMarked
package io.multinet.nodeproxy.dns;

import org.jspecify.annotations.NullMarked;
