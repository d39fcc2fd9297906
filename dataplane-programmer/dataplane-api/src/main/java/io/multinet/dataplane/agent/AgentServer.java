package io.multinet.dataplane.agent;

import static java.util.Objects.requireNonNull;

import io.grpc.Server;
import io.grpc.inprocess.InProcessServerBuilder;
import io.grpc.netty.NettyServerBuilder;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerDomainSocketChannel;
import io.netty.channel.unix.DomainSocketAddress;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;

/**
 * Serves a {@link DataplaneAgent} over a unix domain socket (Netty epoll; the socket is made 0600
 * in a 0700 directory, so only root talks to it) or in-process for the single-process mode.
 */
public final class AgentServer implements AutoCloseable {

  public static final Path DEFAULT_SOCKET = Path.of("/run/multinet/dataplane.sock");

  private final Server server;
  private final @Nullable EventLoopGroup group;

  private AgentServer(Server server, @Nullable EventLoopGroup group) {
    this.server = server;
    this.group = group;
  }

  public static AgentServer unixSocket(Path socket, DataplaneAgent agent) throws IOException {
    requireNonNull(socket, "socket");
    Epoll.ensureAvailability();
    Path dir = socket.toAbsolutePath().getParent();
    if (dir != null) {
      Files.createDirectories(dir);
      Files.setPosixFilePermissions(dir, PosixFilePermissions.fromString("rwx------"));
    }
    // A crashed agent leaves its socket behind; binding would fail on it.
    Files.deleteIfExists(socket);
    EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, EpollIoHandler.newFactory());
    try {
      Server server =
          NettyServerBuilder.forAddress(new DomainSocketAddress(socket.toString()))
              .channelType(EpollServerDomainSocketChannel.class)
              // gRPC sets SO_KEEPALIVE on every connection; a unix socket has none, and Netty
              // would warn about it once per connection. null removes the option.
              .withChildOption(ChannelOption.SO_KEEPALIVE, null)
              .bossEventLoopGroup(group)
              .workerEventLoopGroup(group)
              .addService(agent)
              .build()
              .start();
      Files.setPosixFilePermissions(socket, PosixFilePermissions.fromString("rw-------"));
      return new AgentServer(server, group);
    } catch (IOException | RuntimeException e) {
      var _ = group.shutdownGracefully(0, 1, TimeUnit.SECONDS);
      throw e;
    }
  }

  public static AgentServer inProcess(String name, DataplaneAgent agent) throws IOException {
    Server server =
        InProcessServerBuilder.forName(name).directExecutor().addService(agent).build().start();
    return new AgentServer(server, null);
  }

  @Override
  public void close() {
    server.shutdownNow();
    try {
      server.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    EventLoopGroup g = group;
    if (g != null) {
      var _ = g.shutdownGracefully(0, 1, TimeUnit.SECONDS);
    }
  }

  public void awaitTermination() throws InterruptedException {
    server.awaitTermination();
  }
}
