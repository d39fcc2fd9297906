package io.multinet.dataplane.lab;

import static java.nio.charset.StandardCharsets.UTF_8;

import io.multinet.dataplane.lab.ProbeResult.Outcome;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.Socket;

/**
 * An established TCP connection to an {@link EchoServer}, made by {@link Probe#open}. Each {@link
 * #exchange()} sends a line and reads the server's answer, so a test can check that a flow keeps
 * its backend (or breaks) across a dataplane change.
 */
public final class TcpSession implements AutoCloseable {
  private final Socket socket;
  private final BufferedReader in;
  private final ProbeResult greeting;

  /** Takes over {@code socket} (connected, with a read timeout) and reads the greeting. */
  TcpSession(Socket socket) throws IOException {
    this.socket = socket;
    this.in = new BufferedReader(new InputStreamReader(socket.getInputStream(), UTF_8));
    this.greeting = read();
  }

  /** The line the server sent on accept. */
  public ProbeResult greeting() {
    return greeting;
  }

  /** One request/answer round trip on this connection. */
  public ProbeResult exchange() throws IOException {
    try {
      socket.getOutputStream().write("ping\n".getBytes(UTF_8));
    } catch (IOException e) {
      return Probe.classify(e);
    }
    return read();
  }

  private ProbeResult read() throws IOException {
    try {
      String line = in.readLine();
      return line == null
          ? ProbeResult.failure(Outcome.CLOSED, "tcp: connection closed")
          : ProbeResult.parse(line);
    } catch (IOException e) {
      return Probe.classify(e);
    }
  }

  @Override
  public void close() throws IOException {
    socket.close();
  }
}
