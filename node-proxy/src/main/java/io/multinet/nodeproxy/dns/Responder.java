package io.multinet.nodeproxy.dns;

import static java.util.Objects.requireNonNull;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import org.jspecify.annotations.Nullable;

/**
 * Answers one query message of one network. Parses the header, the question and the additional
 * section itself rather than through netty's {@code DnsQueryDecoder}: that decoder throws on a
 * malformed body before the query's id is known, so it could not answer FORMERR, and it makes
 * objects per record where a local answer here is a copy of precomputed bytes. Bad input is
 * answered as BIND and CoreDNS answer it:
 *
 * <ul>
 *   <li>shorter than a header, or a response (QR=1): no answer (never answer a response: that is
 *       how reflection loops start);
 *   <li>an opcode other than QUERY: NOTIMP;
 *   <li>not exactly one question, records in the answer or authority section, a malformed or
 *       truncated name or record, a compression pointer in the question (nothing precedes it to
 *       point at), bytes after the last record, two OPT records, OPT as the question's type:
 *       FORMERR;
 *   <li>an EDNS version other than 0: BADVERS (RFC 6891);
 *   <li>a class other than IN (or ANY), zone transfers (AXFR, IXFR): REFUSED;
 *   <li>other meta types (TSIG, TKEY, MAILA, MAILB): NOTIMP;
 *   <li>an unknown type for an existing name: NODATA with the SOA, as for any type it lacks.
 * </ul>
 */
final class Responder {

  /** Where a response goes: the listener that took the query, with its metrics. */
  interface Reply {
    /** Sends {@code response} (ownership passes) and counts {@code rcode}. */
    void send(ByteBuf response, int rcode);

    /** Nothing is sent. */
    void drop();

    /** A copy that stays valid after the listener has moved on to the next query. */
    Reply detach();

    ByteBufAllocator alloc();
  }

  /** One forwarded query: what its response needs from the query. */
  @SuppressWarnings("ArrayRecordComponent") // never compared
  record Request(
      String name,
      int type,
      byte[] question,
      int id,
      int rd,
      boolean opt,
      boolean dnssecOk,
      int limit,
      Reply reply) {}

  private final Forwarder forwarder;

  Responder(Forwarder forwarder) {
    this.forwarder = requireNonNull(forwarder, "forwarder");
  }

  /**
   * Answers {@code q} (its readable bytes are one message) for {@code zone}'s network; null zone:
   * the network has just lost its DNS (REFUSED). {@code scratch} holds a name (256 chars).
   */
  void handle(ByteBuf q, @Nullable Zone zone, boolean tcp, char[] scratch, Reply reply) {
    int b = q.readerIndex();
    int end = q.writerIndex();
    if (end - b < Wire.HEADER) {
      reply.drop();
      return;
    }
    int id = q.getUnsignedShort(b);
    int flags = q.getUnsignedShort(b + 2);
    if ((flags & Wire.QR) != 0) {
      reply.drop();
      return;
    }
    int opcode = (flags >>> 11) & 0xf;
    int rd = flags & Wire.RD;
    if (opcode != 0) {
      headerOnly(reply, id, opcode, rd, Wire.NOTIMP);
      return;
    }
    if (q.getUnsignedShort(b + 4) != 1
        || q.getUnsignedShort(b + 6) != 0
        || q.getUnsignedShort(b + 8) != 0) {
      headerOnly(reply, id, 0, rd, Wire.FORMERR);
      return;
    }
    int ar = q.getUnsignedShort(b + 10);

    // The question: a lowercase dotted name in scratch.
    int p = b + Wire.HEADER;
    int n = 0;
    int wire = 0;
    boolean plain = true; // no '.' inside a label: the dotted form means the same name
    while (true) {
      if (p >= end) {
        headerOnly(reply, id, 0, rd, Wire.FORMERR);
        return;
      }
      int len = q.getUnsignedByte(p);
      if (len == 0) {
        p++;
        break;
      }
      wire += len + 1;
      if (len > 63 || wire > 254 || p + 1 + len > end) {
        headerOnly(reply, id, 0, rd, Wire.FORMERR);
        return;
      }
      if (n > 0) {
        scratch[n++] = '.';
      }
      for (int i = 1; i <= len; i++) {
        int c = q.getUnsignedByte(p + i);
        if (c >= 'A' && c <= 'Z') {
          c += 'a' - 'A';
        } else if (c == '.') {
          plain = false;
        }
        scratch[n++] = (char) c;
      }
      p += 1 + len;
    }
    if (p + 4 > end) {
      headerOnly(reply, id, 0, rd, Wire.FORMERR);
      return;
    }
    int qtype = q.getUnsignedShort(p);
    int qclass = q.getUnsignedShort(p + 2);
    p += 4;
    int qEnd = p;

    // The additional section: only OPT matters; anything else (TSIG without keys) is ignored.
    boolean opt = false;
    int payload = Wire.UDP_PLAIN;
    int version = 0;
    boolean dnssecOk = false;
    for (int i = 0; i < ar; i++) {
      int np = Wire.skipName(q, p, end);
      if (np < 0 || np + 10 > end) {
        headerOnly(reply, id, 0, rd, Wire.FORMERR);
        return;
      }
      int type = q.getUnsignedShort(np);
      int rdlen = q.getUnsignedShort(np + 8);
      if (np + 10 + rdlen > end) {
        headerOnly(reply, id, 0, rd, Wire.FORMERR);
        return;
      }
      if (type == Wire.OPT) {
        if (opt || np != p + 1) {
          headerOnly(reply, id, 0, rd, Wire.FORMERR); // a second OPT, or one not owned by root
          return;
        }
        opt = true;
        payload = Math.max(Wire.UDP_PLAIN, q.getUnsignedShort(np + 2));
        int ttl = q.getInt(np + 4);
        version = (ttl >>> 16) & 0xff;
        dnssecOk = (ttl & 0x8000) != 0;
      }
      p = np + 10 + rdlen;
    }
    if (p != end) {
      headerOnly(reply, id, 0, rd, Wire.FORMERR); // bytes past the last record: not a message
      return;
    }
    int limit = tcp ? 65535 : opt ? Math.min(payload, Wire.EDNS_PAYLOAD) : Wire.UDP_PLAIN;
    if (opt && version != 0) {
      respond(q, b, qEnd, reply, id, rd, 0, Wire.NOERROR, 1, null, null, true, dnssecOk, limit);
      return;
    }
    if (qtype == Wire.OPT) {
      headerOnly(reply, id, 0, rd, Wire.FORMERR);
      return;
    }
    if ((qclass != Wire.CLASS_IN && qclass != Wire.CLASS_ANY)
        || qtype == Wire.AXFR
        || qtype == Wire.IXFR
        || zone == null) {
      respond(q, b, qEnd, reply, id, rd, 0, Wire.REFUSED, 0, null, null, opt, dnssecOk, limit);
      return;
    }
    if (qtype >= 128 && qtype <= 254) {
      respond(q, b, qEnd, reply, id, rd, 0, Wire.NOTIMP, 0, null, null, opt, dnssecOk, limit);
      return;
    }
    String name = new String(scratch, 0, n);
    switch (zone.resolve(name, qtype, plain)) {
      case RrSet set ->
          respond(
              q, b, qEnd, reply, id, rd, Wire.AA, Wire.NOERROR, 0, set, null, opt, dnssecOk, limit);
      case Resolution.Outcome o when o == Resolution.Outcome.FORWARD -> {
        byte[] question = new byte[qEnd - b - Wire.HEADER];
        q.getBytes(b + Wire.HEADER, question);
        forwarder.forward(
            zone, new Request(name, qtype, question, id, rd, opt, dnssecOk, limit, reply.detach()));
      }
      case Resolution.Outcome o when o == Resolution.Outcome.REFUSED ->
          respond(q, b, qEnd, reply, id, rd, 0, Wire.REFUSED, 0, null, null, opt, dnssecOk, limit);
      case Resolution.Outcome o ->
          respond(
              q,
              b,
              qEnd,
              reply,
              id,
              rd,
              Wire.AA,
              o.rcode,
              0,
              null,
              o.authority(zone),
              opt,
              dnssecOk,
              limit);
    }
  }

  /**
   * Writes a response with the query's question: {@code answer} records, {@code authority} bytes
   * (one record), and OPT when the query had one. Too large for {@code limit}: TC and no records.
   */
  private static void respond(
      ByteBuf q,
      int b,
      int qEnd,
      Reply reply,
      int id,
      int rd,
      int aa,
      int rcode,
      int extendedRcode,
      @Nullable RrSet answer,
      byte @Nullable [] authority,
      boolean opt,
      boolean dnssecOk,
      int limit) {
    int qlen = qEnd - b - Wire.HEADER;
    int size =
        Wire.HEADER
            + qlen
            + (answer == null ? 0 : answer.bytes().length)
            + (authority == null ? 0 : authority.length)
            + (opt ? 11 : 0);
    boolean tc = size > limit;
    ByteBuf out = reply.alloc().buffer(tc ? Wire.HEADER + qlen + 11 : size);
    out.writeShort(id);
    out.writeShort(Wire.QR | aa | (tc ? Wire.TC : 0) | rd | Wire.RA | rcode);
    out.writeShort(1);
    out.writeShort(tc || answer == null ? 0 : answer.count());
    out.writeShort(tc || authority == null ? 0 : 1);
    out.writeShort(opt ? 1 : 0);
    out.writeBytes(q, b + Wire.HEADER, qlen);
    if (!tc) {
      if (answer != null) {
        out.writeBytes(answer.bytes());
      }
      if (authority != null) {
        out.writeBytes(authority);
      }
    }
    if (opt) {
      writeOpt(out, extendedRcode, dnssecOk);
    }
    reply.send(out, extendedRcode != 0 ? (extendedRcode << 4) | rcode : rcode);
  }

  /** Our OPT record: our UDP payload size, the DO bit echoed (RFC 3225), no options. */
  static void writeOpt(ByteBuf out, int extendedRcode, boolean dnssecOk) {
    out.writeByte(0);
    out.writeShort(Wire.OPT);
    out.writeShort(Wire.EDNS_PAYLOAD);
    out.writeByte(extendedRcode);
    out.writeByte(0);
    out.writeShort(dnssecOk ? 0x8000 : 0);
    out.writeShort(0);
  }

  /** A response of just a header (the question could not be read, or is not ours to answer). */
  static void headerOnly(Reply reply, int id, int opcode, int rd, int rcode) {
    ByteBuf out = reply.alloc().buffer(Wire.HEADER);
    out.writeShort(id);
    out.writeShort(Wire.QR | (opcode << 11) | rd | rcode);
    out.writeZero(8);
    reply.send(out, rcode);
  }
}
