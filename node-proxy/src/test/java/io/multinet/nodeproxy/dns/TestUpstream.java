package io.multinet.nodeproxy.dns;

import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.epoll.EpollDatagramChannel;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.socket.SocketChannel;
import io.netty.handler.codec.dns.DatagramDnsQuery;
import io.netty.handler.codec.dns.DatagramDnsQueryDecoder;
import io.netty.handler.codec.dns.DatagramDnsResponse;
import io.netty.handler.codec.dns.DatagramDnsResponseEncoder;
import io.netty.handler.codec.dns.DefaultDnsRawRecord;
import io.netty.handler.codec.dns.DefaultDnsResponse;
import io.netty.handler.codec.dns.DnsQuery;
import io.netty.handler.codec.dns.DnsQuestion;
import io.netty.handler.codec.dns.DnsRecordType;
import io.netty.handler.codec.dns.DnsResponse;
import io.netty.handler.codec.dns.DnsResponseCode;
import io.netty.handler.codec.dns.DnsSection;
import io.netty.handler.codec.dns.TcpDnsQueryDecoder;
import io.netty.handler.codec.dns.TcpDnsResponseEncoder;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * An upstream resolver on loopback for the forwarding tests, written with netty's DNS codec: {@code
 * *.example.test} A → 192.0.2.7 (TTL 60); {@code big.example.test} A → 40 addresses, truncated over
 * UDP and whole over TCP; anything else NXDOMAIN. It records every question it gets.
 */
@SuppressWarnings("FutureReturnValueIgnored") // fire-and-forget writes of a test responder
final class TestUpstream implements AutoCloseable {

  final List<String> udpQuestions = new CopyOnWriteArrayList<>();
  final List<String> tcpQuestions = new CopyOnWriteArrayList<>();
  private final EventLoopGroup group =
      new MultiThreadIoEventLoopGroup(1, EpollIoHandler.newFactory());
  private final Channel udp;
  private final Channel tcp;

  TestUpstream(InetAddress address) throws InterruptedException {
    udp =
        new Bootstrap()
            .group(group)
            .channel(EpollDatagramChannel.class)
            .handler(
                new ChannelInitializer<Channel>() {
                  @Override
                  protected void initChannel(Channel ch) {
                    ch.pipeline()
                        .addLast(
                            new DatagramDnsQueryDecoder(),
                            new DatagramDnsResponseEncoder(),
                            new SimpleChannelInboundHandler<DatagramDnsQuery>() {
                              @Override
                              protected void channelRead0(
                                  ChannelHandlerContext ctx, DatagramDnsQuery q) {
                                DnsQuestion question = q.recordAt(DnsSection.QUESTION);
                                udpQuestions.add(question.name());
                                var r = new DatagramDnsResponse(q.recipient(), q.sender(), q.id());
                                fill(q, r, false);
                                ctx.writeAndFlush(r);
                              }
                            });
                  }
                })
            .bind(new InetSocketAddress(address, 0))
            .sync()
            .channel();
    int port = ((InetSocketAddress) udp.localAddress()).getPort();
    tcp =
        new ServerBootstrap()
            .group(group)
            .channel(EpollServerSocketChannel.class)
            .childHandler(
                new ChannelInitializer<SocketChannel>() {
                  @Override
                  protected void initChannel(SocketChannel ch) {
                    ch.pipeline()
                        .addLast(
                            new TcpDnsQueryDecoder(),
                            new TcpDnsResponseEncoder(),
                            new SimpleChannelInboundHandler<DnsQuery>() {
                              @Override
                              protected void channelRead0(ChannelHandlerContext ctx, DnsQuery q) {
                                DnsQuestion question = q.recordAt(DnsSection.QUESTION);
                                tcpQuestions.add(question.name());
                                var r = new DefaultDnsResponse(q.id());
                                fill(q, r, true);
                                ctx.writeAndFlush(r);
                              }
                            });
                  }
                })
            .bind(new InetSocketAddress(address, port))
            .sync()
            .channel();
  }

  InetSocketAddress address() {
    return (InetSocketAddress) udp.localAddress();
  }

  private static void fill(DnsQuery q, DnsResponse r, boolean tcp) {
    DnsQuestion question = q.recordAt(DnsSection.QUESTION);
    r.addRecord(DnsSection.QUESTION, question);
    r.setRecursionAvailable(true);
    String name = question.name().toLowerCase(java.util.Locale.ROOT);
    if (name.equals("big.example.test.") && question.type().equals(DnsRecordType.A)) {
      if (!tcp) {
        r.setTruncated(true);
        return;
      }
      for (int i = 1; i <= 40; i++) {
        r.addRecord(
            DnsSection.ANSWER,
            new DefaultDnsRawRecord(
                question.name(),
                DnsRecordType.A,
                60,
                Unpooled.wrappedBuffer(new byte[] {(byte) 192, 0, 2, (byte) i})));
      }
    } else if (name.endsWith(".example.test.") && question.type().equals(DnsRecordType.A)) {
      r.addRecord(
          DnsSection.ANSWER,
          new DefaultDnsRawRecord(
              question.name(),
              DnsRecordType.A,
              60,
              Unpooled.wrappedBuffer(new byte[] {(byte) 192, 0, 2, 7})));
    } else {
      r.setCode(DnsResponseCode.NXDOMAIN);
    }
  }

  @Override
  public void close() {
    udp.close().syncUninterruptibly();
    tcp.close().syncUninterruptibly();
    group.shutdownGracefully(0, 1, java.util.concurrent.TimeUnit.SECONDS).syncUninterruptibly();
  }
}
