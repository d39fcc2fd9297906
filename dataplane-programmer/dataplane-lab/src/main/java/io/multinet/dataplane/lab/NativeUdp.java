package io.multinet.dataplane.lab;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;
import static java.nio.charset.StandardCharsets.UTF_8;

import io.multinet.dataplane.lab.ProbeResult.Outcome;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.nio.ByteOrder;
import java.time.Duration;

/**
 * A UDP probe on a raw libc socket. Java's sockets cannot set {@code IP_RECVERR}, and without it
 * Linux reports only port-unreachable to a UDP socket: host/net unreachable would look like a
 * timeout. Runs on the calling thread, so call it inside {@link Netns}.
 */
final class NativeUdp {
  private static final byte[] PAYLOAD = "probe\n".getBytes(UTF_8);
  private static final int BUFFER = 2048;

  private NativeUdp() {}

  static ProbeResult probe(InetAddress target, int port, int sourcePort, Duration timeout)
      throws IOException {
    boolean v6 = target instanceof Inet6Address;
    try (Arena arena = Arena.ofConfined()) {
      int fd =
          (int)
              Libc.call(
                  arena,
                  "socket",
                  Libc.SOCKET,
                  v6 ? Libc.AF_INET6 : Libc.AF_INET,
                  Libc.SOCK_DGRAM | Libc.SOCK_CLOEXEC,
                  0);
      try {
        setInt(
            arena, fd, v6 ? Libc.SOL_IPV6 : Libc.SOL_IP, v6 ? Libc.IPV6_RECVERR : Libc.IP_RECVERR);
        MemorySegment timeval = arena.allocate(16, 8);
        timeval.set(JAVA_LONG, 0, timeout.toSeconds());
        timeval.set(JAVA_LONG, 8, timeout.toMillisPart() * 1000L);
        Libc.call(
            arena,
            "SO_RCVTIMEO",
            Libc.SETSOCKOPT,
            fd,
            Libc.SOL_SOCKET,
            Libc.SO_RCVTIMEO,
            timeval,
            16);
        if (sourcePort != 0) {
          setInt(arena, fd, Libc.SOL_SOCKET, Libc.SO_REUSEADDR);
          MemorySegment any =
              sockaddr(arena, InetAddress.ofLiteral(v6 ? "::" : "0.0.0.0"), sourcePort);
          Libc.call(arena, "bind", Libc.BIND, fd, any, (int) any.byteSize());
        }
        MemorySegment to = sockaddr(arena, target, port);
        Libc.call(arena, "connect", Libc.CONNECT, fd, to, (int) to.byteSize());
        MemorySegment payload = arena.allocateFrom(JAVA_BYTE, PAYLOAD);
        Libc.call(arena, "send", Libc.SEND, fd, payload, (long) PAYLOAD.length, 0);
        MemorySegment buffer = arena.allocate(BUFFER);
        long n = Libc.call(arena, "recv", Libc.RECV, fd, buffer, (long) BUFFER, 0);
        return ProbeResult.parse(new String(buffer.asSlice(0, n).toArray(JAVA_BYTE), UTF_8));
      } catch (Libc.ErrnoException e) {
        return switch (e.errno()) {
          case Libc.EAGAIN -> ProbeResult.failure(Outcome.TIMEOUT, "udp: no reply in " + timeout);
          case Libc.ECONNREFUSED ->
              ProbeResult.failure(Outcome.REFUSED, String.valueOf(e.getMessage()));
          case Libc.EHOSTUNREACH, Libc.ENETUNREACH, Libc.EACCES ->
              ProbeResult.failure(Outcome.UNREACHABLE, String.valueOf(e.getMessage()));
          default -> throw e;
        };
      } finally {
        Libc.closeQuietly(fd);
      }
    }
  }

  private static void setInt(Arena arena, int fd, int level, int option) throws IOException {
    Libc.call(
        arena,
        "setsockopt",
        Libc.SETSOCKOPT,
        fd,
        level,
        option,
        arena.allocateFrom(JAVA_INT, 1),
        4);
  }

  /** struct sockaddr_in / sockaddr_in6: native-order family, big-endian port, raw address. */
  private static MemorySegment sockaddr(Arena arena, InetAddress address, int port) {
    byte[] raw = address.getAddress();
    boolean v6 = raw.length == 16;
    MemorySegment sa = arena.allocate(v6 ? 28 : 16, 4);
    sa.set(JAVA_SHORT, 0, (short) (v6 ? Libc.AF_INET6 : Libc.AF_INET));
    sa.set(JAVA_SHORT.withOrder(ByteOrder.BIG_ENDIAN), 2, (short) port);
    MemorySegment.copy(raw, 0, sa, JAVA_BYTE, v6 ? 8 : 4, raw.length);
    return sa;
  }
}
