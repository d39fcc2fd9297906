package io.multinet.dataplane.lab;

import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;
import static java.util.Objects.requireNonNull;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.net.Inet4Address;
import java.net.InetAddress;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ThreadLocalRandom;
import java.util.zip.CRC32C;

/**
 * SCTP without the kernel's SCTP stack: these kernels lack {@code CONFIG_IP_SCTP}, while conntrack
 * and NAT handle SCTP. INIT chunks are sent and captured on raw IPv4 sockets; a captured INIT shows
 * where the dataplane sent it (its destination address and port after DNAT). IPv4 only.
 */
public final class SctpInit {
  private static final int SOCK_RAW = 3;
  private static final int IPPROTO_SCTP = 132;
  private static final int INIT_LENGTH = 32; // common header 12 + INIT chunk 20 (RFC 9260 3.3.2)

  private SctpInit() {}

  /** One INIT as a backend saw it. */
  public record Seen(String pod, InetAddress destination, int destinationPort, int sourcePort) {}

  /** Sends one INIT from {@code netns} to {@code address:port}, from {@code sourcePort}. */
  public static void send(String netns, String address, int port, int sourcePort) throws Exception {
    InetAddress target = InetAddress.ofLiteral(address);
    if (!(target instanceof Inet4Address)) {
      throw new IllegalArgumentException("address: " + address + " (expected: IPv4)");
    }
    byte[] packet = init(sourcePort, port);
    Netns.call(
        netns,
        () -> {
          try (Arena arena = Arena.ofConfined()) {
            int fd = rawSocket(arena);
            try {
              MemorySegment sa = arena.allocate(16, 4);
              sa.set(JAVA_SHORT, 0, (short) Libc.AF_INET);
              MemorySegment.copy(target.getAddress(), 0, sa, JAVA_BYTE, 4, 4);
              Libc.call(arena, "connect", Libc.CONNECT, fd, sa, 16);
              MemorySegment buf = arena.allocateFrom(JAVA_BYTE, packet);
              Libc.call(arena, "send", Libc.SEND, fd, buf, (long) packet.length, 0);
            } finally {
              Libc.closeQuietly(fd);
            }
          }
          return null;
        });
  }

  /** A raw IPv4 socket for SCTP, in the calling thread's namespace. */
  private static int rawSocket(Arena arena) throws Libc.ErrnoException {
    return (int)
        Libc.call(
            arena, "socket", Libc.SOCKET, Libc.AF_INET, SOCK_RAW | Libc.SOCK_CLOEXEC, IPPROTO_SCTP);
  }

  /** An INIT chunk in its common header, with a valid CRC32c (conntrack drops bad ones). */
  static byte[] init(int sourcePort, int destinationPort) {
    ThreadLocalRandom r = ThreadLocalRandom.current();
    ByteBuffer b = ByteBuffer.allocate(INIT_LENGTH); // big-endian, as on the wire
    b.putShort((short) sourcePort).putShort((short) destinationPort);
    b.putInt(0); // verification tag: 0 in an INIT
    b.putInt(0); // checksum, filled below
    b.put((byte) 1).put((byte) 0).putShort((short) 20); // chunk INIT, flags, length
    b.putInt(r.nextInt(1, Integer.MAX_VALUE)); // initiate tag, never 0
    b.putInt(65_535).putShort((short) 1).putShort((short) 1); // a_rwnd, OS, MIS
    b.putInt(r.nextInt()); // initial TSN
    byte[] out = b.array();
    var crc = new CRC32C();
    crc.update(out);
    // SCTP stores CRC32c least significant byte first (RFC 9260 appendix A).
    ByteBuffer.wrap(out, 8, 4).order(ByteOrder.LITTLE_ENDIAN).putInt((int) crc.getValue());
    return out;
  }

  /** Captures the INITs reaching a pod until closed. */
  public static final class Capture implements AutoCloseable {
    private final String pod;
    private final int fd;
    private final Thread reader;
    private final List<Seen> seen = new CopyOnWriteArrayList<>();
    private volatile boolean open = true;

    private Capture(String pod, int fd) {
      this.pod = pod;
      this.fd = fd;
      this.reader = Thread.ofPlatform().daemon().name("sctp-capture-" + pod).start(this::read);
    }

    /** Opens a raw SCTP socket in {@code pod}'s namespace (it stays there) and starts reading. */
    public static Capture start(Topology.Pod pod) throws Exception {
      requireNonNull(pod, "pod");
      int fd =
          Netns.call(
              pod.netns(),
              () -> {
                try (Arena arena = Arena.ofConfined()) {
                  int s = rawSocket(arena);
                  // Short receive timeouts let close() stop the reader promptly.
                  MemorySegment timeval = arena.allocate(16, 8);
                  timeval.set(JAVA_LONG, 8, 100_000L);
                  Libc.call(
                      arena,
                      "SO_RCVTIMEO",
                      Libc.SETSOCKOPT,
                      s,
                      Libc.SOL_SOCKET,
                      Libc.SO_RCVTIMEO,
                      timeval,
                      16);
                  return s;
                }
              });
      return new Capture(pod.name(), fd);
    }

    public List<Seen> seen() {
      return List.copyOf(seen);
    }

    private void read() {
      try (Arena arena = Arena.ofConfined()) {
        MemorySegment buf = arena.allocate(2048);
        while (open) {
          long n;
          try {
            n = Libc.call(arena, "recv", Libc.RECV, fd, buf, 2048L, 0);
          } catch (Libc.ErrnoException e) {
            continue; // the receive timeout: check whether to stop
          }
          byte[] p = buf.asSlice(0, n).toArray(JAVA_BYTE);
          int ihl = (p[0] & 0x0f) * 4; // a raw IPv4 socket receives the IP header too
          if (n < ihl + 16 || p[ihl + 12] != 1) {
            continue; // not an INIT
          }
          ByteBuffer b = ByteBuffer.wrap(p);
          byte[] dst = new byte[4];
          System.arraycopy(p, 16, dst, 0, 4);
          seen.add(
              new Seen(
                  pod,
                  InetAddress.getByAddress(dst),
                  b.getShort(ihl + 2) & 0xffff,
                  b.getShort(ihl) & 0xffff));
        }
      } catch (java.io.IOException e) {
        throw new java.io.UncheckedIOException(e);
      }
    }

    @Override
    public void close() {
      open = false;
      try {
        reader.join();
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt(); // the reader stops within one receive timeout anyway
      }
      Libc.closeQuietly(fd);
    }
  }
}
