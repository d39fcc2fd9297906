package io.multinet.dataplane.vpp.testing;

import static java.util.Objects.requireNonNull;

import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerDomainSocketChannel;
import io.netty.channel.unix.DomainSocketAddress;
import io.netty.handler.codec.ByteToMessageDecoder;
import java.net.InetAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;

/**
 * An in-process stand-in for VPP's API socket (socksvr) that speaks the protocol strictly and keeps
 * cnat translations as cnat does: keyed by (VIP, protocol, port), ids from a pool (lowest free
 * first), lb_type and flow hash fixed when a translation is created, dumps that show is_real_ip,
 * flags and the flow hash as 0. Every deviation from the wire format (header, length, client
 * handle, field values) is recorded in {@link #violations()}, and VPP's behaviour is mimicked: a
 * request with the wrong handle is ignored.
 *
 * <p>The layouts here are written from the .api.json definitions independently of the client's
 * codec, so that the two check each other. It can report another CRC for a message ({@link
 * #reportCrc}), drop its connections ({@link #dropConnections}) and fail a request ({@link
 * #failNext}). Replies are never sent in request order: those to one read's requests go out at the
 * end of the read, newest request first and requests' frames interleaved ({@link #holdReplies}
 * holds them across reads), while state changes happen in arrival order as in VPP.
 *
 * <p>With {@link #speakTranslationTables} it is a VPP with the project's cnat patch
 * (dataplane-vpp/vpp-patches/0001): cnat_translation_update_v2 and cnat_translation_v2_dump carry a
 * table id, the table must exist (else retval -3, no such FIB) and translations are keyed by
 * (table, VIP, protocol, port).
 */
public final class StrictVppPeer implements AutoCloseable {

  /**
   * One cnat translation as the peer holds it; paths are "address port"; {@code table} is the table
   * id (0 unless created with cnat_translation_update_v2).
   */
  public record Translation(
      int id,
      String vip,
      int proto,
      int port,
      int lbType,
      int flowHash,
      int flags,
      boolean realIp,
      List<String> paths,
      long table) {}

  // Ids: memclnt's fixed ones, then the rest from 100 in a shuffled ("hash") order.
  private static final Map<String, Integer> FIXED =
      Map.of(
          "sockclnt_create", 15,
          "sockclnt_create_reply", 16,
          "sockclnt_delete", 17,
          "sockclnt_delete_reply", 18,
          "control_ping", 23,
          "control_ping_reply", 24);

  /** name → CRC, from memclnt, cnat, ip, interface and af_packet .api.json (VPP v26.10-rc0). */
  private static final Map<String, String> CRCS = new LinkedHashMap<>();

  static {
    String[] table = {
      "sockclnt_create 455fb9c4",
      "sockclnt_create_reply 35166268",
      "sockclnt_delete 8ac76db6",
      "sockclnt_delete_reply 8f38b1ee",
      "control_ping 51077d14",
      "control_ping_reply f6b0b8ca",
      "cli_inband f8377302",
      "cli_inband_reply 05879051",
      "cnat_translation_update f8d40bc5",
      "cnat_translation_update_reply e2fc8294",
      "cnat_translation_del 3a91bde5",
      "cnat_translation_del_reply e8d4e804",
      "cnat_translation_dump 51077d14",
      "cnat_translation_details 1a5140b7",
      "cnat_session_purge 51077d14",
      "cnat_session_purge_reply e8d4e804",
      "cnat_session_dump 51077d14",
      "cnat_session_details 7a78bf3f",
      "cnat_set_snat_addresses d997e96c",
      "cnat_set_snat_addresses_reply e8d4e804",
      "cnat_set_snat_addresses_v2 c0125c26",
      "cnat_set_snat_addresses_v2_reply e8d4e804",
      "cnat_set_snat_policy 37a3ce23",
      "cnat_set_snat_policy_reply e8d4e804",
      "cnat_snat_policy_add_del_if 4ebb8d02",
      "cnat_snat_policy_add_del_if_reply e8d4e804",
      "cnat_snat_policy_add_del_exclude_pfx e26dd79a",
      "cnat_snat_policy_add_del_exclude_pfx_reply e8d4e804",
      "feature_cnat_enable_disable 5501adee",
      "feature_cnat_enable_disable_reply e8d4e804",
      "ip_table_add_del 0ffdaec0",
      "ip_table_add_del_reply e8d4e804",
      "ip_table_add_del_v2 14e5081f",
      "ip_table_add_del_v2_reply e8d4e804",
      "ip_table_dump 51077d14",
      "ip_table_details c79fca0f",
      "sw_interface_set_table df42a577",
      "sw_interface_set_table_reply e8d4e804",
      "sw_interface_set_flags f5aec1b8",
      "sw_interface_set_flags_reply e8d4e804",
      "af_packet_create_v3 b3a809d4",
      "af_packet_create_v3_reply 5383d31f",
    };
    for (String e : table) {
      CRCS.put(e.substring(0, e.indexOf(' ')), e.substring(e.indexOf(' ') + 1));
    }
  }

  /**
   * The messages vpp-patches/0001 adds to cnat.api, with the CRCs vppapigen computes for them
   * (cnat.api.json of VPP b575ec2c56d with the patch).
   */
  private static final Map<String, String> TABLE_CRCS =
      Map.of(
          "cnat_translation_update_v2", "38c76223",
          "cnat_translation_update_v2_reply", "e2fc8294",
          "cnat_translation_v2_dump", "51077d14",
          "cnat_translation_v2_details", "8431f40d");

  private static final int NO_INTERFACE = 0xffff_ffff;

  private final Path socket;
  private final EventLoopGroup group;
  private final Channel server;
  private final List<Channel> clients = new CopyOnWriteArrayList<>();
  private final List<String> violations = new CopyOnWriteArrayList<>();
  private final List<String> requests = new CopyOnWriteArrayList<>();
  private final Map<String, String> crcOverrides = new HashMap<>();
  private final Map<String, Integer> failNext = new HashMap<>();
  private final Map<String, Integer> failAlways = new HashMap<>();
  private final TreeMap<Integer, Translation> translations = new TreeMap<>();
  private final Map<String, String> tables = new TreeMap<>();
  private final Map<String, Object> snat = new TreeMap<>();
  private int registrations;
  private boolean translationTables;
  private int holdFor;
  private boolean wrongHandshakeContext;
  private int purges;

  private StrictVppPeer(Path socket, EventLoopGroup group, Channel server) {
    this.socket = socket;
    this.group = group;
    this.server = server;
    tables.put("0/ip4", "ipv4-VRF:0");
    tables.put("0/ip6", "ipv6-VRF:0");
  }

  /** Listens on {@code socket} (replacing a stale file). */
  public static StrictVppPeer start(Path socket) throws java.io.IOException {
    requireNonNull(socket, "socket");
    Files.deleteIfExists(socket);
    EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, EpollIoHandler.newFactory());
    var holder = new StrictVppPeer[1];
    try {
      Channel ch =
          new ServerBootstrap()
              .group(group)
              .channel(EpollServerDomainSocketChannel.class)
              .childHandler(
                  new ChannelInitializer<Channel>() {
                    @Override
                    protected void initChannel(Channel c) {
                      StrictVppPeer p = requireNonNull(holder[0], "peer");
                      p.clients.add(c);
                      c.pipeline().addLast(p.new Frames(), p.new Conversation());
                    }
                  })
              .bind(new DomainSocketAddress(socket.toString()))
              .sync()
              .channel();
      holder[0] = new StrictVppPeer(socket, group, ch);
      return holder[0];
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      var _ = group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
      throw new java.io.IOException("interrupted", e);
    }
  }

  public Path socket() {
    return socket;
  }

  /** From the next registration on, the message table names {@code message} with {@code crc}. */
  public synchronized void reportCrc(String message, String crc) {
    crcOverrides.put(requireNonNull(message, "message"), requireNonNull(crc, "crc"));
  }

  /** From the next registration on, the peer is a VPP with the cnat table patch. */
  public synchronized void speakTranslationTables() {
    translationTables = true;
  }

  /** The next request named {@code message} is answered with {@code retval} and not applied. */
  public synchronized void failNext(String message, int retval) {
    failNext.put(requireNonNull(message, "message"), retval);
  }

  /** Every request named {@code message} is answered with {@code retval} until {@link #heal}. */
  public synchronized void failAlways(String message, int retval) {
    failAlways.put(requireNonNull(message, "message"), retval);
  }

  /** Ends {@link #failAlways} and {@link #failNext}. */
  public synchronized void heal() {
    failAlways.clear();
    failNext.clear();
  }

  /** Closes every client connection, as a VPP restart does (state is kept: see {@link #reset}). */
  public void dropConnections() {
    for (Channel c : clients) {
      var _ = c.close().awaitUninterruptibly(1, TimeUnit.SECONDS);
    }
  }

  /** Forgets every translation and table, as a restarted VPP has. */
  public synchronized void reset() {
    translations.clear();
    tables.keySet().removeIf(k -> !k.startsWith("0/"));
  }

  /** cnat_session_purge requests handled (each deleted every translation, as in VPP). */
  public synchronized int purges() {
    return purges;
  }

  /**
   * Holds the replies to the next {@code requests} requests (a dump and its control_ping count as
   * two) and sends them only when the last has arrived, the newest request's replies first and
   * different requests' frames interleaved, so a client must match replies by context.
   */
  public synchronized void holdReplies(int requests) {
    if (requests < 1) {
      throw new IllegalArgumentException("requests: " + requests + " (expected: at least 1)");
    }
    holdFor = requests;
  }

  /** From now on, sockclnt_create_reply carries another context than the request's. */
  public synchronized void answerHandshakeWithAnotherContext() {
    wrongHandshakeContext = true;
  }

  /** Completed sockclnt_create handshakes. */
  public synchronized int registrations() {
    return registrations;
  }

  public List<String> violations() {
    return List.copyOf(violations);
  }

  /** Names of the requests received, in order (handshakes included). */
  public List<String> requests() {
    return List.copyOf(requests);
  }

  public void clearRequests() {
    requests.clear();
  }

  public synchronized List<Translation> translations() {
    return List.copyOf(translations.values());
  }

  /** FIB tables as "id/ip4" or "id/ip6" → name. */
  public synchronized Map<String, String> tables() {
    return Map.copyOf(tables);
  }

  /** The last SNAT settings received, by message name. */
  public synchronized Map<String, Object> snat() {
    return Map.copyOf(snat);
  }

  @Override
  public void close() {
    dropConnections();
    var _ = server.close().awaitUninterruptibly(1, TimeUnit.SECONDS);
    var _ =
        group.shutdownGracefully(0, 1, TimeUnit.SECONDS).awaitUninterruptibly(2, TimeUnit.SECONDS);
    try {
      Files.deleteIfExists(socket);
    } catch (java.io.IOException e) {
      violations.add("could not delete " + socket + ": " + e);
    }
  }

  private void violation(String v) {
    violations.add(v);
  }

  /** The 16-byte header, checked: q and gc_mark_timestamp must be 0 from a client. */
  private final class Frames extends ByteToMessageDecoder {
    @Override
    protected void decode(ChannelHandlerContext ctx, ByteBuf in, List<Object> out) {
      if (in.readableBytes() < 16) {
        return;
      }
      int at = in.readerIndex();
      long q = in.getLong(at);
      long length = in.getUnsignedInt(at + 8);
      int gc = in.getInt(at + 12);
      if (q != 0 || gc != 0) {
        violation("frame header: q " + q + ", gc_mark_timestamp " + gc + " (expected: 0 and 0)");
      }
      if (length < 2 || length > (1 << 24)) {
        violation("frame length: " + length + " (expected: 2-16777216)");
        in.skipBytes(in.readableBytes());
        var _ = ctx.close();
        return;
      }
      if (in.readableBytes() < 16 + length) {
        return;
      }
      in.skipBytes(16);
      out.add(in.readRetainedSlice((int) length));
    }
  }

  /** One client: the handshake, then requests. */
  private final class Conversation extends SimpleChannelInboundHandler<ByteBuf> {
    private int handle = -1;
    private final Map<Integer, String> names = new HashMap<>();
    private final Map<String, Integer> ids = new HashMap<>();
    // Reply frames not yet written, by context in arrival order: VPP answers each request in
    // order, but nothing obliges a client to get different contexts' replies in request order.
    private final LinkedHashMap<Integer, List<ByteBuf>> held = new LinkedHashMap<>();
    private int holding;

    @Override
    public void channelReadComplete(ChannelHandlerContext ctx) {
      synchronized (StrictVppPeer.this) {
        if (holding == 0) {
          release(ctx);
        }
      }
      ctx.flush();
    }

    /** Writes the held frames: newest context first, one frame of each context in turn. */
    private void release(ChannelHandlerContext ctx) {
      List<List<ByteBuf>> queues = new ArrayList<>(held.values());
      held.clear();
      Collections.reverse(queues);
      boolean any = true;
      for (int i = 0; any; i++) {
        any = false;
        for (List<ByteBuf> q : queues) {
          if (i < q.size()) {
            var _ = ctx.write(q.get(i));
            any = true;
          }
        }
      }
      ctx.flush();
    }

    private void send(int context, ByteBuf out) {
      held.computeIfAbsent(context, c -> new ArrayList<>()).add(out);
    }

    @Override
    protected void channelRead0(ChannelHandlerContext ctx, ByteBuf in) {
      synchronized (StrictVppPeer.this) {
        int msg = in.getUnsignedShort(0);
        if (handle == -1) {
          handshake(ctx, in, msg);
          return;
        }
        String name = names.get(msg);
        if (name == null) {
          violation("message id " + msg + " is not in the table this client was given");
          return;
        }
        requests.add(name);
        if (holdFor > 0) {
          holding = holdFor;
          holdFor = 0;
        }
        if (holding > 0) {
          holding--; // at 0, the held replies go out when this read completes
        }
        if (in.readableBytes() < 10) {
          violation(name + ": " + in.readableBytes() + " bytes (expected: at least 10)");
          return;
        }
        int client = in.getInt(2);
        int context = in.getInt(6);
        if (client != handle) {
          // VPP silently ignores a request whose client_index is not a registration.
          violation(
              name
                  + ": client_index 0x"
                  + Integer.toHexString(client)
                  + " (expected: the reply's index 0x"
                  + Integer.toHexString(handle)
                  + ")");
          return;
        }
        Integer fail = failNext.remove(name);
        if (fail == null) {
          fail = failAlways.get(name);
        }
        if (fail != null) {
          reply(ctx, name + "_reply", context, fail, b -> {});
          return;
        }
        in.readerIndex(10);
        try {
          handle(ctx, name, context, in);
        } catch (IllegalArgumentException e) {
          violation(name + ": " + e.getMessage());
        }
      }
    }

    private void handshake(ChannelHandlerContext ctx, ByteBuf in, int msg) {
      if (msg != 15) {
        violation("first message: id " + msg + " (expected: sockclnt_create, 15)");
        var _ = ctx.close();
        return;
      }
      if (in.readableBytes() != 70) {
        violation("sockclnt_create: " + in.readableBytes() + " bytes (expected: 70)");
        var _ = ctx.close();
        return;
      }
      requests.add("sockclnt_create");
      int context = in.getInt(2);
      String clientName = fixedString(in, 6, 64, "sockclnt_create name");
      if (clientName.isEmpty()) {
        violation("sockclnt_create: empty name");
      }
      registrations++;
      handle = 0x8000_0000 | registrations;
      List<String> order = new ArrayList<>(CRCS.keySet());
      if (translationTables) {
        order.addAll(new java.util.TreeSet<>(TABLE_CRCS.keySet()));
      }
      Collections.shuffle(order, new Random(registrations));
      int next = 100;
      for (String n : order) {
        int id = FIXED.getOrDefault(n, -1);
        if (id < 0) {
          id = next++;
        }
        names.put(id, n);
        ids.put(n, id);
      }
      ByteBuf out = ctx.alloc().buffer();
      int count = order.size();
      int length = 20 + 66 * count;
      out.writeLong(0).writeInt(length).writeInt(0);
      out.writeShort(16);
      out.writeInt(0xdead_beef); // client_index: not the handle (clients must use `index`)
      out.writeInt(wrongHandshakeContext ? context + 1 : context);
      out.writeInt(0); // response
      out.writeInt(handle); // index
      out.writeShort(count);
      for (String n : order) {
        out.writeShort(requireNonNull(ids.get(n), n));
        byte[] nameCrc =
            (n + "_" + crcOverrides.getOrDefault(n, CRCS.getOrDefault(n, TABLE_CRCS.get(n))))
                .getBytes(StandardCharsets.UTF_8);
        out.writeBytes(nameCrc);
        out.writeZero(64 - nameCrc.length);
      }
      var _ = ctx.writeAndFlush(out);
    }

    private void handle(ChannelHandlerContext ctx, String name, int context, ByteBuf in) {
      int body = in.readableBytes();
      switch (name) {
        case "control_ping" -> {
          exact(body, 0);
          reply(ctx, "control_ping_reply", context, 0, b -> b.writeInt(handle).writeInt(4242));
        }
        case "sockclnt_delete" -> {
          exact(body, 4);
          int index = in.readInt();
          if (index != handle) {
            violation(
                "sockclnt_delete: index 0x" + Integer.toHexString(index) + " (expected: handle)");
          }
          reply(ctx, "sockclnt_delete_reply", context, 0, b -> {});
          release(ctx);
          var _ = ctx.close();
        }
        case "cli_inband" -> {
          // string cmd: u32 length, then the bytes
          if (body < 4) {
            throw new IllegalArgumentException((10 + body) + " bytes (expected: at least 14)");
          }
          long n = in.readUnsignedInt();
          exact(body, 4 + (int) Math.min(n, 1 << 20));
          String command = in.readCharSequence((int) n, StandardCharsets.UTF_8).toString();
          byte[] text = cli(command).getBytes(StandardCharsets.UTF_8);
          reply(ctx, "cli_inband_reply", context, 0, b -> b.writeInt(text.length).writeBytes(text));
        }
        case "cnat_translation_update" -> update(ctx, context, in, false);
        case "cnat_translation_update_v2" -> update(ctx, context, in, true);
        case "cnat_translation_v2_dump" -> {
          exact(body, 0);
          for (Translation t : translations.values()) {
            details(ctx, context, t, true);
          }
        }
        case "cnat_translation_del" -> {
          exact(body, 4);
          int id = in.readInt();
          Translation t = translations.remove(id);
          reply(ctx, "cnat_translation_del_reply", context, t == null ? -6 : 0, b -> {});
        }
        case "cnat_translation_dump" -> {
          exact(body, 0);
          for (Translation t : translations.values()) {
            details(ctx, context, t, false);
          }
        }
        case "cnat_session_purge" -> {
          exact(body, 0);
          // As VPP: the handler calls cnat_purge(), which purges translations and sessions.
          translations.clear();
          purges++;
          reply(ctx, "cnat_session_purge_reply", context, 0, b -> {});
        }
        case "ip_table_add_del" -> {
          exact(body, 70);
          boolean add = bool(in.readUnsignedByte(), "is_add");
          long table = in.readUnsignedInt();
          boolean ip6 = bool(in.readUnsignedByte(), "is_ip6");
          String tname = fixedString(in, in.readerIndex(), 64, "ip_table name");
          if (table == 0) {
            violation(
                "ip_table_add_del: table 0 is VPP's default (expected: never added or deleted)");
          }
          String key = table + (ip6 ? "/ip6" : "/ip4");
          if (add) {
            tables.putIfAbsent(
                key, tname.isEmpty() ? (ip6 ? "ipv6-VRF:" : "ipv4-VRF:") + table : tname);
          } else {
            tables.remove(key);
          }
          reply(ctx, "ip_table_add_del_reply", context, 0, b -> {});
        }
        case "ip_table_dump" -> {
          exact(body, 0);
          for (var e : tables.entrySet()) {
            String k = e.getKey();
            ByteBuf out = frame(ctx, "ip_table_details", context, 69);
            out.writeInt((int) Long.parseLong(k.substring(0, k.indexOf('/'))));
            out.writeByte(k.endsWith("/ip6") ? 1 : 0);
            byte[] n = e.getValue().getBytes(StandardCharsets.UTF_8);
            out.writeBytes(n).writeZero(64 - n.length);
            send(context, out);
          }
        }
        case "sw_interface_set_table" -> {
          exact(body, 9);
          in.readInt();
          boolean ip6 = bool(in.readUnsignedByte(), "is_ipv6");
          long vrf = in.readUnsignedInt();
          boolean known = tables.containsKey(vrf + (ip6 ? "/ip6" : "/ip4"));
          reply(ctx, "sw_interface_set_table_reply", context, known ? 0 : -9, b -> {});
        }
        case "cnat_set_snat_addresses" -> {
          exact(body, 24);
          snat.put(name, hex(in, 24));
          reply(ctx, name + "_reply", context, 0, b -> {});
        }
        case "cnat_set_snat_addresses_v2" -> {
          exact(body, 33);
          snat.put(name, hex(in, 33));
          reply(ctx, name + "_reply", context, 0, b -> {});
        }
        case "cnat_set_snat_policy" -> {
          exact(body, 1);
          int policy = in.readUnsignedByte();
          if (policy > 3) {
            violation("cnat_set_snat_policy: policy " + policy + " (expected: 0-3)");
          }
          snat.put(name, policy);
          reply(ctx, name + "_reply", context, 0, b -> {});
        }
        case "cnat_snat_policy_add_del_if" -> {
          exact(body, 6);
          snat.put(name, hex(in, 6));
          reply(ctx, name + "_reply", context, 0, b -> {});
        }
        case "cnat_snat_policy_add_del_exclude_pfx" -> {
          exact(body, 19);
          snat.put(name, hex(in, 19));
          reply(ctx, name + "_reply", context, 0, b -> {});
        }
        default -> violation(name + ": not expected from the multinet-proxy client");
      }
    }

    /**
     * The CLI's answer: {@code show cnat client} lists one client per VIP (and table) as cnat's
     * format_cnat_client does, with the number of translations on it; anything else is unknown.
     */
    private String cli(String command) {
      if (!command.equals("show cnat client")) {
        return "show: unknown input '" + command + "'\n";
      }
      Map<String, Integer> clients = new TreeMap<>();
      for (Translation t : translations.values()) {
        clients.merge(t.table + " " + t.vip, 1, Integer::sum);
      }
      StringBuilder out = new StringBuilder();
      int i = 0;
      for (var e : clients.entrySet()) {
        String vip = e.getKey().substring(e.getKey().indexOf(' ') + 1);
        out.append("[")
            .append(i++)
            .append("] cnat-client:[")
            .append(vip)
            .append("] tr:")
            .append(e.getValue())
            .append(" sess:0 locks:1 flags: 10 exclusive\n");
      }
      return out.toString();
    }

    /**
     * cnat_translation_update: translation @10 = vip (24), id, ip_proto, is_real_ip, flags,
     * lb_type, n_paths, flow_hash_config, then n_paths × 49. cnat_translation_update_v2 ({@code
     * v2}): u32 table_id after id, every later field 4 bytes further.
     */
    private void update(ChannelHandlerContext ctx, int context, ByteBuf in, boolean v2) {
      String name = v2 ? "cnat_translation_update_v2" : "cnat_translation_update";
      int fixed = v2 ? 44 : 40;
      if (in.readableBytes() < fixed) {
        throw new IllegalArgumentException(
            in.readableBytes() + " body bytes (expected: >= " + fixed + ")");
      }
      String[] vip = endpoint(in, "vip");
      in.readInt(); // id: ignored by VPP on update
      long table = v2 ? in.readUnsignedInt() : 0;
      int proto = in.readUnsignedByte();
      boolean real = bool(in.readUnsignedByte(), "is_real_ip");
      int flags = in.readUnsignedByte();
      int lb = in.readUnsignedByte();
      long n = in.readUnsignedInt();
      int fhc = in.readInt();
      exact(in.readableBytes() + fixed, fixed + 49 * (int) Math.min(n, 1 << 20));
      if (proto != 6 && proto != 17) {
        violation(name + ": ip_proto " + proto + " (expected: 6 or 17)");
      }
      if ((flags & ~(1 | 4 | 8)) != 0) {
        violation(name + ": flags 0x" + Integer.toHexString(flags) + " (expected: within 0x0d)");
      }
      if (lb > 1) {
        violation(name + ": lb_type " + lb + " (expected: 0 or 1)");
      }
      if ((fhc & ~0x1ff) != 0) {
        violation(name + ": flow_hash_config 0x" + Integer.toHexString(fhc));
      }
      if (n == 0) {
        // cnat_api.c does vec_validate (paths, n_paths - 1): zero paths is not something to send.
        violation(name + ": n_paths 0 (expected: at least 1)");
      }
      List<String> paths = new ArrayList<>();
      for (int i = 0; i < n && in.readableBytes() >= 49; i++) {
        String[] dst = endpoint(in, "paths[" + i + "].dst_ep");
        String[] src = endpoint(in, "paths[" + i + "].src_ep");
        int pf = in.readUnsignedByte();
        if (!dst[2].equals(vip[2]) || !src[2].equals(vip[2])) {
          violation(name + ": paths[" + i + "] family differs from the VIP's");
        }
        if (!src[0].equals(vip[2].equals("0") ? "0.0.0.0" : "::") || !src[1].equals("0")) {
          violation(
              name + ": paths[" + i + "].src_ep " + src[0] + " " + src[1] + " (expected: any)");
        }
        if (pf != 0 && pf != 2) {
          violation(name + ": paths[" + i + "].flags " + pf + " (expected: 0 or 2)");
        }
        if (dst[1].equals("0")) {
          violation(name + ": paths[" + i + "].dst_ep port 0");
        }
        paths.add(dst[0] + " " + dst[1]);
      }
      int port = Integer.parseInt(vip[1]);
      if (!tables.containsKey(table + (vip[2].equals("0") ? "/ip4" : "/ip6"))) {
        // cnat_api.c: fib_table_find fails, VNET_API_ERROR_NO_SUCH_FIB
        reply(ctx, name + "_reply", context, -3, b -> b.writeInt(-1));
        return;
      }
      Translation old = null;
      for (Translation t : translations.values()) {
        if (t.table == table && t.vip.equals(vip[0]) && t.proto == proto && t.port == port) {
          old = t;
        }
      }
      int id;
      if (old != null) {
        id = old.id;
        translations.put(
            id,
            new Translation(
                id, vip[0], proto, port, old.lbType, old.flowHash, flags, real, paths, table));
      } else {
        id = 0;
        while (translations.containsKey(id)) {
          id++;
        }
        translations.put(
            id, new Translation(id, vip[0], proto, port, lb, fhc, flags, real, paths, table));
      }
      int assigned = id;
      reply(ctx, name + "_reply", context, 0, b -> b.writeInt(assigned));
    }

    /**
     * {@code {u16 id, u32 context, translation}} as cnat_translation_send_details fills it; {@code
     * v2}: cnat_translation_v2_details, with the table id after the id.
     */
    private void details(ChannelHandlerContext ctx, int context, Translation t, boolean v2) {
      ByteBuf out =
          frame(
              ctx,
              v2 ? "cnat_translation_v2_details" : "cnat_translation_details",
              context,
              (v2 ? 44 : 40) + 49 * t.paths.size());
      writeEndpoint(out, t.vip, t.port);
      out.writeInt(t.id);
      if (v2) {
        out.writeInt((int) t.table);
      }
      out.writeByte(t.proto).writeByte(0).writeByte(0).writeByte(t.lbType);
      out.writeInt(t.paths.size()).writeInt(0);
      for (String p : t.paths) {
        String address = p.substring(0, p.indexOf(' '));
        writeEndpoint(out, address, Integer.parseInt(p.substring(p.indexOf(' ') + 1)));
        // src_ep: cnat_endpoint_encode of an unresolved endpoint: zero address, sw_if_index ~0.
        out.writeZero(17).writeInt(NO_INTERFACE).writeByte(address.contains(":") ? 1 : 0);
        out.writeShort(0).writeByte(0);
      }
      send(context, out);
    }

    private void writeEndpoint(ByteBuf out, String address, int port) {
      byte[] a = parse(address);
      out.writeByte(a.length == 4 ? 0 : 1).writeBytes(a).writeZero(16 - a.length);
      out.writeInt(NO_INTERFACE).writeByte(a.length == 4 ? 0 : 1).writeShort(port);
    }

    /** Reads a cnat_endpoint (24 bytes): returns {address, port, af}. */
    private String[] endpoint(ByteBuf in, String what) {
      int af = in.readUnsignedByte();
      byte[] u = new byte[16];
      in.readBytes(u);
      int sw = in.readInt();
      int ifAf = in.readUnsignedByte();
      int port = in.readUnsignedShort();
      if (af > 1) {
        violation("cnat_translation_update: " + what + ".addr.af " + af + " (expected: 0 or 1)");
      }
      if (af == 0 && !Arrays.equals(Arrays.copyOfRange(u, 4, 16), new byte[12])) {
        violation("cnat_translation_update: " + what + ": IPv4 union bytes 4-15 not zero");
      }
      if (sw != NO_INTERFACE) {
        violation(
            "cnat_translation_update: "
                + what
                + ".sw_if_index "
                + sw
                + " (expected: ~0, an address)");
      }
      if (ifAf != af) {
        violation(
            "cnat_translation_update: " + what + ".if_af " + ifAf + " (expected: " + af + ")");
      }
      try {
        String a = InetAddress.getByAddress(af == 0 ? Arrays.copyOf(u, 4) : u).getHostAddress();
        if (af == 1) {
          a = io.multinet.network.IpAddress.of(u).toString();
        }
        return new String[] {a, Integer.toString(port), Integer.toString(af)};
      } catch (UnknownHostException e) {
        throw new IllegalArgumentException(what + ": " + e.getMessage(), e);
      }
    }

    private byte[] parse(String address) {
      return io.multinet.network.IpAddress.parse(address).toBytes();
    }

    private ByteBuf frame(ChannelHandlerContext ctx, String message, int context, int body) {
      ByteBuf out = ctx.alloc().buffer(16 + 6 + body);
      out.writeLong(0).writeInt(6 + body).writeInt(0);
      out.writeShort(requireNonNull(ids.get(message), message)).writeInt(context);
      return out;
    }

    private void reply(
        ChannelHandlerContext ctx,
        String message,
        int context,
        int retval,
        Consumer<ByteBuf> rest) {
      ByteBuf body = ctx.alloc().buffer();
      body.writeInt(retval);
      rest.accept(body);
      ByteBuf out = frame(ctx, message, context, body.readableBytes());
      out.writeBytes(body);
      body.release();
      send(context, out);
    }

    private void exact(int body, int expected) {
      if (body != expected) {
        throw new IllegalArgumentException(
            (10 + body) + " bytes (expected: " + (10 + expected) + ")");
      }
    }

    private boolean bool(int v, String what) {
      if (v > 1) {
        throw new IllegalArgumentException(what + ": " + v + " (expected: 0 or 1)");
      }
      return v == 1;
    }

    private String fixedString(ByteBuf in, int at, int len, String what) {
      int n = 0;
      while (n < len && in.getByte(at + n) != 0) {
        n++;
      }
      if (n == len) {
        violation(what + ": not NUL-terminated within " + len + " bytes");
      }
      for (int i = n; i < len; i++) {
        if (in.getByte(at + i) != 0) {
          violation(what + ": padding byte " + i + " is not zero");
          break;
        }
      }
      String s = in.toString(at, n, StandardCharsets.UTF_8);
      if (in.readerIndex() <= at) {
        in.readerIndex(Math.min(at + len, in.writerIndex()));
      }
      return s;
    }

    private String hex(ByteBuf in, int n) {
      StringBuilder sb = new StringBuilder();
      for (int i = 0; i < n; i++) {
        sb.append(String.format("%02x", in.readUnsignedByte()));
      }
      return sb.toString();
    }

    @Override
    public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
      violation("peer: " + cause);
      var _ = ctx.close();
    }

    @Override
    public void channelInactive(ChannelHandlerContext ctx) {
      clients.remove(ctx.channel());
      synchronized (StrictVppPeer.this) {
        held.values().forEach(q -> q.forEach(ByteBuf::release));
        held.clear();
      }
    }
  }

  @Override
  public String toString() {
    return "StrictVppPeer[" + socket + "]";
  }
}
