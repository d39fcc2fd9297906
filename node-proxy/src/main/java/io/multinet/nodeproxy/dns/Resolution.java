package io.multinet.nodeproxy.dns;

import org.jspecify.annotations.Nullable;

/**
 * What a network's zone answers for one name and type ({@link Zone#resolve}): its records, a
 * negative answer with the SOA of the zone it falls in, forwarding, or a refusal. The server's
 * {@link Responder} writes it to the wire and {@link DnsSnapshot#query} describes it, so a trace is
 * the server's own answer. The outcomes are constants and the records precomputed: resolving
 * allocates nothing.
 */
sealed interface Resolution permits RrSet, Resolution.Outcome {

  /** Every answer that is not a set of records. */
  enum Outcome implements Resolution {
    /** The name exists in the cluster domain, without records of the type. */
    NODATA(Wire.NOERROR, Apex.DOMAIN),
    /** The name is in the cluster domain and does not exist. */
    NXDOMAIN(Wire.NXDOMAIN, Apex.DOMAIN),
    NODATA_V4(Wire.NOERROR, Apex.V4),
    /** A reverse name in the network's ranges with no record: the network's to deny. */
    NXDOMAIN_V4(Wire.NXDOMAIN, Apex.V4),
    NODATA_V6(Wire.NOERROR, Apex.V6),
    NXDOMAIN_V6(Wire.NXDOMAIN, Apex.V6),
    /** Outside the cluster domain: asked of the network's upstreams (or answered from cache). */
    FORWARD(Wire.NOERROR, Apex.NONE),
    /** A name with a dot inside a label, outside the cluster domain: never forwarded. */
    REFUSED(Wire.REFUSED, Apex.NONE);

    final int rcode;
    private final Apex apex;

    Outcome(int rcode, Apex apex) {
      this.rcode = rcode;
      this.apex = apex;
    }

    /** The authority section of this negative answer in {@code zone}; null when it has none. */
    byte @Nullable [] authority(Zone zone) {
      return switch (apex) {
        case DOMAIN -> zone.negative;
        case V4 -> zone.negative4;
        case V6 -> zone.negative6;
        case NONE -> null;
      };
    }
  }

  /** Which SOA a negative answer carries. */
  enum Apex {
    DOMAIN,
    V4,
    V6,
    NONE
  }
}
