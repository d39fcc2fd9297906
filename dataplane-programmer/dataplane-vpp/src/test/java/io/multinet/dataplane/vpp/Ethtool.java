package io.multinet.dataplane.vpp;

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
import java.nio.charset.StandardCharsets;

/**
 * Turns transmit offloads off on an interface, as {@code ethtool -K IF tx off tso off gso off}
 * does, with the {@code SIOCETHTOOL} ioctl (no ethtool package needed). A veth end that VPP's
 * af_packet interface reads must not leave checksums to "hardware": VPP would see packets with
 * partial checksums and forward them so. Call it inside the interface's namespace ({@link
 * io.multinet.dataplane.lab.Netns}): the socket resolves the name there.
 */
@SuppressWarnings("restricted") // needs --enable-native-access=ALL-UNNAMED (surefire argLine)
final class Ethtool {
  private static final int AF_INET = 2;
  private static final int SOCK_DGRAM = 2;
  private static final long SIOCETHTOOL = 0x8946;
  private static final int ETHTOOL_STXCSUM = 0x17;
  private static final int ETHTOOL_STSO = 0x1f;
  private static final int ETHTOOL_SGSO = 0x24;
  private static final int IFNAMSIZ = 16;
  private static final int IFREQ_SIZE = 40;

  private static final Linker LINKER = Linker.nativeLinker();
  private static final StructLayout STATE = Linker.Option.captureStateLayout();
  private static final VarHandle ERRNO = STATE.varHandle(PathElement.groupElement("errno"));
  private static final MethodHandle SOCKET =
      handle("socket", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT));
  private static final MethodHandle IOCTL =
      handle(
          "ioctl",
          FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_LONG, ADDRESS),
          Linker.Option.firstVariadicArg(2));
  private static final MethodHandle CLOSE =
      handle("close", FunctionDescriptor.of(JAVA_INT, JAVA_INT));

  private Ethtool() {}

  /** Transmit checksumming, TSO and GSO off on {@code ifName} in the calling thread's namespace. */
  static void txOffloadsOff(String ifName) throws IOException {
    byte[] name = ifName.getBytes(StandardCharsets.US_ASCII);
    if (name.length >= IFNAMSIZ) {
      throw new IllegalArgumentException("interface: " + ifName + " (expected: 1-15 characters)");
    }
    try (Arena arena = Arena.ofConfined()) {
      int fd = (int) call(arena, "socket", SOCKET, AF_INET, SOCK_DGRAM, 0);
      try {
        // TSO and GSO first: the kernel refuses neither, and tx csum off would drop them anyway.
        for (int cmd : new int[] {ETHTOOL_STSO, ETHTOOL_SGSO, ETHTOOL_STXCSUM}) {
          MemorySegment value = arena.allocate(8, 4); // struct ethtool_value { u32 cmd, data; }
          value.set(JAVA_INT, 0, cmd);
          value.set(JAVA_INT, 4, 0);
          MemorySegment ifreq = arena.allocate(IFREQ_SIZE, 8);
          MemorySegment.copy(MemorySegment.ofArray(name), 0, ifreq, 0, name.length);
          ifreq.set(ADDRESS, IFNAMSIZ, value); // ifr_data
          call(
              arena,
              "SIOCETHTOOL " + ifName + " cmd 0x" + Integer.toHexString(cmd),
              IOCTL,
              fd,
              SIOCETHTOOL,
              ifreq);
        }
      } finally {
        call(arena, "close", CLOSE, fd);
      }
    }
  }

  private static long call(Arena arena, String what, MethodHandle handle, Object... args)
      throws IOException {
    MemorySegment state = arena.allocate(STATE);
    Object[] all = new Object[args.length + 1];
    all[0] = state;
    System.arraycopy(args, 0, all, 1, args.length);
    long rc;
    try {
      rc = ((Number) handle.invokeWithArguments(all)).longValue();
    } catch (RuntimeException | Error e) {
      throw e;
    } catch (Throwable t) {
      throw new IllegalStateException(t);
    }
    if (rc == -1) {
      throw new IOException(what + ": errno " + (int) ERRNO.get(state, 0L));
    }
    return rc;
  }

  private static MethodHandle handle(
      String name, FunctionDescriptor descriptor, Linker.Option... options) {
    Linker.Option[] all = new Linker.Option[options.length + 1];
    all[0] = Linker.Option.captureCallState("errno");
    System.arraycopy(options, 0, all, 1, options.length);
    return LINKER.downcallHandle(LINKER.defaultLookup().find(name).orElseThrow(), descriptor, all);
  }
}
