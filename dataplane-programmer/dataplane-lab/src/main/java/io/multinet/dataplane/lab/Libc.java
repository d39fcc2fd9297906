package io.multinet.dataplane.lab;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;

import java.io.IOException;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout.PathElement;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.StructLayout;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;

/**
 * The few libc calls the harness needs, through FFM. Constants are Linux's generic ABI (x86_64 and
 * aarch64 agree on all of them). Calls go through {@code invokeWithArguments}: slower than {@code
 * invokeExact}, irrelevant for tests, and no exact-cast pitfalls.
 */
@SuppressWarnings("restricted") // needs --enable-native-access=ALL-UNNAMED (surefire argLine)
final class Libc {
  static final int AF_INET = 2;
  static final int AF_INET6 = 10;
  static final int SOCK_DGRAM = 2;
  static final int SOCK_CLOEXEC = 0x80000;
  static final int SOL_SOCKET = 1;
  static final int SO_REUSEADDR = 2;
  static final int SO_RCVTIMEO = 20;
  static final int SOL_IP = 0;
  static final int IP_RECVERR = 11;
  static final int SOL_IPV6 = 41;
  static final int IPV6_RECVERR = 25;
  static final int EAGAIN = 11;
  static final int EACCES = 13;
  static final int ENETUNREACH = 101;
  static final int ECONNREFUSED = 111;
  static final int EHOSTUNREACH = 113;

  private static final Linker LINKER = Linker.nativeLinker();
  private static final StructLayout STATE = Linker.Option.captureStateLayout();
  private static final VarHandle ERRNO = STATE.varHandle(PathElement.groupElement("errno"));

  static final MethodHandle CLOSE = errno("close", FunctionDescriptor.of(JAVA_INT, JAVA_INT));
  static final MethodHandle SOCKET =
      errno("socket", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT));
  static final MethodHandle SETSOCKOPT =
      errno(
          "setsockopt",
          FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT));
  static final MethodHandle BIND =
      errno("bind", FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT));
  static final MethodHandle CONNECT =
      errno("connect", FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT));
  static final MethodHandle SEND =
      errno("send", FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG, JAVA_INT));
  static final MethodHandle RECV =
      errno("recv", FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG, JAVA_INT));
  private static final MethodHandle STRERROR =
      LINKER.downcallHandle(
          LINKER.defaultLookup().find("strerror").orElseThrow(),
          FunctionDescriptor.of(ADDRESS, JAVA_INT));

  private Libc() {}

  /** A failed libc call; {@link #errno()} lets callers classify network errors. */
  static final class ErrnoException extends IOException {
    private static final long serialVersionUID = 1L;
    private final int errno;

    ErrnoException(String what, int errno) {
      super(what + ": " + strerror(errno) + " (errno " + errno + ")");
      this.errno = errno;
    }

    int errno() {
      return errno;
    }
  }

  /** Calls {@code handle} (an {@link #errno} handle) and throws on a -1 return. */
  static long call(Arena arena, String what, MethodHandle handle, Object... args)
      throws ErrnoException {
    MemorySegment state = arena.allocate(STATE);
    Object[] all = new Object[args.length + 1];
    all[0] = state;
    System.arraycopy(args, 0, all, 1, args.length);
    long rc = ((Number) invoke(handle, all)).longValue();
    if (rc == -1) {
      throw new ErrnoException(what, (int) ERRNO.get(state, 0L));
    }
    return rc;
  }

  /** Closes a file descriptor, ignoring errors: used on cleanup paths only. */
  static void closeQuietly(int fd) {
    try (Arena arena = Arena.ofConfined()) {
      call(arena, "close", CLOSE, fd);
    } catch (ErrnoException ignored) {
      // Nothing useful to do: the descriptor is gone either way.
    }
  }

  static String strerror(int errno) {
    MemorySegment s = (MemorySegment) invoke(STRERROR, new Object[] {errno});
    return s.reinterpret(Long.MAX_VALUE).getString(0);
  }

  private static Object invoke(MethodHandle handle, Object[] args) {
    try {
      return handle.invokeWithArguments(args);
    } catch (RuntimeException | Error e) {
      throw e;
    } catch (Throwable t) {
      throw new IllegalStateException(t);
    }
  }

  private static MethodHandle errno(
      String name, FunctionDescriptor descriptor, Linker.Option... options) {
    Linker.Option[] all = new Linker.Option[options.length + 1];
    all[0] = Linker.Option.captureCallState("errno");
    System.arraycopy(options, 0, all, 1, options.length);
    return LINKER.downcallHandle(LINKER.defaultLookup().find(name).orElseThrow(), descriptor, all);
  }
}
