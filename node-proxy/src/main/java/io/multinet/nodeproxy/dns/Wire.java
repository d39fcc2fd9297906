package io.multinet.nodeproxy.dns;

import static java.util.Objects.requireNonNull;

import io.multinet.network.IpAddress;
import io.netty.buffer.ByteBuf;
import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import org.jspecify.annotations.Nullable;

/**
 * The DNS wire format (RFC 1035, 6891) as the server writes it: names, resource records and the few
 * header fields it reads. Numbers are netty's {@code DnsRecordType}, {@code DnsResponseCode} and
 * {@code DnsOpCode} values, spelled as constants so that they can be switched on.
 */
final class Wire {

  static final int HEADER = 12;

  static final int A = 1;
  static final int NS = 2;
  static final int CNAME = 5;
  static final int SOA = 6;
  static final int PTR = 12;
  static final int TXT = 16;
  static final int AAAA = 28;
  static final int SRV = 33;
  static final int OPT = 41;
  static final int IXFR = 251;
  static final int AXFR = 252;
  static final int ANY = 255;

  static final int CLASS_IN = 1;
  static final int CLASS_ANY = 255;

  static final int NOERROR = 0;
  static final int FORMERR = 1;
  static final int SERVFAIL = 2;
  static final int NXDOMAIN = 3;
  static final int NOTIMP = 4;
  static final int REFUSED = 5;

  static final int QR = 0x8000;
  static final int AA = 0x0400;
  static final int TC = 0x0200;
  static final int RD = 0x0100;
  static final int RA = 0x0080;

  /** The UDP payload this server advertises and accepts (the DNS flag day 2020 value). */
  static final int EDNS_PAYLOAD = 1232;

  /** Without EDNS0 a UDP message holds at most this much (RFC 1035 4.2.1). */
  static final int UDP_PLAIN = 512;

  private Wire() {}

  /**
   * A dotted name ({@code web.demo.svc.cluster.local}, no trailing dot; {@code ""} is the root) in
   * uncompressed wire format.
   *
   * @throws IllegalArgumentException for an empty label, a label over 63 bytes or a name over 255
   */
  static byte[] name(String dotted) {
    requireNonNull(dotted, "dotted");
    var out = new ByteArrayOutputStream(dotted.length() + 2);
    if (!dotted.isEmpty()) {
      for (String label : dotted.split("\\.", -1)) {
        byte[] b = label.getBytes(StandardCharsets.US_ASCII);
        if (b.length == 0 || b.length > 63) {
          throw new IllegalArgumentException(
              "name: " + dotted + " (expected: labels of 1-63 characters)");
        }
        out.write(b.length);
        out.writeBytes(b);
      }
    }
    out.write(0);
    if (out.size() > 255) {
      throw new IllegalArgumentException("name: " + dotted + " (expected: at most 255 bytes)");
    }
    return out.toByteArray();
  }

  /** Whether {@code dotted} is a name {@link #name} accepts. */
  static boolean validName(String dotted) {
    if (dotted.isEmpty()) {
      return true;
    }
    if (dotted.length() > 253) {
      return false;
    }
    int start = 0;
    while (true) {
      int dot = dotted.indexOf('.', start);
      int end = dot < 0 ? dotted.length() : dot;
      if (end == start || end - start > 63) {
        return false;
      }
      if (dot < 0) {
        return true;
      }
      start = dot + 1;
    }
  }

  /** Whether {@code label} is an RFC 1123 label (an endpoint hostname Kubernetes accepts). */
  static boolean dnsLabel(@Nullable String label) {
    if (label == null || label.isEmpty() || label.length() > 63) {
      return false;
    }
    for (int i = 0; i < label.length(); i++) {
      char c = label.charAt(i);
      boolean ok =
          (c >= 'a' && c <= 'z')
              || (c >= '0' && c <= '9')
              || (c == '-' && i > 0)
              || (c >= 'A' && c <= 'Z');
      if (!ok) {
        return false;
      }
    }
    return label.charAt(label.length() - 1) != '-';
  }

  /** The reverse-lookup name of an address: {@code d.c.b.a.in-addr.arpa} or nibbles in ip6.arpa. */
  static String reverse(IpAddress address) {
    byte[] b = address.toBytes();
    var sb = new StringBuilder(b.length == 4 ? 29 : 73);
    if (b.length == 4) {
      for (int i = 3; i >= 0; i--) {
        sb.append(b[i] & 0xff).append('.');
      }
      return sb.append("in-addr.arpa").toString();
    }
    for (int i = 15; i >= 0; i--) {
      sb.append(Character.forDigit(b[i] & 0xf, 16)).append('.');
      sb.append(Character.forDigit((b[i] >> 4) & 0xf, 16)).append('.');
    }
    return sb.append("ip6.arpa").toString();
  }

  /**
   * The address a full reverse-lookup name stands for, or null when {@code name} is not one (a
   * shorter name, or not decimal or nibble labels).
   */
  static @Nullable IpAddress fromReverse(String name) {
    if (name.endsWith(".in-addr.arpa")) {
      String[] parts = name.substring(0, name.length() - 13).split("\\.", -1);
      if (parts.length != 4) {
        return null;
      }
      byte[] b = new byte[4];
      for (int i = 0; i < 4; i++) {
        String p = parts[3 - i];
        if (p.isEmpty() || p.length() > 3 || !p.chars().allMatch(Character::isDigit)) {
          return null;
        }
        int v = Integer.parseInt(p);
        if (v > 255) {
          return null;
        }
        b[i] = (byte) v;
      }
      return IpAddress.of(b);
    }
    if (name.endsWith(".ip6.arpa")) {
      String body = name.substring(0, name.length() - 9);
      if (body.length() != 63) {
        return null;
      }
      byte[] b = new byte[16];
      for (int i = 0; i < 32; i++) {
        char c = body.charAt(i * 2);
        int v = Character.digit(c, 16);
        if (v < 0 || (i < 31 && body.charAt(i * 2 + 1) != '.')) {
          return null;
        }
        int index = 15 - i / 2;
        b[index] |= (byte) (i % 2 == 0 ? v : v << 4);
      }
      return IpAddress.of(b);
    }
    return null;
  }

  /**
   * The offset just past a possibly compressed name at {@code offset}, or -1 when it is malformed
   * or runs past {@code end}. A compression pointer ends the name; it is not followed, so a loop
   * cannot make this spin.
   */
  static int skipName(ByteBuf b, int offset, int end) {
    int p = offset;
    int length = 0;
    while (p < end) {
      int len = b.getUnsignedByte(p);
      if (len == 0) {
        return p + 1;
      }
      if ((len & 0xc0) == 0xc0) {
        return p + 2 <= end ? p + 2 : -1;
      }
      if ((len & 0xc0) != 0) {
        return -1; // 0x40 and 0x80 label types are obsolete or undefined
      }
      length += len + 1;
      if (length > 255) {
        return -1;
      }
      p += len + 1;
    }
    return -1;
  }

  /** Appends one resource record whose owner is the question's name (a pointer to offset 12). */
  static void record(ByteArrayOutputStream out, int type, int ttl, byte[] rdata) {
    out.write(0xc0);
    out.write(HEADER);
    short16(out, type);
    short16(out, CLASS_IN);
    int32(out, ttl);
    short16(out, rdata.length);
    out.writeBytes(rdata);
  }

  /** Appends one resource record with an explicit (uncompressed) owner name. */
  static void record(ByteArrayOutputStream out, byte[] owner, int type, int ttl, byte[] rdata) {
    out.writeBytes(owner);
    short16(out, type);
    short16(out, CLASS_IN);
    int32(out, ttl);
    short16(out, rdata.length);
    out.writeBytes(rdata);
  }

  static byte[] srv(int priority, int weight, int port, String target) {
    var out = new ByteArrayOutputStream();
    short16(out, priority);
    short16(out, weight);
    short16(out, port);
    out.writeBytes(name(target));
    return out.toByteArray();
  }

  static byte[] txt(String text) {
    byte[] b = text.getBytes(StandardCharsets.UTF_8);
    byte[] out = new byte[b.length + 1];
    out[0] = (byte) b.length;
    System.arraycopy(b, 0, out, 1, b.length);
    return out;
  }

  /** SOA rdata: {@code ns.dns.<apex>} and {@code hostmaster.<apex>}, as CoreDNS names them. */
  static byte[] soa(String apex, long serial, int minimum) {
    var out = new ByteArrayOutputStream();
    String suffix = apex.isEmpty() ? "" : "." + apex;
    out.writeBytes(name("ns.dns" + suffix));
    out.writeBytes(name("hostmaster" + suffix));
    int32(out, (int) serial);
    int32(out, 7200); // refresh
    int32(out, 1800); // retry
    int32(out, 86400); // expire
    int32(out, minimum);
    return out.toByteArray();
  }

  static void short16(ByteArrayOutputStream out, int v) {
    out.write((v >>> 8) & 0xff);
    out.write(v & 0xff);
  }

  static void int32(ByteArrayOutputStream out, int v) {
    out.write((v >>> 24) & 0xff);
    out.write((v >>> 16) & 0xff);
    out.write((v >>> 8) & 0xff);
    out.write(v & 0xff);
  }

  /** The name of a response code, as the metrics label it. */
  static String rcodeName(int rcode) {
    return switch (rcode) {
      case NOERROR -> "NOERROR";
      case FORMERR -> "FORMERR";
      case SERVFAIL -> "SERVFAIL";
      case NXDOMAIN -> "NXDOMAIN";
      case NOTIMP -> "NOTIMP";
      case REFUSED -> "REFUSED";
      case 16 -> "BADVERS";
      default -> Integer.toString(rcode);
    };
  }
}
