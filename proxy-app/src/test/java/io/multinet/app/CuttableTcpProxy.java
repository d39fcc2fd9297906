package io.multinet.app;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * A loopback TCP forwarder in front of the embedded API server that a test can cut (every
 * connection reset, new ones refused) and restore on the same port: an API server outage as its
 * clients see it, while the server itself keeps its objects.
 */
final class CuttableTcpProxy implements AutoCloseable {

  private final int target;
  private final int port;
  private final Set<Socket> sockets = ConcurrentHashMap.newKeySet();
  private volatile ServerSocket server;

  CuttableTcpProxy(int target) throws IOException {
    this.target = target;
    this.server = new ServerSocket(0, 50, InetAddress.getLoopbackAddress());
    this.port = server.getLocalPort();
    accept(server);
  }

  int port() {
    return port;
  }

  /** Resets every connection and stops listening: clients get "connection refused". */
  synchronized void cut() throws IOException {
    server.close();
    for (Socket s : sockets) {
      try {
        s.setSoLinger(true, 0); // a reset, as when the server's host goes away
        s.close();
      } catch (IOException e) {
        // closed meanwhile by its pipe
      }
    }
    sockets.clear();
  }

  /** Listens on the same port again. */
  synchronized void restore() throws IOException {
    ServerSocket s = new ServerSocket();
    s.setReuseAddress(true);
    s.bind(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 50);
    server = s;
    accept(s);
  }

  private void accept(ServerSocket s) {
    Thread.ofVirtual()
        .start(
            () -> {
              while (!s.isClosed()) {
                try {
                  Socket in = s.accept();
                  Socket out = new Socket(InetAddress.getLoopbackAddress(), target);
                  sockets.add(in);
                  sockets.add(out);
                  pipe(in, out);
                  pipe(out, in);
                } catch (IOException e) {
                  // closed by cut(), or the target refused: the client sees a reset either way
                }
              }
            });
  }

  private void pipe(Socket from, Socket to) {
    Thread.ofVirtual()
        .start(
            () -> {
              byte[] buf = new byte[16 * 1024];
              try (InputStream in = from.getInputStream();
                  OutputStream out = to.getOutputStream()) {
                int n;
                while ((n = in.read(buf)) >= 0) {
                  out.write(buf, 0, n);
                  out.flush();
                }
              } catch (IOException e) {
                // one side went away: close both below
              } finally {
                closeQuietly(from);
                closeQuietly(to);
              }
            });
  }

  private void closeQuietly(Socket s) {
    sockets.remove(s);
    try {
      s.close();
    } catch (IOException e) {
      // already closed
    }
  }

  @Override
  public void close() throws IOException {
    cut();
  }
}
