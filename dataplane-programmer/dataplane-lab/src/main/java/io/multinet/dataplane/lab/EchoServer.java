package io.multinet.dataplane.lab;

import static java.nio.charset.StandardCharsets.UTF_8;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.ByteBuffer;
import java.nio.channels.DatagramChannel;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

/**
 * TCP and UDP servers on one port inside a pod namespace, dual-stack. Each answer is the line
 * {@code <name> <peer address>}: which backend answered and which source address it saw (after any
 * NAT). A TCP connection gets that line on accept and again for every line it sends, so a test can
 * keep a connection open across a dataplane change.
 */
public final class EchoServer implements AutoCloseable {
  /** Concurrent TCP connections; more are closed at once. */
  private static final int MAX_CONNECTIONS = 32;

  private final String name;
  private final ServerSocket tcp;
  private final DatagramChannel udp;
  private final ThreadPoolExecutor workers;
  private final Set<Socket> connections = ConcurrentHashMap.newKeySet();
  private final Thread acceptor;
  private final Thread udpLoop;

  private EchoServer(String name, ServerSocket tcp, DatagramChannel udp) {
    this.name = name;
    this.tcp = tcp;
    this.udp = udp;
    this.workers =
        new ThreadPoolExecutor(
            0,
            MAX_CONNECTIONS,
            10,
            TimeUnit.SECONDS,
            new SynchronousQueue<>(),
            Thread.ofPlatform().daemon().name("echo-" + name + "-", 0).factory());
    this.acceptor =
        Thread.ofPlatform().daemon().name("echo-" + name + "-tcp").unstarted(this::acceptLoop);
    this.udpLoop =
        Thread.ofPlatform().daemon().name("echo-" + name + "-udp").unstarted(this::udpLoop);
  }

  public static EchoServer start(Topology.Pod pod, int port) throws Exception {
    return start(pod.netns(), pod.name(), port);
  }

  /** Binds both sockets inside {@code netns} before returning, so probes may start at once. */
  public static EchoServer start(String netns, String name, int port) throws Exception {
    ServerSocket tcp =
        Netns.call(
            netns,
            () -> {
              ServerSocket s = new ServerSocket();
              s.setReuseAddress(true);
              s.bind(new InetSocketAddress(port), MAX_CONNECTIONS);
              return s;
            });
    DatagramChannel udp;
    try {
      udp = Netns.call(netns, () -> bindUdp(port));
    } catch (Exception e) {
      tcp.close();
      throw e;
    }
    EchoServer server = new EchoServer(name, tcp, udp);
    server.acceptor.start();
    server.udpLoop.start();
    return server;
  }

  public String name() {
    return name;
  }

  private static DatagramChannel bindUdp(int port) throws IOException {
    DatagramChannel channel = DatagramChannel.open();
    try {
      return channel.bind(new InetSocketAddress(port));
    } catch (IOException e) {
      channel.close();
      throw e;
    }
  }

  private byte[] reply(InetAddress peer) {
    return (name + " " + peer.getHostAddress() + "\n").getBytes(UTF_8);
  }

  private void acceptLoop() {
    while (true) {
      Socket socket;
      try {
        socket = tcp.accept();
      } catch (IOException e) {
        return; // closed by close()
      }
      connections.add(socket);
      try {
        workers.execute(() -> serve(socket));
      } catch (RejectedExecutionException e) {
        connections.remove(socket);
        closeQuietly(socket);
      }
    }
  }

  private void serve(Socket socket) {
    try (socket;
        BufferedReader in =
            new BufferedReader(new InputStreamReader(socket.getInputStream(), UTF_8))) {
      OutputStream out = socket.getOutputStream();
      byte[] line = reply(socket.getInetAddress());
      out.write(line);
      while (in.readLine() != null) {
        out.write(line);
      }
    } catch (IOException e) {
      // The client went away or close() closed the socket: nothing to report.
    } finally {
      connections.remove(socket);
    }
  }

  private void udpLoop() {
    ByteBuffer buffer = ByteBuffer.allocate(2048);
    while (udp.isOpen()) {
      try {
        buffer.clear();
        InetSocketAddress peer = (InetSocketAddress) udp.receive(buffer);
        if (peer != null) {
          udp.send(ByteBuffer.wrap(reply(peer.getAddress())), peer);
        }
      } catch (IOException e) {
        // Closed by close() (the loop ends), or one send failed (the client sees a timeout).
      }
    }
  }

  @Override
  public void close() {
    closeQuietly(tcp);
    closeQuietly(udp);
    workers.shutdownNow();
    try {
      acceptor.join(5_000);
      udpLoop.join(5_000);
      connections.forEach(EchoServer::closeQuietly);
      workers.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      connections.forEach(EchoServer::closeQuietly);
    }
  }

  private static void closeQuietly(AutoCloseable closeable) {
    try {
      closeable.close();
    } catch (Exception e) {
      // Best effort while shutting down.
    }
  }
}
