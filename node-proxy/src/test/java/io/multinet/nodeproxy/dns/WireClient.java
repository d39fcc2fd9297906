package io.multinet.nodeproxy.dns;

import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.channel.socket.DatagramPacket;
import io.netty.handler.codec.dns.AbstractDnsOptPseudoRrRecord;
import io.netty.handler.codec.dns.DatagramDnsQuery;
import io.netty.handler.codec.dns.DatagramDnsQueryEncoder;
import io.netty.handler.codec.dns.DatagramDnsResponseDecoder;
import io.netty.handler.codec.dns.DefaultDnsQuestion;
import io.netty.handler.codec.dns.DefaultDnsRecordDecoder;
import io.netty.handler.codec.dns.DnsPtrRecord;
import io.netty.handler.codec.dns.DnsRawRecord;
import io.netty.handler.codec.dns.DnsRecord;
import io.netty.handler.codec.dns.DnsRecordType;
import io.netty.handler.codec.dns.DnsResponse;
import io.netty.handler.codec.dns.DnsSection;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.net.DatagramSocket;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * A DNS client for the tests: queries written and responses read by netty's DNS codec (an
 * implementation independent of the server's own parser), sent over real UDP and TCP sockets.
 */
final class WireClient implements AutoCloseable {

  private static final InetSocketAddress ANY = new InetSocketAddress(0);

  private final DatagramSocket socket;

  /** A client whose UDP queries leave from {@code local} (an address of loopback). */
  WireClient(InetAddress local) throws IOException {
    socket = new DatagramSocket(new InetSocketAddress(local, 0));
    socket.setSoTimeout(2000);
  }

  /** A decoded response: rcode, flags and the answer section as text. */
  record Answer(
      int id,
      String question,
      int rcode,
      boolean authoritative,
      boolean truncated,
      List<String> answers,
      List<String> authority,
      int additional) {}

  private static final class Edns extends AbstractDnsOptPseudoRrRecord {
    Edns(int payload) {
      super(payload);
    }
  }

  /** A query for {@code name} of {@code type}, with EDNS0 when {@code payload} > 0. */
  static byte[] query(int id, String name, DnsRecordType type, int payload) {
    var q = new DatagramDnsQuery(ANY, ANY, id).setRecursionDesired(true);
    q.addRecord(DnsSection.QUESTION, new DefaultDnsQuestion(name, type));
    if (payload > 0) {
      q.addRecord(DnsSection.ADDITIONAL, new Edns(payload));
    }
    var ch = new EmbeddedChannel(new DatagramDnsQueryEncoder());
    ch.writeOutbound(q);
    DatagramPacket p = ch.readOutbound();
    byte[] out = ByteBufUtil.getBytes(p.content());
    p.release();
    ch.finishAndReleaseAll();
    return out;
  }

  /** Sends {@code query} over UDP; null when nothing came back within 2 s. */
  byte @Nullable [] udp(InetSocketAddress server, byte[] query) throws IOException {
    send(server, query);
    return receive();
  }

  void send(InetSocketAddress server, byte[] query) throws IOException {
    socket.send(new java.net.DatagramPacket(query, query.length, server));
  }

  void timeout(Duration timeout) throws IOException {
    socket.setSoTimeout((int) timeout.toMillis());
  }

  byte @Nullable [] receive() throws IOException {
    byte[] buf = new byte[65535];
    var p = new java.net.DatagramPacket(buf, buf.length);
    try {
      socket.receive(p);
    } catch (SocketTimeoutException e) {
      return null;
    }
    return java.util.Arrays.copyOf(buf, p.getLength());
  }

  /** Sends {@code query} over TCP (a fresh connection) and reads one response. */
  static byte[] tcp(InetSocketAddress server, byte[] query) throws IOException {
    try (var s = new Socket()) {
      s.connect(server, 2000);
      s.setSoTimeout(2000);
      var out = new DataOutputStream(s.getOutputStream());
      out.writeShort(query.length);
      out.write(query);
      out.flush();
      var in = new DataInputStream(s.getInputStream());
      int len = in.readUnsignedShort();
      byte[] r = new byte[len];
      in.readFully(r);
      return r;
    }
  }

  /** Decodes a response with netty's decoder; answers as {@code name TYPE data}. */
  static Answer decode(byte[] response) {
    var ch = new EmbeddedChannel(new DatagramDnsResponseDecoder());
    ch.writeInbound(new DatagramPacket(Unpooled.wrappedBuffer(response), ANY, ANY));
    DnsResponse r = ch.readInbound();
    try {
      List<String> answers = new ArrayList<>();
      for (int i = 0; i < r.count(DnsSection.ANSWER); i++) {
        answers.add(text(r.recordAt(DnsSection.ANSWER, i)));
      }
      List<String> authority = new ArrayList<>();
      for (int i = 0; i < r.count(DnsSection.AUTHORITY); i++) {
        authority.add(text(r.recordAt(DnsSection.AUTHORITY, i)));
      }
      return new Answer(
          r.id(),
          r.count(DnsSection.QUESTION) == 0 ? "" : r.recordAt(DnsSection.QUESTION).name(),
          r.code().intValue(),
          r.isAuthoritativeAnswer(),
          r.isTruncated(),
          answers,
          authority,
          r.count(DnsSection.ADDITIONAL));
    } finally {
      r.release();
      ch.finishAndReleaseAll();
    }
  }

  private static String text(DnsRecord rec) {
    String head = rec.name() + " " + rec.type().name() + " ";
    if (rec instanceof DnsPtrRecord p) {
      return head + p.hostname();
    }
    ByteBuf c = ((DnsRawRecord) rec).content().duplicate();
    int type = rec.type().intValue();
    return switch (type) {
      case 1, 28 -> {
        byte[] b = new byte[c.readableBytes()];
        c.readBytes(b);
        try {
          yield head + InetAddress.getByAddress(b).getHostAddress();
        } catch (IOException e) {
          throw new IllegalStateException(e);
        }
      }
      case 33 -> {
        int priority = c.readUnsignedShort();
        int weight = c.readUnsignedShort();
        int port = c.readUnsignedShort();
        yield head
            + priority
            + " "
            + weight
            + " "
            + port
            + " "
            + DefaultDnsRecordDecoder.decodeName(c);
      }
      case 5 -> head + DefaultDnsRecordDecoder.decodeName(c);
      case 16 -> {
        int len = c.readUnsignedByte();
        yield head + c.readCharSequence(len, java.nio.charset.StandardCharsets.UTF_8);
      }
      case 6 -> head + DefaultDnsRecordDecoder.decodeName(c);
      default -> head + ByteBufUtil.hexDump(c);
    };
  }

  @Override
  public void close() {
    socket.close();
  }
}
