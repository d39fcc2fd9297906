package io.multinet.dataplane.lab;

import java.net.InetAddress;
import org.jspecify.annotations.Nullable;

/**
 * What one probe got back: an {@link EchoServer} line ({@code backend} and the {@code peer} address
 * the backend saw) or why there was none. {@code detail} is for failure messages only.
 */
public record ProbeResult(
    Outcome outcome, @Nullable String backend, @Nullable InetAddress peer, String detail) {

  public enum Outcome {
    /** An echo line came back. */
    REPLY,
    /** TCP reset or ICMP port unreachable: something answered "nobody listens here". */
    REFUSED,
    /** Nothing came back in time: dropped, or an ICMP error that went elsewhere. */
    TIMEOUT,
    /** ICMP host/net unreachable reached the client, or it had no route itself. */
    UNREACHABLE,
    /** TCP connected, then closed or reset without a line. */
    CLOSED
  }

  static ProbeResult parse(String line) {
    String[] parts = line.strip().split(" ", -1);
    if (parts.length != 2) {
      throw new IllegalStateException("not an echo line: " + line);
    }
    return new ProbeResult(Outcome.REPLY, parts[0], InetAddress.ofLiteral(parts[1]), line.strip());
  }

  static ProbeResult failure(Outcome outcome, String detail) {
    return new ProbeResult(outcome, null, null, detail);
  }

  /** The backend name for a reply, else the outcome's name: the key {@link Probe#count} uses. */
  public String key() {
    return backend != null ? backend : outcome.name();
  }
}
