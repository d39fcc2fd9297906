package io.multinet.dataplane.kernel;

import static java.nio.charset.StandardCharsets.UTF_8;

import io.multinet.dataplane.Netns;
import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.epoll.EpollDatagramChannel;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.socket.DatagramPacket;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.unix.IntegerUnixChannelOption;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A node-local listener as the node proxy opens one for a network's DNS: a UDP and a TCP socket on
 * one address, on ephemeral ports, each with SO_MARK set to the network's mark (none for 0), in the
 * node's namespace. It answers like the lab's echo servers ({@code <name> <peer address>}, on
 * accept and for every datagram), so {@link io.multinet.dataplane.lab.Probe} reads which network's
 * listener answered, and counts what reached it, so a test sees that a dropped packet never did.
 */
final class MarkedEchoServer implements AutoCloseable {

  /** SOL_SOCKET / SO_MARK (asm-generic/socket.h); Netty has no named option for it. */
  private static final IntegerUnixChannelOption SO_MARK =
      new IntegerUnixChannelOption("SO_MARK", 1, 36);

  private final String name;
  private final Channel udp;
  private final Channel tcp;
  private final AtomicInteger received;

  private MarkedEchoServer(String name, Channel udp, Channel tcp, AtomicInteger received) {
    this.name = name;
    this.udp = udp;
    this.tcp = tcp;
    this.received = received;
  }

  /**
   * Binds both sockets inside {@code netns} (a socket keeps the namespace it was created in, and
   * Netty creates it on the thread that binds) before returning.
   */
  static MarkedEchoServer start(
      EventLoopGroup group, String netns, String name, int mark, String address) throws Exception {
    var received = new AtomicInteger();
    InetSocketAddress local = new InetSocketAddress(InetAddress.ofLiteral(address), 0);
    Bootstrap udp =
        new Bootstrap()
            .group(group)
            .channel(EpollDatagramChannel.class)
            .handler(
                new SimpleChannelInboundHandler<DatagramPacket>() {
                  @Override
                  protected void channelRead0(ChannelHandlerContext ctx, DatagramPacket packet) {
                    received.incrementAndGet();
                    var _ =
                        ctx.writeAndFlush(
                            new DatagramPacket(
                                Unpooled.wrappedBuffer(line(name, packet.sender())),
                                packet.sender()));
                  }
                });
    ServerBootstrap tcp =
        new ServerBootstrap()
            .group(group)
            .channel(EpollServerSocketChannel.class)
            .childHandler(
                new ChannelInitializer<SocketChannel>() {
                  @Override
                  protected void initChannel(SocketChannel ch) {
                    ch.pipeline()
                        .addLast(
                            new ChannelInboundHandlerAdapter() {
                              @Override
                              public void channelActive(ChannelHandlerContext ctx) {
                                received.incrementAndGet();
                                var _ =
                                    ctx.writeAndFlush(
                                        Unpooled.wrappedBuffer(line(name, ch.remoteAddress())));
                              }

                              @Override
                              public void channelRead(ChannelHandlerContext ctx, Object msg) {
                                io.netty.util.ReferenceCountUtil.release(msg);
                                var _ =
                                    ctx.writeAndFlush(
                                        Unpooled.wrappedBuffer(line(name, ch.remoteAddress())));
                              }
                            });
                  }
                });
    if (mark != 0) {
      udp.option(SO_MARK, mark);
      tcp.option(SO_MARK, mark);
    }
    Channel u = Netns.call(netns, () -> udp.bind(local).sync().channel());
    Channel t;
    try {
      t = Netns.call(netns, () -> tcp.bind(local).sync().channel());
    } catch (Exception e) {
      u.close().syncUninterruptibly();
      throw e;
    }
    return new MarkedEchoServer(name, u, t, received);
  }

  private static byte[] line(String name, InetSocketAddress peer) {
    return (name + " " + peer.getAddress().getHostAddress() + "\n").getBytes(UTF_8);
  }

  String name() {
    return name;
  }

  int udpPort() {
    return ((InetSocketAddress) udp.localAddress()).getPort();
  }

  int tcpPort() {
    return ((InetSocketAddress) tcp.localAddress()).getPort();
  }

  /** Datagrams and connections that reached the sockets so far. */
  int received() {
    return received.get();
  }

  @Override
  public void close() {
    udp.close().syncUninterruptibly();
    tcp.close().syncUninterruptibly();
  }
}
