package io.multinet.dataplane.vpp;

import static java.util.Objects.requireNonNull;

import io.netty.bootstrap.Bootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFuture;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollDomainSocketChannel;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.unix.DomainSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.logging.Level;
import java.util.logging.Logger;
import org.jspecify.annotations.Nullable;

/**
 * A client for VPP's binary API over its unix socket (socksvr), on Netty epoll. It registers with
 * sockclnt_create, learns the message table (name_crc → id) and refuses to run when VPP defines a
 * message this build sends with another CRC (messages it does not send yet are disabled with a
 * warning). Replies are matched by context; a dump is followed by a control_ping with the same
 * context, whose reply ends the details stream. When the connection drops it reconnects with
 * exponential backoff, and tells its listeners (VPP may have restarted and lost everything).
 */
public final class VppApiClient implements AutoCloseable {

  private static final Logger LOG = Logger.getLogger(VppApiClient.class.getName());

  /** Timeouts and backoff. */
  public record Options(
      Duration connectTimeout,
      Duration requestTimeout,
      Duration backoffInitial,
      Duration backoffMax,
      String clientName) {

    public Options {
      requireNonNull(connectTimeout, "connectTimeout");
      requireNonNull(requestTimeout, "requestTimeout");
      requireNonNull(backoffInitial, "backoffInitial");
      requireNonNull(backoffMax, "backoffMax");
      requireNonNull(clientName, "clientName");
    }

    /**
     * Waits up to a minute for VPP to come up (it may start after the agent). Backoff 100 ms
     * doubling to 1 s: a restarted VPP is found at most a second after its socket is back (a local
     * socket, so retrying each second costs nothing), and its state is back well within 2 s.
     */
    public static Options defaults() {
      return new Options(
          Duration.ofSeconds(60),
          Duration.ofSeconds(10),
          Duration.ofMillis(100),
          Duration.ofSeconds(1),
          "multinet-proxy");
    }

    public Options withConnectTimeout(Duration d) {
      return new Options(d, requestTimeout, backoffInitial, backoffMax, clientName);
    }

    public Options withBackoff(Duration initial, Duration max) {
      return new Options(connectTimeout, requestTimeout, initial, max, clientName);
    }
  }

  /** One registration on one connection. */
  private record Session(
      Channel channel,
      int handle,
      Map<String, Integer> ids,
      Map<Integer, String> names,
      Map<Integer, Pending> pending) {}

  private final Path socket;
  private final Options options;
  private final EventLoopGroup group;
  private final Bootstrap bootstrap;
  private final AtomicInteger contexts = new AtomicInteger();
  private final AtomicLong connections = new AtomicLong();
  private final List<Runnable> reconnectListeners = new CopyOnWriteArrayList<>();
  private volatile @Nullable Session session;
  private volatile @Nullable VppApiException refused;
  private volatile boolean closed;

  /** The backoff step at which the current connection was made, and when (System.nanoTime). */
  private volatile int connectedStep;

  private volatile long connectedAt;

  /** How long a connection must stay up before its loss restarts the backoff at the first step. */
  static final Duration STABLE = Duration.ofSeconds(30);

  private VppApiClient(Path socket, Options options) {
    this.socket = socket;
    this.options = options;
    Epoll.ensureAvailability();
    this.group = new MultiThreadIoEventLoopGroup(1, EpollIoHandler.newFactory());
    this.bootstrap =
        new Bootstrap()
            .group(group)
            .channel(EpollDomainSocketChannel.class)
            .handler(
                new ChannelInitializer<Channel>() {
                  @Override
                  protected void initChannel(Channel ch) {
                    ch.pipeline().addLast(new VppFrameDecoder(), new Handler());
                  }
                });
  }

  /**
   * Connects and registers, retrying with backoff until {@code options.connectTimeout}. Fails at
   * once when VPP's message table disagrees with this build's CRCs.
   */
  public static VppApiClient connect(Path socket, Options options) throws VppApiException {
    requireNonNull(socket, "socket");
    requireNonNull(options, "options");
    var client = new VppApiClient(socket, options);
    var first = new CompletableFuture<Void>();
    client.attempt(0, first, System.nanoTime() + options.connectTimeout().toNanos());
    try {
      await(first, options.connectTimeout().plus(options.requestTimeout()));
      return client;
    } catch (VppApiException e) {
      client.close();
      throw e;
    }
  }

  Options options() {
    return options;
  }

  /** How many registrations this client has made: more than one means it reconnected. */
  public long connections() {
    return connections.get();
  }

  /**
   * Whether the VPP of the current connection has every one of {@code types} with this build's CRC
   * (false while disconnected). A reconnect may reach another VPP: ask again after one.
   */
  boolean has(List<MessageType> types) {
    Session s = session;
    if (s == null) {
      return false;
    }
    for (MessageType t : types) {
      if (!s.ids.containsKey(t.nameCrc())) {
        return false;
      }
    }
    return true;
  }

  /** Runs {@code r} (on the event loop) after every successful reconnect. */
  public void onReconnect(Runnable r) {
    reconnectListeners.add(requireNonNull(r, "r"));
  }

  /** Sends {@code request}; the future fails with {@link VppApiException} on a negative retval. */
  <R> CompletableFuture<R> call(VppMessages.Request<R> request) {
    var f = new CompletableFuture<R>();
    Session s;
    int id;
    try {
      s = session();
      id = id(s, request.type());
    } catch (VppApiException e) {
      f.completeExceptionally(e);
      return f;
    }
    int context = contexts.incrementAndGet();
    ByteBuf buf =
        s.channel
            .alloc()
            .buffer(VppFrameDecoder.HEADER + VppMessages.REQUEST_HEADER + request.bodySize());
    try {
      writeRequest(buf, id, s.handle, context, request);
    } catch (RuntimeException e) {
      buf.release();
      f.completeExceptionally(
          new VppApiException(request.type().name() + ": " + e.getMessage(), e));
      return f;
    }
    send(s, context, new ReplyPending<>(request, f), buf);
    return f;
  }

  /** Sends {@code dump} and a control_ping; the future completes with every details message. */
  <D> CompletableFuture<List<D>> dump(VppMessages.Dump<D> dump) {
    var f = new CompletableFuture<List<D>>();
    Session s;
    int id;
    int ping;
    try {
      s = session();
      id = id(s, dump.type());
      ping = id(s, VppMessages.CONTROL_PING);
    } catch (VppApiException e) {
      f.completeExceptionally(e);
      return f;
    }
    int context = contexts.incrementAndGet();
    int length = VppMessages.REQUEST_HEADER + dump.bodySize();
    ByteBuf buf =
        s.channel.alloc().buffer(2 * VppFrameDecoder.HEADER + length + VppMessages.REQUEST_HEADER);
    VppFrameDecoder.writeHeader(buf, length);
    buf.writeShort(id).writeInt(s.handle).writeInt(context);
    dump.writeBody(buf);
    VppFrameDecoder.writeHeader(buf, VppMessages.REQUEST_HEADER);
    buf.writeShort(ping).writeInt(s.handle).writeInt(context);
    send(s, context, new DumpPending<>(dump, f), buf);
    return f;
  }

  private void send(Session s, int context, Pending p, ByteBuf buf) {
    s.pending.put(context, p);
    var _ = p.future().whenComplete((r, e) -> s.pending.remove(context));
    p.future().orTimeout(options.requestTimeout().toMillis(), TimeUnit.MILLISECONDS);
    s.channel
        .writeAndFlush(buf)
        .addListener(
            (ChannelFuture w) -> {
              if (!w.isSuccess()) {
                p.fail(new VppApiException("writing to VPP at " + socket + " failed", w.cause()));
              }
            });
  }

  /** Blocks for a call's result, turning failures into {@link VppApiException}. */
  static <R> R await(CompletableFuture<R> f, Duration timeout) throws VppApiException {
    try {
      return f.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new VppApiException("interrupted", e);
    } catch (TimeoutException e) {
      throw new VppApiException("VPP did not answer within " + timeout, e);
    } catch (ExecutionException e) {
      Throwable c = e.getCause();
      if (c instanceof VppApiException v) {
        throw v;
      }
      if (c instanceof TimeoutException) {
        throw new VppApiException("VPP did not answer within " + timeout, c);
      }
      throw new VppApiException(String.valueOf(c), e);
    }
  }

  /** {@link #await} with the request timeout. */
  <R> R sync(CompletableFuture<R> f) throws VppApiException {
    return await(f, options.requestTimeout().plusSeconds(1));
  }

  private Session session() throws VppApiException {
    VppApiException r = refused;
    if (r != null) {
      throw r;
    }
    Session s = session;
    if (s == null) {
      throw new VppApiException(
          closed
              ? "VPP client closed"
              : "not connected to VPP at " + socket + " (reconnecting with backoff)");
    }
    return s;
  }

  private static int id(Session s, MessageType type) throws VppApiException {
    Integer id = s.ids.get(type.nameCrc());
    if (id == null) {
      throw new VppApiException(type.name() + ": not in VPP's message table");
    }
    return id;
  }

  /**
   * Writes one request frame: the 16-byte header, then {@code u16 id, u32 client_index, u32
   * context} and the body, checking that the body has the size its message declares.
   */
  static void writeRequest(
      ByteBuf out, int id, int handle, int context, VppMessages.Request<?> request) {
    int length = VppMessages.REQUEST_HEADER + request.bodySize();
    VppFrameDecoder.writeHeader(out, length);
    int start = out.writerIndex();
    out.writeShort(id).writeInt(handle).writeInt(context);
    request.writeBody(out);
    checkSize(request.type(), out.writerIndex() - start, length);
  }

  private static void checkSize(MessageType type, int written, int declared) {
    if (written != declared) {
      throw new IllegalStateException(
          type.name() + ": encoded " + written + " bytes (expected: " + declared + ")");
    }
  }

  /** One connection attempt, then backoff; {@code first} is the caller of connect, if any. */
  private void attempt(int n, @Nullable CompletableFuture<Void> first, long deadline) {
    if (closed) {
      return;
    }
    var _ =
        connectOnce()
            .whenComplete(
                (s, e) -> {
                  if (e == null) {
                    connectedStep = n;
                    connectedAt = System.nanoTime();
                    installed(s, first);
                    return;
                  }
                  VppApiException v =
                      e instanceof VppApiException x
                          ? x
                          : new VppApiException("connecting to VPP at " + socket + ": " + e, e);
                  if (v instanceof CrcMismatch && first != null) {
                    // At startup: fail, so that the process exits and is restarted loudly.
                    refused = v;
                    LOG.log(Level.SEVERE, "refusing to program VPP: " + v.getMessage());
                    first.completeExceptionally(v);
                    return;
                  }
                  if (v instanceof CrcMismatch) {
                    // After a reconnect (VPP upgraded under us): keep trying, so that a VPP put
                    // back to a matching version is used again; requests fail meanwhile.
                    LOG.log(Level.SEVERE, "VPP's message table changed: " + v.getMessage());
                  }
                  if (first != null && System.nanoTime() > deadline) {
                    first.completeExceptionally(v);
                    return;
                  }
                  long delay = backoff(options, n, ThreadLocalRandom.current().nextDouble());
                  LOG.log(
                      first == null ? Level.WARNING : Level.FINE,
                      v.getMessage() + "; retrying in " + delay + " ms");
                  try {
                    var _ =
                        group.schedule(
                            () -> attempt(n + 1, first, deadline), delay, TimeUnit.MILLISECONDS);
                  } catch (java.util.concurrent.RejectedExecutionException closing) {
                    if (first != null) {
                      first.completeExceptionally(v);
                    }
                  }
                });
  }

  private void installed(Session s, @Nullable CompletableFuture<Void> first) {
    if (closed) {
      var _ = s.channel.close();
      return;
    }
    session = s;
    long n = connections.incrementAndGet();
    s.channel.closeFuture().addListener(f -> lost(s));
    if (first != null) {
      first.complete(null);
    } else {
      LOG.info("reconnected to VPP at " + socket + " (registration " + n + ")");
      for (Runnable r : reconnectListeners) {
        try {
          r.run();
        } catch (RuntimeException e) {
          LOG.log(Level.WARNING, "reconnect listener failed", e);
        }
      }
    }
  }

  @SuppressWarnings("ReferenceEquality") // the very session that was lost
  private void lost(Session s) {
    if (session == s) {
      session = null;
    }
    var e = new VppApiException("connection to VPP at " + socket + " lost");
    for (Pending p : new ArrayList<>(s.pending.values())) {
      p.fail(e);
    }
    if (closed) {
      return;
    }
    int step = stepAfterLoss(connectedStep, System.nanoTime() - connectedAt, STABLE.toNanos());
    if (step == 0) {
      LOG.warning(e.getMessage() + "; reconnecting");
      attempt(0, null, 0);
      return;
    }
    // VPP accepted and then dropped us soon: keep backing off rather than loop tightly.
    long delay = backoff(options, step - 1, ThreadLocalRandom.current().nextDouble());
    LOG.warning(e.getMessage() + " soon after connecting; reconnecting in " + delay + " ms");
    try {
      var _ = group.schedule(() -> attempt(step, null, 0), delay, TimeUnit.MILLISECONDS);
    } catch (java.util.concurrent.RejectedExecutionException closing) {
      // closed meanwhile
    }
  }

  /**
   * The backoff step after losing a connection made at {@code connectedStep}: the first again once
   * it stayed up {@code stableNanos}, else the one after.
   */
  static int stepAfterLoss(int connectedStep, long upNanos, long stableNanos) {
    return upNanos >= stableNanos ? 0 : Math.min(connectedStep, 30) + 1;
  }

  /**
   * The delay after a failure at backoff {@code step}: initial doubling up to max, with jitter
   * (half to all of it, {@code random} in [0, 1)) so that many agents do not reconnect in step.
   */
  static long backoff(Options o, int step, double random) {
    long base =
        Math.min(o.backoffMax().toMillis(), o.backoffInitial().toMillis() << Math.min(step, 20));
    long half = base / 2;
    return half + (long) ((base - half) * random);
  }

  private CompletableFuture<Session> connectOnce() {
    var f = new CompletableFuture<Session>();
    ChannelFuture cf;
    try {
      cf = bootstrap.connect(new DomainSocketAddress(socket.toString()));
    } catch (RuntimeException e) {
      f.completeExceptionally(e);
      return f;
    }
    cf.addListener(
        (ChannelFuture c) -> {
          if (!c.isSuccess()) {
            f.completeExceptionally(
                new VppApiException(
                    "connecting to VPP at " + socket + ": " + c.cause().getMessage(), c.cause()));
            return;
          }
          Channel ch = c.channel();
          Handler h = ch.pipeline().get(Handler.class);
          h.handshake = f;
          h.handshakeContext = contexts.incrementAndGet();
          ch.closeFuture()
              .addListener(
                  x -> f.completeExceptionally(new VppApiException("VPP closed the connection")));
          var _ =
              f.orTimeout(options.requestTimeout().toMillis(), TimeUnit.MILLISECONDS)
                  .whenComplete(
                      (s, e) -> {
                        if (e != null) {
                          var _ = ch.close();
                        }
                      });
          // sockclnt_create {u16 15, u32 context, char name[64]}: 70 bytes, no client_index.
          ByteBuf buf = ch.alloc().buffer(VppFrameDecoder.HEADER + 70);
          VppFrameDecoder.writeHeader(buf, 70);
          buf.writeShort(VppMessages.SOCKCLNT_CREATE_ID).writeInt(h.handshakeContext);
          Wire.writeString(buf, options.clientName(), 64);
          var _ = ch.writeAndFlush(buf);
        });
    return f;
  }

  /** A CRC disagreement between VPP and this build: never retried. */
  static final class CrcMismatch extends VppApiException {
    private static final long serialVersionUID = 1L;

    CrcMismatch(String message) {
      super(message);
    }
  }

  /**
   * Reads sockclnt_create_reply: {u16 16 @0, u32 client_index @2, u32 context @6, i32 response @10,
   * u32 index @14, u16 count @18, entries @20 of {u16 index, char name[64]}}.
   */
  private Session register(Channel ch, ByteBuf in, int context) throws VppApiException {
    int msg = in.readUnsignedShort();
    if (msg != VppMessages.SOCKCLNT_CREATE_REPLY_ID) {
      throw new VppApiException("expected sockclnt_create_reply (16), got message " + msg);
    }
    try {
      Wire.need(in, 18, "sockclnt_create_reply");
      in.skipBytes(4); // client_index
      int replyContext = in.readInt();
      if (replyContext != context) {
        throw new VppApiException(
            "sockclnt_create_reply: context " + replyContext + " (expected: " + context + ")");
      }
      int response = in.readInt();
      if (response != 0) {
        throw new VppApiException("sockclnt_create: VPP returned " + response, response);
      }
      // The handle for later requests is `index`, not `client_index`: VPP ignores the latter.
      int handle = in.readInt();
      int count = in.readUnsignedShort();
      Wire.need(in, count * 66, "sockclnt_create_reply message table (" + count + " entries)");
      Map<String, Integer> ids = new HashMap<>();
      Map<Integer, String> names = new HashMap<>();
      Map<String, String> crcs = new HashMap<>();
      for (int i = 0; i < count; i++) {
        int id = in.readUnsignedShort();
        String nameCrc = Wire.readString(in, 64);
        ids.put(nameCrc, id);
        names.put(id, nameCrc);
        int cut = nameCrc.lastIndexOf('_');
        if (cut > 0) {
          crcs.put(nameCrc.substring(0, cut), nameCrc.substring(cut + 1));
        }
      }
      List<String> problems = new ArrayList<>();
      for (MessageType t : VppMessages.REQUIRED) {
        check(t, ids, crcs, true, problems);
      }
      for (MessageType t : VppMessages.OPTIONAL) {
        check(t, ids, crcs, false, problems);
      }
      if (!problems.isEmpty()) {
        throw new CrcMismatch(String.join("; ", problems));
      }
      return new Session(ch, handle, Map.copyOf(ids), Map.copyOf(names), new ConcurrentHashMap<>());
    } catch (IllegalArgumentException e) {
      throw new VppApiException("sockclnt_create_reply: " + e.getMessage(), e);
    }
  }

  private static void check(
      MessageType t,
      Map<String, Integer> ids,
      Map<String, String> crcs,
      boolean required,
      List<String> problems) {
    if (ids.containsKey(t.nameCrc())) {
      return;
    }
    String other = crcs.get(t.name());
    if (other != null && !required) {
      // Not sent by the backend today: unusable (absent from the ids), not a reason to stop.
      LOG.warning(
          t.name()
              + ": VPP has CRC 0x"
              + other
              + ", this build speaks "
              + MessageType.hex(t.crc())
              + "; the message is disabled");
    } else if (other != null) {
      problems.add(
          t.name()
              + ": VPP has CRC 0x"
              + other
              + ", this build speaks "
              + MessageType.hex(t.crc()));
    } else if (required) {
      problems.add(t.name() + ": not in VPP's message table (is the plugin loaded?)");
    }
  }

  /** The per-connection handler: the handshake first, then replies dispatched by context. */
  private final class Handler extends SimpleChannelInboundHandler<ByteBuf> {
    @Nullable CompletableFuture<Session> handshake;
    int handshakeContext;
    @Nullable Session established;

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, ByteBuf in) {
      Session s = established;
      if (s == null) {
        CompletableFuture<Session> h = handshake;
        if (h == null) {
          return;
        }
        try {
          s = register(ctx.channel(), in, handshakeContext);
          established = s;
          h.complete(s);
        } catch (VppApiException e) {
          h.completeExceptionally(e);
          var _ = ctx.close();
        }
        return;
      }
      Wire.need(in, 6, "VPP message");
      int id = in.readUnsignedShort();
      int context = in.readInt();
      Pending p = s.pending.get(context);
      if (p == null) {
        LOG.fine("VPP message " + id + " for unknown context " + context + " dropped");
        return;
      }
      String name = s.names.getOrDefault(id, "message " + id);
      try {
        p.accept(name, in, s);
      } catch (RuntimeException e) {
        p.fail(new VppApiException(name + ": " + e.getMessage(), e));
      }
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      LOG.log(Level.WARNING, "VPP connection at " + socket + " failed; closing it", cause);
      var _ = ctx.close();
    }
  }

  private interface Pending {
    CompletableFuture<?> future();

    void accept(String nameCrc, ByteBuf in, Session s);

    void fail(Throwable e);
  }

  private record ReplyPending<R>(VppMessages.Request<R> request, CompletableFuture<R> future)
      implements Pending {
    @Override
    public void accept(String nameCrc, ByteBuf in, Session s) {
      if (!nameCrc.equals(request.replyType().nameCrc())) {
        fail(
            new VppApiException(
                request.type().name()
                    + ": VPP answered "
                    + nameCrc
                    + " (expected: "
                    + request.replyType().nameCrc()
                    + ")"));
        return;
      }
      Wire.need(in, 4, nameCrc);
      int retval = in.readInt();
      if (retval < 0) {
        fail(new VppApiException(request.type().name() + ": VPP returned " + retval, retval));
        return;
      }
      future.complete(request.decodeReply(in));
    }

    @Override
    public void fail(Throwable e) {
      future.completeExceptionally(e);
    }
  }

  private static final class DumpPending<D> implements Pending {
    private final VppMessages.Dump<D> dump;
    private final CompletableFuture<List<D>> future;
    private final List<D> details = new ArrayList<>();

    DumpPending(VppMessages.Dump<D> dump, CompletableFuture<List<D>> future) {
      this.dump = dump;
      this.future = future;
    }

    @Override
    public CompletableFuture<?> future() {
      return future;
    }

    @Override
    public void accept(String nameCrc, ByteBuf in, Session s) {
      if (nameCrc.equals(dump.detailsType().nameCrc())) {
        details.add(dump.decodeDetails(in));
      } else if (nameCrc.equals(VppMessages.CONTROL_PING_REPLY.nameCrc())) {
        future.complete(List.copyOf(details));
      } else {
        fail(
            new VppApiException(
                dump.type().name()
                    + ": VPP answered "
                    + nameCrc
                    + " (expected: "
                    + dump.detailsType().nameCrc()
                    + " or control_ping_reply)"));
      }
    }

    @Override
    public void fail(Throwable e) {
      future.completeExceptionally(e);
    }
  }

  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    Session s = session;
    session = null;
    if (s != null) {
      Integer del = s.ids.get(VppMessages.SOCKCLNT_DELETE.nameCrc());
      if (del != null && s.channel.isActive()) {
        // sockclnt_delete {u16 id, u32 client_index, u32 context, u32 index}: 14 bytes.
        ByteBuf buf = s.channel.alloc().buffer(VppFrameDecoder.HEADER + 14);
        VppFrameDecoder.writeHeader(buf, 14);
        buf.writeShort(del).writeInt(s.handle).writeInt(contexts.incrementAndGet());
        buf.writeInt(s.handle);
        s.channel.writeAndFlush(buf).awaitUninterruptibly(1, TimeUnit.SECONDS);
      }
      s.channel.close().awaitUninterruptibly(1, TimeUnit.SECONDS);
    }
    var _ = group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
  }
}
