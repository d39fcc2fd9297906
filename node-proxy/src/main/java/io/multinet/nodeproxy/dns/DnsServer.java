package io.multinet.nodeproxy.dns;

import static java.util.Objects.requireNonNull;

import com.github.benmanes.caffeine.cache.Cache;
import io.multinet.dataplane.Netns;
import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufAllocator;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.FixedRecvByteBufAllocator;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollChannelOption;
import io.netty.channel.epoll.EpollDatagramChannel;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.socket.DatagramPacket;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.unix.IntegerUnixChannelOption;
import io.netty.handler.codec.LengthFieldBasedFrameDecoder;
import io.netty.handler.codec.LengthFieldPrepender;
import io.netty.handler.timeout.IdleStateEvent;
import io.netty.handler.timeout.IdleStateHandler;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * The node's DNS server: per network with DNS, one UDP and one TCP listener on each listen address
 * ({@link DnsOptions#listenAddresses}), on one ephemeral port per network and family, with the
 * socket mark {@code id << 16} so that the kernel dataplane routes replies back into the network.
 * The network of a query is the listener it arrived on, never its source address (pod ranges
 * overlap between networks). {@link #update} takes each sync's {@link DnsSnapshot}: its zones are
 * served from the next query on, listeners open and close as networks come and go, and {@link
 * #ports} says where each network listens (the dataplane steers {@code dnsIP:53} there).
 *
 * <p>Over the per-source rate a UDP query is dropped, not refused: a REFUSED reply costs the same
 * work and bandwidth as an answer and would reflect a spoofed flood onto its victim, while a real
 * client retries after its timeout (BIND's response rate limiting drops too). TCP sources cannot be
 * spoofed, so over TCP the answer is REFUSED.
 */
// Netty futures here are writes with void promises, closes and binds that are awaited.
@SuppressWarnings("FutureReturnValueIgnored")
public final class DnsServer implements AutoCloseable {

  private static final Logger LOG = Logger.getLogger(DnsServer.class.getName());

  /** setsockopt(SOL_SOCKET, SO_MARK): netty's epoll has no named option for it. */
  static final IntegerUnixChannelOption SO_MARK = new IntegerUnixChannelOption("SO_MARK", 1, 36);

  private static final int TCP_IDLE_SECONDS = 10;

  private final DnsOptions options;

  /** The longest UDP query read whole. */
  static final int MAX_QUERY = 4096;

  private final EventLoopGroup group;
  private final DnsMetrics metrics = new DnsMetrics();
  private final Cache<Forwarder.Key, Forwarder.Cached> cache;
  // Touched only under this object's lock (update, close).
  private final Map<Integer, Listener> listeners = new HashMap<>();
  private volatile DnsSnapshot snapshot = DnsSnapshot.EMPTY;
  private volatile Map<Integer, List<InetSocketAddress>> ports = Map.of();
  private boolean closed;

  /**
   * A server listening for no network yet: {@link #update} opens its listeners. Its threads live in
   * {@link DnsOptions#netns} (when set), so every socket it makes does too.
   *
   * @throws IllegalStateException when native epoll is not available
   */
  public DnsServer(DnsOptions options) {
    this.options = requireNonNull(options, "options");
    Epoll.ensureAvailability();
    this.cache = Forwarder.cache(Math.max(1, options.cacheEntries()));
    String netns = options.netns();
    AtomicInteger n = new AtomicInteger();
    ThreadFactory threads =
        r ->
            Thread.ofPlatform()
                .daemon()
                .name("dns-" + n.incrementAndGet())
                .unstarted(
                    () -> {
                      if (netns != null) {
                        Netns.enter(netns); // setns moves this thread only: enter before any socket
                      }
                      r.run();
                    });
    this.group =
        new MultiThreadIoEventLoopGroup(options.ioThreads(), threads, EpollIoHandler.newFactory());
  }

  /**
   * Serves {@code next}: its zones answer from the next query on; networks new in it get listeners
   * (a network whose listeners cannot be bound is logged and tried again at the next update, the
   * others are served), networks gone from it lose theirs.
   */
  public synchronized void update(DnsSnapshot next) {
    requireNonNull(next, "next");
    if (closed) {
      throw new IllegalStateException("closed");
    }
    snapshot = next;
    Map<Integer, Zone> zones = next.zones();
    for (var it = listeners.entrySet().iterator(); it.hasNext(); ) {
      var e = it.next();
      Zone z = zones.get(e.getKey());
      if (z == null || !z.network.equals(e.getValue().network)) {
        e.getValue().close();
        metrics.remove(e.getValue().network);
        it.remove();
      }
    }
    for (var e : zones.entrySet()) {
      if (!listeners.containsKey(e.getKey())) {
        Zone z = e.getValue();
        try {
          listeners.put(e.getKey(), open(z));
        } catch (Exception ex) {
          LOG.log(
              Level.WARNING,
              "DNS for network " + z.network + ": cannot listen (" + ex.getMessage() + ")",
              ex);
        }
      }
    }
    Map<Integer, List<InetSocketAddress>> out = new TreeMap<>();
    listeners.forEach((id, l) -> out.put(id, l.bound));
    ports = Map.copyOf(out);
  }

  /**
   * Where each network (by id) listens: one address per listen address, UDP and TCP on its port.
   */
  public Map<Integer, List<InetSocketAddress>> ports() {
    return ports;
  }

  /** The server's metrics, per network: {@link DnsMetrics#render} appends them to /metrics. */
  public DnsMetrics metrics() {
    return metrics;
  }

  /** The snapshot being served. */
  public DnsSnapshot snapshot() {
    return snapshot;
  }

  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    listeners.values().forEach(Listener::close);
    listeners.clear();
    ports = Map.of();
    group.shutdownGracefully(0, 2, TimeUnit.SECONDS).syncUninterruptibly();
  }

  private Listener open(Zone z) throws Exception {
    int mark = z.networkId << 16;
    DnsMetrics.Network m = metrics.network(z.network);
    var forwarder =
        new Forwarder(group, cache, options.cacheEntries() > 0, options.upstreamTimeout(), mark, m);
    var l =
        new Listener(
            z.networkId,
            z.network,
            m,
            new RateLimiter(options.queriesPerSecond(), options.burst()),
            new Responder(forwarder),
            forwarder);
    try {
      forwarder.start();
      for (InetAddress address : options.listenAddresses()) {
        l.bound.add(l.bind(address, mark));
      }
    } catch (Exception e) {
      l.close();
      throw e;
    }
    return l;
  }

  /** One network's sockets and what its queries share. */
  private final class Listener {
    final Integer key;
    final String network;
    final DnsMetrics.Network metrics;
    final RateLimiter limiter;
    final Responder responder;
    final Forwarder forwarder;
    final List<Channel> channels = new ArrayList<>();
    final List<InetSocketAddress> bound = new ArrayList<>();

    Listener(
        int id,
        String network,
        DnsMetrics.Network metrics,
        RateLimiter limiter,
        Responder responder,
        Forwarder forwarder) {
      this.key = id;
      this.network = network;
      this.metrics = metrics;
      this.limiter = limiter;
      this.responder = responder;
      this.forwarder = forwarder;
    }

    @org.jspecify.annotations.Nullable
    Zone zone() {
      return snapshot.zone(key);
    }

    /** UDP and TCP on one port of {@code address}: tries ephemeral ports until both bind. */
    InetSocketAddress bind(InetAddress address, int mark) throws Exception {
      Exception last = null;
      for (int attempt = 0; attempt < 16; attempt++) {
        Channel udp = bindOn(udp(mark), new InetSocketAddress(address, 0));
        int port = ((InetSocketAddress) udp.localAddress()).getPort();
        try {
          Channel tcp = bindOn(tcp(mark), new InetSocketAddress(address, port));
          channels.add(udp);
          channels.add(tcp);
          return new InetSocketAddress(address, port);
        } catch (Exception e) {
          last = e; // the port is taken for TCP: another one
          udp.close().syncUninterruptibly();
        }
      }
      throw requireNonNull(last, "last");
    }

    private Bootstrap udp(int mark) {
      var b =
          new Bootstrap()
              .group(group)
              .channel(EpollDatagramChannel.class)
              .option(EpollChannelOption.IP_FREEBIND, true)
              .option(ChannelOption.SO_RCVBUF, 1 << 20)
              // recvmmsg(2): up to 16 queries of at most MAX_QUERY bytes a system call (a longer
              // one is cut there and answered FORMERR, as no real query is that long).
              .option(EpollChannelOption.MAX_DATAGRAM_PAYLOAD_SIZE, MAX_QUERY)
              .option(
                  ChannelOption.RECVBUF_ALLOCATOR, new FixedRecvByteBufAllocator(16 * MAX_QUERY))
              .handler(new UdpQueries(this));
      if (mark != 0) {
        b.option(SO_MARK, mark);
      }
      return b;
    }

    private ServerBootstrap tcp(int mark) {
      var b =
          new ServerBootstrap()
              .group(group)
              .channel(EpollServerSocketChannel.class)
              .option(EpollChannelOption.IP_FREEBIND, true)
              .childHandler(
                  new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                      ch.pipeline()
                          .addLast(
                              new IdleStateHandler(0, 0, TCP_IDLE_SECONDS),
                              new LengthFieldBasedFrameDecoder(65535, 0, 2, 0, 2),
                              new LengthFieldPrepender(2),
                              new TcpQueries(Listener.this));
                    }
                  });
      if (mark != 0) {
        // Accepted sockets inherit the listener's mark.
        b.option(SO_MARK, mark);
      }
      return b;
    }

    void close() {
      for (Channel c : channels) {
        c.close().syncUninterruptibly();
      }
      channels.clear();
      forwarder.close();
    }
  }

  /** Binds on an event-loop thread, so the socket is made in the server's namespace. */
  private Channel bindOn(io.netty.bootstrap.AbstractBootstrap<?, ?> b, InetSocketAddress at)
      throws Exception {
    ChannelFuture f = group.next().submit(() -> b.bind(at)).get();
    f.syncUninterruptibly();
    return f.channel();
  }

  /** Queries over UDP: one handler per socket, on one thread. */
  private static final class UdpQueries extends SimpleChannelInboundHandler<DatagramPacket>
      implements Responder.Reply {
    private final Listener listener;
    private final char[] scratch = new char[256];
    // The query being answered (this handler runs on one thread).
    private @org.jspecify.annotations.Nullable ChannelHandlerContext ctx;
    private @org.jspecify.annotations.Nullable InetSocketAddress sender;
    private long start;
    private boolean unflushed;

    UdpQueries(Listener listener) {
      this.listener = listener;
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, DatagramPacket packet) {
      long now = System.nanoTime();
      DnsMetrics.Network m = listener.metrics;
      m.queries.increment();
      InetSocketAddress from = packet.sender();
      if (!listener.limiter.allow(from.getAddress(), now)) {
        m.rateLimited.increment();
        return;
      }
      this.ctx = ctx;
      this.sender = from;
      this.start = now;
      listener.responder.handle(packet.content(), listener.zone(), false, scratch, this);
    }

    @Override
    public void send(ByteBuf response, int rcode) {
      send(
          requireNonNull(ctx, "ctx").channel(),
          requireNonNull(sender, "sender"),
          start,
          response,
          rcode,
          listener.metrics,
          false);
      unflushed = true;
    }

    /**
     * The answers of one read burst leave in one flush, which the epoll transport writes with one
     * sendmmsg(2) instead of a sendmsg(2) per answer.
     */
    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
      if (unflushed) {
        unflushed = false;
        ctx.flush();
      }
    }

    static void send(
        Channel ch,
        InetSocketAddress to,
        long start,
        ByteBuf response,
        int rcode,
        DnsMetrics.Network m,
        boolean flush) {
      if ((response.getUnsignedShort(response.readerIndex() + 2) & Wire.TC) != 0) {
        m.truncated.increment();
      }
      var packet = new DatagramPacket(response, to);
      if (flush) {
        ch.writeAndFlush(packet, ch.voidPromise());
      } else {
        ch.write(packet, ch.voidPromise());
      }
      m.answered(rcode, System.nanoTime() - start);
    }

    @Override
    public void drop() {
      listener.metrics.dropped.increment();
    }

    @Override
    public Responder.Reply detach() {
      Channel ch = requireNonNull(ctx, "ctx").channel();
      InetSocketAddress to = requireNonNull(sender, "sender");
      long at = start;
      DnsMetrics.Network m = listener.metrics;
      return new Detached(ch, to, at, m);
    }

    @Override
    public ByteBufAllocator alloc() {
      return requireNonNull(ctx, "ctx").alloc();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      // A bad packet must not stop the listener; the socket keeps serving.
      LOG.log(Level.FINE, "DNS over UDP", cause);
    }
  }

  /** Queries over TCP, length-prefixed (RFC 7766): one handler per connection. */
  private static final class TcpQueries extends SimpleChannelInboundHandler<ByteBuf>
      implements Responder.Reply {
    private final Listener listener;
    private final char[] scratch = new char[256];
    private @org.jspecify.annotations.Nullable ChannelHandlerContext ctx;
    private long start;

    TcpQueries(Listener listener) {
      this.listener = listener;
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, ByteBuf frame) {
      long now = System.nanoTime();
      DnsMetrics.Network m = listener.metrics;
      m.queries.increment();
      this.ctx = ctx;
      this.start = now;
      if (frame.readableBytes() < Wire.HEADER) {
        m.dropped.increment();
        ctx.close(); // nothing to answer: a stream out of step is closed, as BIND does
        return;
      }
      InetSocketAddress from = (InetSocketAddress) ctx.channel().remoteAddress();
      if (!listener.limiter.allow(from.getAddress(), now)) {
        m.rateLimited.increment();
        int id = frame.getUnsignedShort(frame.readerIndex());
        int rd = frame.getUnsignedShort(frame.readerIndex() + 2) & Wire.RD;
        Responder.headerOnly(this, id, 0, rd, Wire.REFUSED);
        return;
      }
      listener.responder.handle(frame, listener.zone(), true, scratch, this);
    }

    @Override
    public void send(ByteBuf response, int rcode) {
      send(requireNonNull(ctx, "ctx").channel(), start, response, rcode, listener.metrics);
    }

    static void send(Channel ch, long start, ByteBuf response, int rcode, DnsMetrics.Network m) {
      ch.writeAndFlush(response, ch.voidPromise());
      m.answered(rcode, System.nanoTime() - start);
    }

    @Override
    public void drop() {
      listener.metrics.dropped.increment();
    }

    @Override
    public Responder.Reply detach() {
      Channel ch = requireNonNull(ctx, "ctx").channel();
      long at = start;
      DnsMetrics.Network m = listener.metrics;
      return new Detached(ch, null, at, m);
    }

    @Override
    public ByteBufAllocator alloc() {
      return requireNonNull(ctx, "ctx").alloc();
    }

    @Override
    public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
      if (evt instanceof IdleStateEvent) {
        ctx.close(); // idle clients give their connection back (RFC 7766 6.2.3)
      }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      ctx.close(); // a frame over 64 KiB, or a reset: this connection only
    }
  }

  /**
   * A query's reply that outlives its listener's current read (a forwarded query answers later): to
   * {@code to} over UDP, or on the connection {@code ch} when {@code to} is null.
   */
  private record Detached(
      Channel ch,
      @org.jspecify.annotations.Nullable InetSocketAddress to,
      long start,
      DnsMetrics.Network m)
      implements Responder.Reply {
    @Override
    public void send(ByteBuf response, int rcode) {
      if (to == null) {
        TcpQueries.send(ch, start, response, rcode, m);
      } else {
        UdpQueries.send(ch, to, start, response, rcode, m, true);
      }
    }

    @Override
    public void drop() {
      m.dropped.increment();
    }

    @Override
    public Responder.Reply detach() {
      return this;
    }

    @Override
    public ByteBufAllocator alloc() {
      return ch.alloc();
    }
  }
}
