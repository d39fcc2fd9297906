package io.multinet.nodeproxy.dns;

import static java.util.Objects.requireNonNull;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.Expiry;
import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.epoll.EpollDatagramChannel;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.socket.DatagramPacket;
import io.netty.handler.codec.LengthFieldBasedFrameDecoder;
import io.netty.handler.codec.dns.AbstractDnsOptPseudoRrRecord;
import io.netty.handler.codec.dns.DatagramDnsQuery;
import io.netty.handler.codec.dns.DatagramDnsQueryEncoder;
import io.netty.handler.codec.dns.DefaultDnsQuery;
import io.netty.handler.codec.dns.DefaultDnsQuestion;
import io.netty.handler.codec.dns.DnsQuery;
import io.netty.handler.codec.dns.DnsRecord;
import io.netty.handler.codec.dns.DnsRecordType;
import io.netty.handler.codec.dns.DnsSection;
import io.netty.handler.codec.dns.TcpDnsQueryEncoder;
import io.netty.util.concurrent.ScheduledFuture;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.logging.Level;
import java.util.logging.Logger;
import org.jspecify.annotations.Nullable;

/**
 * Sends one network's names outside its cluster domain to its upstreams: UDP first, the same query
 * over TCP when the UDP answer is truncated, the next upstream after a timeout, SERVFAIL when none
 * answers. Answers are cached by (network, name, type) for their smallest TTL (RFC 2308 for
 * negative answers: the SOA's), capped at an hour; the cache keeps them without OPT, so one entry
 * serves clients with and without EDNS, and TTLs are counted down when served.
 *
 * <p>Upstream queries are written with netty's DNS codec. A network with upstreams of its own asks
 * them from a socket marked with the network's mark (routed into the network as its replies are);
 * the node's resolvers are asked from an unmarked one.
 */
// Netty futures here either have listeners or are fire-and-forget closes and timers.
@SuppressWarnings("FutureReturnValueIgnored")
final class Forwarder implements AutoCloseable {

  private static final Logger LOG = Logger.getLogger(Forwarder.class.getName());
  private static final long MAX_TTL = 3600;

  /** A cached answer's key: names are lowercase; the class is IN. */
  record Key(int network, String name, int type) {}

  /**
   * An upstream answer as kept: the message without OPT (id 0), where its TTLs are, the smallest of
   * them, and when it was stored.
   */
  @SuppressWarnings("ArrayRecordComponent") // never compared
  record Cached(byte[] message, int[] ttlOffsets, long ttl, int rcode, int questionEnd, long at) {}

  /** One query on its way upstream. */
  private static final class Pending {
    final Zone zone;
    final Responder.Request request;
    int upstream;
    int id;
    @Nullable ScheduledFuture<?> timeout;

    Pending(Zone zone, Responder.Request request) {
      this.zone = zone;
      this.request = request;
    }

    InetSocketAddress target() {
      return zone.upstreams.get(upstream);
    }
  }

  static Cache<Key, Cached> cache(int entries) {
    return Caffeine.newBuilder()
        .maximumSize(entries)
        .expireAfter(
            new Expiry<Key, Cached>() {
              @Override
              public long expireAfterCreate(Key key, Cached value, long currentTime) {
                return TimeUnit.SECONDS.toNanos(value.ttl());
              }

              @Override
              public long expireAfterUpdate(
                  Key key, Cached value, long currentTime, long currentDuration) {
                return TimeUnit.SECONDS.toNanos(value.ttl());
              }

              @Override
              public long expireAfterRead(
                  Key key, Cached value, long currentTime, long currentDuration) {
                return currentDuration;
              }
            })
        .build();
  }

  private final EventLoopGroup group;
  private final Cache<Key, Cached> cache;
  private final boolean caching;
  private final long timeoutNanos;
  private final int mark;
  private final DnsMetrics.Network metrics;
  private final Map<Integer, Pending> pending = new ConcurrentHashMap<>();
  private volatile @Nullable Channel plain;
  private volatile @Nullable Channel marked;

  Forwarder(
      EventLoopGroup group,
      Cache<Key, Cached> cache,
      boolean caching,
      Duration timeout,
      int mark,
      DnsMetrics.Network metrics) {
    this.group = requireNonNull(group, "group");
    this.cache = requireNonNull(cache, "cache");
    this.caching = caching;
    this.timeoutNanos = timeout.toNanos();
    this.mark = mark;
    this.metrics = requireNonNull(metrics, "metrics");
  }

  /** Binds the upstream sockets (on an event-loop thread: in the server's namespace). */
  void start() throws Exception {
    plain = bindUdp(0).syncUninterruptibly().channel();
    if (mark != 0) {
      marked = bindUdp(mark).syncUninterruptibly().channel();
    }
  }

  private ChannelFuture bindUdp(int soMark) throws Exception {
    var b =
        new Bootstrap()
            .group(group)
            .channel(EpollDatagramChannel.class)
            .handler(
                new ChannelInitializer<Channel>() {
                  @Override
                  protected void initChannel(Channel ch) {
                    ch.pipeline().addLast(new DatagramDnsQueryEncoder(), new UdpAnswers());
                  }
                });
    if (soMark != 0) {
      b.option(DnsServer.SO_MARK, soMark);
    }
    return group.next().submit(() -> b.bind(new InetSocketAddress(0))).get();
  }

  void forward(Zone zone, Responder.Request r) {
    if (caching) {
      Cached c = cache.getIfPresent(new Key(zone.networkId, r.name(), r.type()));
      if (c != null) {
        metrics.cacheHits.increment();
        answer(r, c);
        return;
      }
    }
    if (zone.upstreams.isEmpty()) {
      servfail(r);
      return;
    }
    metrics.forwarded.increment();
    send(new Pending(zone, r));
  }

  private void send(Pending p) {
    Channel ch = p.zone.ownUpstreams && marked != null ? marked : plain;
    if (ch == null || !ch.isActive()) {
      servfail(p.request);
      return;
    }
    int id;
    do {
      id = ThreadLocalRandom.current().nextInt(1, 65536);
    } while (pending.putIfAbsent(id, p) != null);
    p.id = id;
    var query = new DatagramDnsQuery(null, p.target(), id);
    fill(query, p.request);
    ch.writeAndFlush(query);
    int sent = id;
    p.timeout =
        ch.eventLoop().schedule(() -> timedOut(p, sent), timeoutNanos, TimeUnit.NANOSECONDS);
  }

  private static void fill(DnsQuery query, Responder.Request r) {
    query.setRecursionDesired(true);
    query.addRecord(
        DnsSection.QUESTION,
        new DefaultDnsQuestion(
            r.name() + ".", DnsRecordType.valueOf(r.type()), DnsRecord.CLASS_IN));
    query.addRecord(DnsSection.ADDITIONAL, new Edns());
  }

  private void timedOut(Pending p, int id) {
    if (pending.remove(id, p)) {
      next(p);
    }
  }

  private void next(Pending p) {
    p.upstream++;
    if (p.upstream < p.zone.upstreams.size()) {
      send(p);
    } else {
      servfail(p.request);
    }
  }

  /**
   * Answers from upstreams over UDP; anything that is not the answer to a pending query is dropped.
   */
  private final class UdpAnswers extends SimpleChannelInboundHandler<DatagramPacket> {
    @Override
    protected void channelRead0(ChannelHandlerContext ctx, DatagramPacket packet) {
      ByteBuf m = packet.content();
      if (m.readableBytes() < Wire.HEADER) {
        return;
      }
      int id = m.getUnsignedShort(m.readerIndex());
      Pending p = pending.get(id);
      if (p == null || !packet.sender().equals(p.target()) || !answers(m, p.request)) {
        return; // late, spoofed or for another question
      }
      if (!pending.remove(id, p)) {
        return;
      }
      ScheduledFuture<?> t = p.timeout;
      if (t != null) {
        t.cancel(false);
      }
      if ((m.getUnsignedShort(m.readerIndex() + 2) & Wire.TC) != 0) {
        tcp(p);
      } else {
        complete(p, m);
      }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      LOG.log(Level.FINE, "upstream socket", cause);
    }
  }

  /** The same query over TCP to the same upstream (its UDP answer was truncated). */
  private void tcp(Pending p) {
    Bootstrap b =
        new Bootstrap()
            .group(group)
            .channel(EpollSocketChannel.class)
            .option(
                ChannelOption.CONNECT_TIMEOUT_MILLIS, (int) Math.max(1, timeoutNanos / 1_000_000))
            .handler(
                new ChannelInitializer<Channel>() {
                  @Override
                  protected void initChannel(Channel ch) {
                    ch.pipeline()
                        .addLast(
                            new TcpDnsQueryEncoder(),
                            new LengthFieldBasedFrameDecoder(65535, 0, 2, 0, 2),
                            new TcpAnswer(p));
                  }
                });
    if (p.zone.ownUpstreams && mark != 0) {
      b.option(DnsServer.SO_MARK, mark);
    }
    // Connected from an event-loop thread: the socket is made in the server's namespace.
    group
        .next()
        .execute(
            () ->
                b.connect(p.target())
                    .addListener(
                        (ChannelFuture f) -> {
                          if (!f.isSuccess()) {
                            next(p);
                            return;
                          }
                          var query = new DefaultDnsQuery(p.id);
                          fill(query, p.request);
                          f.channel().writeAndFlush(query);
                          f.channel()
                              .eventLoop()
                              .schedule(
                                  () -> {
                                    f.channel().close();
                                  },
                                  timeoutNanos,
                                  TimeUnit.NANOSECONDS);
                        }));
  }

  private final class TcpAnswer extends SimpleChannelInboundHandler<ByteBuf> {
    private final Pending p;
    private boolean done;

    TcpAnswer(Pending p) {
      this.p = p;
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, ByteBuf m) {
      if (done) {
        return;
      }
      done = true;
      ctx.close();
      if (m.readableBytes() < Wire.HEADER
          || m.getUnsignedShort(m.readerIndex()) != p.id
          || !answers(m, p.request)) {
        next(p);
        return;
      }
      complete(p, m);
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
      if (!done) {
        done = true;
        next(p);
      }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      ctx.close();
    }
  }

  /** Whether {@code m} is a response to {@code r}'s question. */
  private static boolean answers(ByteBuf m, Responder.Request r) {
    int b = m.readerIndex();
    int end = m.writerIndex();
    if ((m.getUnsignedShort(b + 2) & Wire.QR) == 0 || m.getUnsignedShort(b + 4) != 1) {
      return false;
    }
    var sb = new StringBuilder(r.name().length());
    int p = b + Wire.HEADER;
    while (p < end) {
      int len = m.getUnsignedByte(p);
      if (len == 0) {
        p++;
        break;
      }
      if (len > 63 || p + 1 + len > end) {
        return false;
      }
      if (!sb.isEmpty()) {
        sb.append('.');
      }
      for (int i = 1; i <= len; i++) {
        sb.append((char) m.getUnsignedByte(p + i));
      }
      p += 1 + len;
    }
    return p + 4 <= end
        && sb.toString().toLowerCase(Locale.ROOT).equals(r.name())
        && m.getUnsignedShort(p) == r.type();
  }

  private void complete(Pending p, ByteBuf m) {
    Cached c = parse(m, System.nanoTime());
    if (c == null) {
      next(p); // malformed: ask the next upstream
      return;
    }
    if (caching && c.ttl() > 0 && (c.rcode() == Wire.NOERROR || c.rcode() == Wire.NXDOMAIN)) {
      cache.put(new Key(p.zone.networkId, p.request.name(), p.request.type()), c);
    }
    answer(p.request, c);
  }

  /**
   * An upstream message as cached, or null when it is malformed. OPT (and whatever follows it) is
   * cut off; the answer, authority and remaining additional records keep their bytes.
   */
  static @Nullable Cached parse(ByteBuf m, long now) {
    int b = m.readerIndex();
    int end = m.writerIndex();
    int an = m.getUnsignedShort(b + 6);
    int ns = m.getUnsignedShort(b + 8);
    int ar = m.getUnsignedShort(b + 10);
    int p = Wire.skipName(m, b + Wire.HEADER, end);
    if (p < 0 || p + 4 > end) {
      return null;
    }
    p += 4;
    int questionEnd = p - b;
    int[] offsets = new int[an + ns + ar];
    int count = 0;
    long min = Long.MAX_VALUE;
    int kept = 0;
    int cut = -1;
    for (int i = 0; i < an + ns + ar; i++) {
      int np = Wire.skipName(m, p, end);
      if (np < 0 || np + 10 > end) {
        return null;
      }
      int type = m.getUnsignedShort(np);
      int rdlen = m.getUnsignedShort(np + 8);
      if (np + 10 + rdlen > end) {
        return null;
      }
      if (type == Wire.OPT) {
        if (i < an + ns) {
          return null;
        }
        cut = p;
        break;
      }
      long ttl = m.getUnsignedInt(np + 4);
      min = Math.min(min, ttl > Integer.MAX_VALUE ? 0 : ttl);
      offsets[count++] = np + 4 - b;
      if (i >= an + ns) {
        kept++;
      }
      p = np + 10 + rdlen;
    }
    int length = (cut < 0 ? p : cut) - b;
    byte[] message = new byte[length];
    m.getBytes(b, message);
    message[0] = 0;
    message[1] = 0;
    message[10] = (byte) (kept >>> 8);
    message[11] = (byte) kept;
    int rcode = m.getUnsignedShort(b + 2) & 0xf;
    long ttl = min == Long.MAX_VALUE ? 0 : Math.min(min, MAX_TTL);
    return new Cached(message, Arrays.copyOf(offsets, count), ttl, rcode, questionEnd, now);
  }

  /** Answers {@code r} from {@code c}: its id, its question's case, TTLs counted down. */
  private void answer(Responder.Request r, Cached c) {
    Responder.Reply reply = r.reply();
    byte[] m = c.message();
    int size = m.length + (r.opt() ? 11 : 0);
    int flags = ((m[2] & 0xff) << 8 | (m[3] & 0xff)) & ~(Wire.AA | Wire.TC | Wire.RD | 0x70);
    if (size > r.limit()) {
      ByteBuf out = reply.alloc().buffer(Wire.HEADER + r.question().length + 11);
      out.writeShort(r.id());
      out.writeShort(flags | Wire.TC | r.rd() | Wire.RA);
      out.writeShort(1);
      out.writeShort(0);
      out.writeShort(0);
      out.writeShort(r.opt() ? 1 : 0);
      out.writeBytes(r.question());
      if (r.opt()) {
        Responder.writeOpt(out, 0, r.dnssecOk());
      }
      reply.send(out, c.rcode());
      return;
    }
    ByteBuf out = reply.alloc().buffer(size);
    int start = out.writerIndex();
    out.writeBytes(m);
    out.setShort(start, r.id());
    out.setShort(start + 2, flags | r.rd() | Wire.RA);
    if (c.questionEnd() - Wire.HEADER == r.question().length) {
      out.setBytes(start + Wire.HEADER, r.question());
    }
    long elapsed = TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - c.at());
    for (int off : c.ttlOffsets()) {
      long ttl = out.getUnsignedInt(start + off);
      out.setInt(start + off, (int) Math.max(0, ttl - elapsed));
    }
    if (r.opt()) {
      int ar = out.getUnsignedShort(start + 10);
      out.setShort(start + 10, ar + 1);
      Responder.writeOpt(out, 0, r.dnssecOk());
    }
    reply.send(out, c.rcode());
  }

  private static void servfail(Responder.Request r) {
    Responder.Reply reply = r.reply();
    ByteBuf out = reply.alloc().buffer(Wire.HEADER + r.question().length + 11);
    out.writeShort(r.id());
    out.writeShort(Wire.QR | r.rd() | Wire.RA | Wire.SERVFAIL);
    out.writeShort(1);
    out.writeShort(0);
    out.writeShort(0);
    out.writeShort(r.opt() ? 1 : 0);
    out.writeBytes(r.question());
    if (r.opt()) {
      Responder.writeOpt(out, 0, r.dnssecOk());
    }
    reply.send(out, Wire.SERVFAIL);
  }

  /** Pending queries are forgotten (their clients retry); the sockets close. */
  @Override
  public void close() {
    for (var e : List.copyOf(pending.entrySet())) {
      if (pending.remove(e.getKey(), e.getValue())) {
        ScheduledFuture<?> t = e.getValue().timeout;
        if (t != null) {
          t.cancel(false);
        }
      }
    }
    Channel a = plain;
    Channel b = marked;
    if (a != null) {
      a.close().syncUninterruptibly();
    }
    if (b != null) {
      b.close().syncUninterruptibly();
    }
  }

  /** EDNS0 with our payload size and no options (no client subnet: nothing leaves about it). */
  private static final class Edns extends AbstractDnsOptPseudoRrRecord {
    Edns() {
      super(Wire.EDNS_PAYLOAD);
    }
  }
}
