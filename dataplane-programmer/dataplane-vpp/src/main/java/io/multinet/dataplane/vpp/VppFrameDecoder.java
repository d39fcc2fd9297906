package io.multinet.dataplane.vpp;

import io.netty.buffer.ByteBuf;
import io.netty.channel.ChannelHandlerContext;
import io.netty.handler.codec.ByteToMessageDecoder;
import io.netty.handler.codec.CorruptedFrameException;
import java.util.List;

/**
 * Splits VPP's socket stream into message payloads. Every message, both ways, has a 16-byte header
 * ({@code msgbuf_t} in src/vlibapi/api_common.h): bytes 0-7 {@code q} (0 on the wire, ignored
 * here), 8-11 the payload length (big-endian u32), 12-15 {@code gc_mark_timestamp}.
 */
final class VppFrameDecoder extends ByteToMessageDecoder {

  static final int HEADER = 16;

  /** sockclnt_create_reply of a full VPP is ~60 KB; details are small. */
  static final int MAX_PAYLOAD = 16 << 20;

  /** Writes the header of a message whose payload of {@code length} bytes follows. */
  static void writeHeader(ByteBuf out, int length) {
    out.writeLong(0); // q
    out.writeInt(length);
    out.writeInt(0); // gc_mark_timestamp
  }

  @Override
  protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
    if (in.readableBytes() < HEADER) {
      return;
    }
    long length = in.getUnsignedInt(in.readerIndex() + 8);
    if (length < 2 || length > MAX_PAYLOAD) {
      throw new CorruptedFrameException(
          "VPP frame length: " + length + " (expected: 2-" + MAX_PAYLOAD + ")");
    }
    if (in.readableBytes() < HEADER + length) {
      return;
    }
    in.skipBytes(HEADER);
    out.add(in.readRetainedSlice((int) length));
  }
}
