package io.multinet.dataplane.lab;

import static java.util.Objects.requireNonNull;

import io.multinet.dataplane.Netns;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.AddressedEnvelope;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.channel.socket.DatagramPacket;
import io.netty.handler.codec.dns.DatagramDnsQuery;
import io.netty.handler.codec.dns.DatagramDnsQueryEncoder;
import io.netty.handler.codec.dns.DatagramDnsResponseDecoder;
import io.netty.handler.codec.dns.DefaultDnsQuery;
import io.netty.handler.codec.dns.DefaultDnsQuestion;
import io.netty.handler.codec.dns.DefaultDnsRecordDecoder;
import io.netty.handler.codec.dns.DnsPtrRecord;
import io.netty.handler.codec.dns.DnsRawRecord;
import io.netty.handler.codec.dns.DnsRecord;
import io.netty.handler.codec.dns.DnsRecordType;
import io.netty.handler.codec.dns.DnsResponse;
import io.netty.handler.codec.dns.DnsSection;
import io.netty.handler.codec.dns.TcpDnsQueryEncoder;
import io.netty.handler.codec.dns.TcpDnsResponseDecoder;
import java.io.DataInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.net.UnknownHostException;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.ThreadLocalRandom;
import org.jspecify.annotations.Nullable;

/**
 * A DNS client in one namespace, as an application there would query its resolver: one question
 * over UDP or TCP, the answer section as text ({@code A 10.96.0.10}, {@code SRV 0 100 80
 * web.demo.svc.cluster.local.}). The wire format is netty's DNS codec; the socket is the JDK's,
 * created inside the namespace.
 */
public final class DnsProbe {

  /**
   * What came back.
   *
   * @param rcode the response code's name ({@code NOERROR}, {@code NXDOMAIN}, ...), or {@code
   *     TIMEOUT} when nothing came back in time
   * @param truncated the TC bit
   * @param answers the answer section, one {@code TYPE DATA} string per record, in order
   */
  public record Answer(String rcode, boolean truncated, List<String> answers) {
    public Answer {
      requireNonNull(rcode, "rcode");
      answers = List.copyOf(requireNonNull(answers, "answers"));
    }

    /** The data of the answers of {@code type} ({@code A}, {@code AAAA}, ...). */
    public List<String> data(String type) {
      String prefix = type.toUpperCase(Locale.ROOT) + " ";
      return answers.stream()
          .filter(a -> a.startsWith(prefix))
          .map(a -> a.substring(prefix.length()))
          .toList();
    }
  }

  private final @Nullable String netns;
  private final Duration timeout;

  private DnsProbe(@Nullable String netns, Duration timeout) {
    this.netns = netns;
    this.timeout = timeout;
  }

  /** A client in namespace {@code netns}; null: the caller's namespace. */
  public static DnsProbe from(@Nullable String netns) {
    return new DnsProbe(netns, Duration.ofSeconds(2));
  }

  public DnsProbe timeout(Duration value) {
    if (value.toMillis() < 1) {
      throw new IllegalArgumentException("timeout: " + value + " (expected: at least 1 ms)");
    }
    return new DnsProbe(netns, value);
  }

  /** One question over UDP to {@code server}:{@code port}. */
  public Answer udp(String server, int port, String name, String type) throws Exception {
    InetSocketAddress to = new InetSocketAddress(InetAddress.ofLiteral(server), port);
    byte[] query = encode(to, name, type, false);
    return Netns.call(
        netns,
        () -> {
          try (DatagramChannel ch = DatagramChannel.open()) {
            ch.connect(to);
            ch.write(ByteBuffer.wrap(query));
            ch.configureBlocking(false);
            ByteBuffer in = ByteBuffer.allocate(65535);
            long deadline = System.nanoTime() + timeout.toNanos();
            var selector = java.nio.channels.Selector.open();
            try (selector) {
              ch.register(selector, java.nio.channels.SelectionKey.OP_READ);
              while (System.nanoTime() < deadline) {
                long left = Math.max(1, (deadline - System.nanoTime()) / 1_000_000);
                if (selector.select(left) > 0) {
                  selector.selectedKeys().clear();
                  try {
                    if (ch.read(in) > 0) {
                      in.flip();
                      byte[] bytes = new byte[in.remaining()];
                      in.get(bytes);
                      return decodeUdp(bytes, to);
                    }
                  } catch (java.net.PortUnreachableException e) {
                    return new Answer("UNREACHABLE", false, List.of());
                  }
                }
              }
            }
            return new Answer("TIMEOUT", false, List.of());
          }
        });
  }

  /** One question over TCP to {@code server}:{@code port}. */
  public Answer tcp(String server, int port, String name, String type) throws Exception {
    InetSocketAddress to = new InetSocketAddress(InetAddress.ofLiteral(server), port);
    byte[] query = encode(to, name, type, true);
    return Netns.call(
        netns,
        () -> {
          try (Socket s = new Socket()) {
            try {
              s.connect(to, (int) timeout.toMillis());
            } catch (SocketTimeoutException e) {
              return new Answer("TIMEOUT", false, List.of());
            } catch (java.net.ConnectException | java.net.NoRouteToHostException e) {
              return new Answer("UNREACHABLE", false, List.of());
            }
            s.setSoTimeout((int) timeout.toMillis());
            OutputStream out = s.getOutputStream();
            out.write(query);
            out.flush();
            InputStream raw = s.getInputStream();
            var in = new DataInputStream(raw);
            try {
              int length = in.readUnsignedShort();
              byte[] body = new byte[length];
              in.readFully(body);
              return decodeTcp(length, body);
            } catch (SocketTimeoutException e) {
              return new Answer("TIMEOUT", false, List.of());
            } catch (java.io.EOFException e) {
              return new Answer("CLOSED", false, List.of());
            }
          }
        });
  }

  private static byte[] encode(InetSocketAddress to, String name, String type, boolean tcp) {
    DnsRecordType t = DnsRecordType.valueOf(type.toUpperCase(Locale.ROOT));
    int id = ThreadLocalRandom.current().nextInt(1 << 16);
    var question = new DefaultDnsQuestion(name.endsWith(".") ? name : name + ".", t);
    EmbeddedChannel ch =
        tcp
            ? new EmbeddedChannel(new TcpDnsQueryEncoder())
            : new EmbeddedChannel(new DatagramDnsQueryEncoder());
    try {
      Object msg;
      if (tcp) {
        msg =
            new DefaultDnsQuery(id)
                .setRecursionDesired(true)
                .setRecord(DnsSection.QUESTION, question);
      } else {
        msg =
            new DatagramDnsQuery(new InetSocketAddress(0), to, id)
                .setRecursionDesired(true)
                .setRecord(DnsSection.QUESTION, question);
      }
      ch.writeOutbound(msg);
      Object out = ch.readOutbound();
      ByteBuf buf = out instanceof DatagramPacket p ? p.content() : (ByteBuf) requireNonNull(out);
      try {
        byte[] bytes = new byte[buf.readableBytes()];
        buf.readBytes(bytes);
        return bytes;
      } finally {
        buf.release();
      }
    } finally {
      ch.finishAndReleaseAll();
    }
  }

  private static Answer decodeUdp(byte[] bytes, InetSocketAddress from) throws IOException {
    EmbeddedChannel ch = new EmbeddedChannel(new DatagramDnsResponseDecoder());
    try {
      ch.writeInbound(
          new DatagramPacket(Unpooled.wrappedBuffer(bytes), new InetSocketAddress(0), from));
      return answer(ch.readInbound());
    } finally {
      ch.finishAndReleaseAll();
    }
  }

  private static Answer decodeTcp(int length, byte[] body) throws IOException {
    EmbeddedChannel ch = new EmbeddedChannel(new TcpDnsResponseDecoder());
    try {
      ByteBuf framed = Unpooled.buffer(2 + body.length).writeShort(length).writeBytes(body);
      ch.writeInbound(framed);
      return answer(ch.readInbound());
    } finally {
      ch.finishAndReleaseAll();
    }
  }

  private static Answer answer(@Nullable Object decoded) throws IOException {
    if (!(decoded instanceof DnsResponse r)) {
      throw new IOException("not a DNS response: " + decoded);
    }
    try {
      List<String> answers = new ArrayList<>();
      for (int i = 0; i < r.count(DnsSection.ANSWER); i++) {
        answers.add(text(r.recordAt(DnsSection.ANSWER, i)));
      }
      return new Answer(r.code().toString().replaceFirst("\\(.*", ""), r.isTruncated(), answers);
    } finally {
      if (decoded instanceof AddressedEnvelope<?, ?> e) {
        e.release();
      } else {
        r.release();
      }
    }
  }

  private static String text(DnsRecord record) throws UnknownHostException {
    String type = record.type().name();
    if (record instanceof DnsPtrRecord p) {
      return type + " " + p.hostname();
    }
    if (!(record instanceof DnsRawRecord raw)) {
      return type;
    }
    ByteBuf c = raw.content();
    int type16 = record.type().intValue();
    if (type16 == DnsRecordType.A.intValue() || type16 == DnsRecordType.AAAA.intValue()) {
      byte[] b = new byte[c.readableBytes()];
      c.getBytes(c.readerIndex(), b);
      return type + " " + InetAddress.getByAddress(b).getHostAddress();
    }
    if (type16 == DnsRecordType.CNAME.intValue() || type16 == DnsRecordType.NS.intValue()) {
      return type + " " + DefaultDnsRecordDecoder.decodeName(c.duplicate());
    }
    if (type16 == DnsRecordType.SRV.intValue()) {
      ByteBuf d = c.duplicate();
      int priority = d.readUnsignedShort();
      int weight = d.readUnsignedShort();
      int port = d.readUnsignedShort();
      return type
          + " "
          + priority
          + " "
          + weight
          + " "
          + port
          + " "
          + DefaultDnsRecordDecoder.decodeName(d);
    }
    if (type16 == DnsRecordType.TXT.intValue()) {
      ByteBuf d = c.duplicate();
      StringBuilder b = new StringBuilder();
      while (d.isReadable()) {
        int n = d.readUnsignedByte();
        b.append(b.isEmpty() ? "" : " ").append(d.readCharSequence(n, StandardCharsets.UTF_8));
      }
      return type + " " + b;
    }
    return type + " (" + c.readableBytes() + " bytes)";
  }
}
