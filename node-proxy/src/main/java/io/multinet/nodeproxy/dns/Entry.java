package io.multinet.nodeproxy.dns;

import org.jspecify.annotations.Nullable;

/**
 * One name of a network's zone, with its answers precomputed; a name without any (an empty
 * non-terminal such as {@code demo.svc.cluster.local}) exists and answers NODATA, never NXDOMAIN.
 */
record Entry(
    @Nullable RrSet a,
    @Nullable RrSet aaaa,
    @Nullable RrSet cname,
    @Nullable RrSet srv,
    @Nullable RrSet ptr) {

  static final Entry EMPTY = new Entry(null, null, null, null, null);

  /** The records of {@code type}; ANY gets one set (a subset, as RFC 8482 allows). */
  @Nullable RrSet get(int type) {
    return switch (type) {
      case Wire.A -> a;
      case Wire.AAAA -> aaaa;
      case Wire.CNAME -> cname;
      case Wire.SRV -> srv;
      case Wire.PTR -> ptr;
      case Wire.ANY ->
          a != null ? a : aaaa != null ? aaaa : cname != null ? cname : srv != null ? srv : ptr;
      default -> null;
    };
  }
}
