package io.multinet.dataplane.kernel;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import io.multinet.dataplane.Netns;
import io.multinet.network.IpAddress;
import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Set;
import java.util.SortedSet;
import java.util.TreeSet;
import org.jspecify.annotations.Nullable;

/**
 * The addresses the kernel backend keeps on the node's loopback for node-local listeners
 * (NodeFacts.local_addresses), each a /32 or /128 on {@code lo}. Each is added through rtnetlink
 * with the address protocol {@value #PROTO} ({@code IFA_PROTO}, kernel 5.18 and later), which the
 * kernel keeps with the address: what carries it is what this backend added, also after a restart,
 * and nothing else on {@code lo} is ever removed. iproute2 before 6.2 cannot set that attribute, so
 * this speaks rtnetlink itself (FFM); changes are rare, so each call opens a socket inside the
 * namespace and closes it.
 */
final class LoopbackAddresses {

  /** The IFA_PROTO of our addresses ('m'); the kernel's own are 1-3. */
  static final int PROTO = 0x6d;

  private static final int LOOPBACK_IFINDEX = 1; // lo is ifindex 1 in every namespace
  private static final int AF_INET = 2;
  private static final int AF_INET6 = 10;
  private static final int AF_NETLINK = 16;
  private static final int NETLINK_ROUTE = 0;
  private static final int SOCK_RAW = 3;
  private static final int SOCK_CLOEXEC = 0x80000;
  private static final int SOL_SOCKET = 1;
  private static final int SO_RCVTIMEO = 20;
  private static final int NLMSG_ERROR = 2;
  private static final int NLMSG_DONE = 3;
  private static final int RTM_NEWADDR = 20;
  private static final int RTM_DELADDR = 21;
  private static final int RTM_GETADDR = 22;
  private static final int NLM_F_REQUEST = 0x1;
  private static final int NLM_F_ACK = 0x4;
  private static final int NLM_F_DUMP = 0x300;
  private static final int NLM_F_EXCL = 0x200;
  private static final int NLM_F_CREATE = 0x400;
  private static final int IFA_ADDRESS = 1;
  private static final int IFA_LOCAL = 2;
  private static final int IFA_PROTO = 11;
  private static final int IFA_F_NODAD = 0x02;
  private static final int NLMSG_HDRLEN = 16;
  private static final int IFADDRMSG_LEN = 8;
  private static final int BUFFER = 64 * 1024;

  private static final class Native {
    static final Linker LINKER = Linker.nativeLinker();
    static final Linker.Option ERRNO = Linker.Option.captureCallState("errno");
    static final VarHandle ERRNO_HANDLE =
        Linker.Option.captureStateLayout()
            .varHandle(MemoryLayout.PathElement.groupElement("errno"));
    static final MethodHandle SOCKET =
        fn("socket", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT));
    static final MethodHandle SETSOCKOPT =
        fn(
            "setsockopt",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT));
    static final MethodHandle SEND =
        fn("send", FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG, JAVA_INT));
    static final MethodHandle RECV =
        fn("recv", FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG, JAVA_INT));
    static final MethodHandle CLOSE = fn("close", FunctionDescriptor.of(JAVA_INT, JAVA_INT));

    private static MethodHandle fn(String name, FunctionDescriptor fd) {
      return LINKER.downcallHandle(LINKER.defaultLookup().find(name).orElseThrow(), fd, ERRNO);
    }
  }

  private final @Nullable String netns;

  LoopbackAddresses(@Nullable String netns) {
    this.netns = netns;
  }

  /** The addresses on {@code lo} that carry our protocol: the ones this backend added. */
  SortedSet<IpAddress> owned() throws IOException {
    return inNamespace(s -> s.dump(true));
  }

  /**
   * Adds each of {@code wanted} that is not on {@code lo} yet; one already there, ours or not, is
   * left as it is (an operator's address is never claimed, so never removed either). Returns how
   * many it added.
   */
  int add(Set<IpAddress> wanted) throws IOException {
    return inNamespace(
        s -> {
          SortedSet<IpAddress> present = s.dump(false);
          int added = 0;
          for (IpAddress a : wanted) {
            if (!present.contains(a)) {
              s.request(RTM_NEWADDR, NLM_F_CREATE | NLM_F_EXCL, a);
              added++;
            }
          }
          return added;
        });
  }

  /** Removes the addresses this backend added that are not in {@code keep}; returns how many. */
  int removeExcept(Set<IpAddress> keep) throws IOException {
    return inNamespace(
        s -> {
          int removed = 0;
          for (IpAddress a : s.dump(true)) {
            if (!keep.contains(a)) {
              s.request(RTM_DELADDR, 0, a);
              removed++;
            }
          }
          return removed;
        });
  }

  private interface Work<T> {
    T run(Socket s) throws IOException;
  }

  private <T> T inNamespace(Work<T> work) throws IOException {
    try {
      return Netns.call(
          netns,
          () -> {
            try (Socket s = new Socket()) {
              return work.run(s);
            }
          });
    } catch (IOException | RuntimeException e) {
      throw e;
    } catch (Exception e) {
      throw new IOException("loopback addresses in netns " + netns + ": " + e, e);
    }
  }

  /** One NETLINK_ROUTE socket, in the namespace of the thread that opened it. */
  private static final class Socket implements AutoCloseable {
    private final Arena arena = Arena.ofConfined();
    private final MemorySegment errno = arena.allocate(Linker.Option.captureStateLayout());
    private final MemorySegment buffer = arena.allocate(BUFFER, 8);
    private final int fd;
    private int seq = 1;

    Socket() throws IOException {
      try {
        fd =
            (int)
                Native.SOCKET.invokeExact(
                    errno, AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_ROUTE);
        if (fd < 0) {
          IOException e = failure("socket(AF_NETLINK, NETLINK_ROUTE)");
          arena.close();
          throw e;
        }
        MemorySegment timeval = arena.allocate(16, 8);
        timeval.set(JAVA_LONG, 0, 10L);
        int rc =
            (int) Native.SETSOCKOPT.invokeExact(errno, fd, SOL_SOCKET, SO_RCVTIMEO, timeval, 16);
        if (rc != 0) {
          IOException e = failure("setsockopt(SO_RCVTIMEO)");
          close();
          throw e;
        }
      } catch (IOException | RuntimeException | Error e) {
        throw e;
      } catch (Throwable t) {
        throw new IllegalStateException("rtnetlink socket", t);
      }
    }

    /** The addresses on {@code lo}: all of them, or only those carrying our protocol. */
    SortedSet<IpAddress> dump(boolean ownedOnly) throws IOException {
      ByteBuffer b = header(RTM_GETADDR, NLM_F_DUMP);
      b.put((byte) 0).put((byte) 0).put((byte) 0).put((byte) 0).putInt(0); // every family
      int mySeq = send(b);
      var out = new TreeSet<IpAddress>();
      while (true) {
        ByteBuffer in = receive();
        while (in.remaining() >= NLMSG_HDRLEN) {
          int start = in.position();
          int len = in.getInt(start);
          int type = in.getShort(start + 4) & 0xffff;
          int msgSeq = in.getInt(start + 8);
          if (len < NLMSG_HDRLEN || start + len > in.limit()) {
            throw new IOException("rtnetlink: malformed answer of " + len + " bytes");
          }
          if (msgSeq == mySeq) {
            if (type == NLMSG_DONE) {
              return out;
            }
            if (type == NLMSG_ERROR) {
              check(in, start, "dump addresses");
            } else if (type == RTM_NEWADDR) {
              IpAddress a = parse(in, start, len, ownedOnly);
              if (a != null) {
                out.add(a);
              }
            }
          }
          in.position(Math.min(in.limit(), start + align(len)));
        }
      }
    }

    /** The address of one RTM_NEWADDR on {@code lo}, or null (another link, or not ours). */
    private static @Nullable IpAddress parse(ByteBuffer in, int start, int len, boolean ownedOnly) {
      int family = in.get(start + NLMSG_HDRLEN) & 0xff;
      int index = in.getInt(start + NLMSG_HDRLEN + 4);
      if (index != LOOPBACK_IFINDEX || (family != AF_INET && family != AF_INET6)) {
        return null;
      }
      byte @Nullable [] address = null;
      byte @Nullable [] local = null;
      int proto = 0;
      int at = start + NLMSG_HDRLEN + IFADDRMSG_LEN;
      while (at + 4 <= start + len) {
        int alen = in.getShort(at) & 0xffff;
        int atype = in.getShort(at + 2) & 0x3fff;
        if (alen < 4 || at + alen > start + len) {
          break;
        }
        byte[] value = new byte[alen - 4];
        in.get(at + 4, value);
        switch (atype) {
          case IFA_ADDRESS -> address = value;
          case IFA_LOCAL -> local = value;
          case IFA_PROTO -> proto = value.length > 0 ? value[0] & 0xff : 0;
          default -> {}
        }
        at += align(alen);
      }
      byte[] raw = local != null ? local : address;
      if (raw == null || (ownedOnly && proto != PROTO)) {
        return null;
      }
      return IpAddress.of(raw);
    }

    /** Adds or deletes one /32 or /128 on {@code lo} and waits for the kernel's answer. */
    void request(int type, int flags, IpAddress a) throws IOException {
      byte[] raw = a.toBytes();
      boolean v4 = a.isV4();
      ByteBuffer b = header(type, NLM_F_ACK | flags);
      b.put((byte) (v4 ? AF_INET : AF_INET6))
          .put((byte) (v4 ? 32 : 128))
          .put((byte) (v4 ? 0 : IFA_F_NODAD))
          .put((byte) 0) // scope global: the address answers from every network
          .putInt(LOOPBACK_IFINDEX);
      attribute(b, IFA_LOCAL, raw);
      attribute(b, IFA_ADDRESS, raw);
      if (type == RTM_NEWADDR) {
        attribute(b, IFA_PROTO, new byte[] {(byte) PROTO});
      }
      int mySeq = send(b);
      String what = (type == RTM_NEWADDR ? "add " : "delete ") + a + " on lo";
      while (true) {
        ByteBuffer in = receive();
        while (in.remaining() >= NLMSG_HDRLEN) {
          int start = in.position();
          int len = in.getInt(start);
          if (len < NLMSG_HDRLEN || start + len > in.limit()) {
            throw new IOException("rtnetlink: malformed answer of " + len + " bytes");
          }
          if (in.getInt(start + 8) == mySeq && (in.getShort(start + 4) & 0xffff) == NLMSG_ERROR) {
            check(in, start, what);
            return;
          }
          in.position(Math.min(in.limit(), start + align(len)));
        }
      }
    }

    private static void check(ByteBuffer in, int start, String what) throws IOException {
      int error = -in.getInt(start + NLMSG_HDRLEN);
      if (error != 0) {
        throw new IOException(
            "rtnetlink: " + what + ": errno " + error + " (" + errnoName(error) + ")");
      }
    }

    private static String errnoName(int errno) {
      return switch (errno) {
        case 1 -> "EPERM";
        case 17 -> "EEXIST";
        case 22 -> "EINVAL";
        case 99 -> "EADDRNOTAVAIL";
        default -> "see errno(3)";
      };
    }

    private ByteBuffer header(int type, int flags) {
      ByteBuffer b = ByteBuffer.allocate(256).order(ByteOrder.nativeOrder());
      b.putInt(0).putShort((short) type).putShort((short) (NLM_F_REQUEST | flags));
      b.putInt(seq++).putInt(0);
      return b;
    }

    private static void attribute(ByteBuffer b, int type, byte[] value) {
      b.putShort((short) (4 + value.length)).putShort((short) type).put(value);
      while (b.position() % 4 != 0) {
        b.put((byte) 0);
      }
    }

    private int send(ByteBuffer b) throws IOException {
      int length = b.position();
      b.putInt(0, length);
      int mySeq = b.getInt(8);
      MemorySegment.copy(MemorySegment.ofBuffer(b.duplicate().flip()), 0, buffer, 0, length);
      try {
        long n = (long) Native.SEND.invokeExact(errno, fd, buffer, (long) length, 0);
        if (n != length) {
          throw failure("send");
        }
      } catch (IOException | RuntimeException | Error e) {
        throw e;
      } catch (Throwable t) {
        throw new IllegalStateException("send", t);
      }
      return mySeq;
    }

    private ByteBuffer receive() throws IOException {
      try {
        long n = (long) Native.RECV.invokeExact(errno, fd, buffer, (long) BUFFER, 0);
        if (n <= 0) {
          throw failure("recv");
        }
        byte[] copy = buffer.asSlice(0, n).toArray(JAVA_BYTE);
        return ByteBuffer.wrap(copy).order(ByteOrder.nativeOrder());
      } catch (IOException | RuntimeException | Error e) {
        throw e;
      } catch (Throwable t) {
        throw new IllegalStateException("recv", t);
      }
    }

    private IOException failure(String call) {
      int e = (int) Native.ERRNO_HANDLE.get(errno, 0L);
      return new IOException("rtnetlink: " + call + ": errno " + e + " (" + errnoName(e) + ")");
    }

    private static int align(int n) {
      return (n + 3) & ~3;
    }

    @Override
    public void close() {
      try {
        int ignored = (int) Native.CLOSE.invokeExact(errno, fd);
      } catch (Throwable t) {
        // Closing is best effort: the socket goes with the thread's process anyway.
      }
      arena.close();
    }
  }
}
