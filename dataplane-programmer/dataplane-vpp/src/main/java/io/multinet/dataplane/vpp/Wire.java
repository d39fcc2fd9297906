package io.multinet.dataplane.vpp;

import io.multinet.network.IpAddress;
import io.netty.buffer.ByteBuf;
import java.nio.charset.StandardCharsets;

/**
 * VPP's packed, big-endian field encodings: fixed strings, {@code vl_api_address_t} and length
 * checks. Netty's ByteBuf is big-endian, like VPP's wire format.
 */
final class Wire {

  /** {@code vl_api_address_t}: {@code u8 af} then the 16-byte {@code address_union}. */
  static final int ADDRESS = 17;

  /** {@code sw_if_index} ~0: the endpoint is an address, not an interface. */
  static final int NO_INTERFACE = 0xffff_ffff;

  private Wire() {}

  /** A {@code string x[len]}: zero-padded, always NUL-terminated within {@code len}. */
  static void writeString(ByteBuf out, String s, int len) {
    byte[] b = s.getBytes(StandardCharsets.UTF_8);
    if (b.length >= len) {
      throw new IllegalArgumentException(
          "string: '" + s + "' is " + b.length + " bytes (expected: at most " + (len - 1) + ")");
    }
    out.writeBytes(b);
    out.writeZero(len - b.length);
  }

  static String readString(ByteBuf in, int len) {
    int start = in.readerIndex();
    int n = 0;
    while (n < len && in.getByte(start + n) != 0) {
      n++;
    }
    String s = in.toString(start, n, StandardCharsets.UTF_8);
    in.skipBytes(len);
    return s;
  }

  static void writeAddress(ByteBuf out, IpAddress a) {
    out.writeByte(a.isV4() ? 0 : 1);
    byte[] b = a.toBytes();
    out.writeBytes(b);
    out.writeZero(16 - b.length); // ip4 is the union's first member: the rest stays zero
  }

  static IpAddress readAddress(ByteBuf in) {
    int af = in.readUnsignedByte();
    byte[] b = new byte[16];
    in.readBytes(b);
    return switch (af) {
      case 0 -> IpAddress.of(java.util.Arrays.copyOf(b, 4));
      case 1 -> IpAddress.of(b);
      default -> throw new IllegalArgumentException("address: af " + af + " (expected: 0 or 1)");
    };
  }

  /** Throws unless {@code in} holds at least {@code need} more bytes of {@code what}. */
  static void need(ByteBuf in, int need, String what) {
    if (in.readableBytes() < need) {
      throw new IllegalArgumentException(
          what + ": " + in.readableBytes() + " bytes left (expected: at least " + need + ")");
    }
  }
}
