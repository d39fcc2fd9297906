package io.multinet.dataplane;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_INT;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.invoke.MethodHandle;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;
import org.jspecify.annotations.Nullable;

/**
 * Runs code in a named network namespace ({@code /run/netns/NAME}, as {@code ip netns} makes them)
 * on a fresh platform thread: {@code setns(2)} moves only that thread, and sockets and netlink
 * contexts it creates stay in that namespace afterwards.
 */
public final class Netns {

  private static final int O_RDONLY = 0;
  private static final int O_CLOEXEC = 0x80000;
  private static final int CLONE_NEWNET = 0x40000000;

  private static final class Native {
    static final Linker LINKER = Linker.nativeLinker();
    // open(2) is variadic (the mode); declaring it so keeps the call right on every ABI.
    static final MethodHandle OPEN =
        LINKER.downcallHandle(
            LINKER.defaultLookup().find("open").orElseThrow(),
            FunctionDescriptor.of(JAVA_INT, ADDRESS, JAVA_INT, JAVA_INT),
            Linker.Option.firstVariadicArg(2),
            Linker.Option.captureCallState("errno"));
    static final MethodHandle CLOSE =
        LINKER.downcallHandle(
            LINKER.defaultLookup().find("close").orElseThrow(),
            FunctionDescriptor.of(JAVA_INT, JAVA_INT));
    static final MethodHandle SETNS =
        LINKER.downcallHandle(
            LINKER.defaultLookup().find("setns").orElseThrow(),
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT),
            Linker.Option.captureCallState("errno"));
  }

  private Netns() {}

  /** Runs {@code task} in namespace {@code name}; null means the caller's namespace. */
  public static <T> T call(@Nullable String name, Callable<T> task) throws Exception {
    if (name == null) {
      return task.call();
    }
    var future =
        new FutureTask<T>(
            () -> {
              enter(name);
              return task.call();
            });
    Thread t = Thread.ofPlatform().name("netns-" + name).daemon().start(future);
    try {
      return future.get();
    } catch (ExecutionException e) {
      Throwable cause = e.getCause();
      if (cause instanceof Exception ex) {
        throw ex;
      }
      throw e;
    } finally {
      t.join();
    }
  }

  /** Moves the calling thread into namespace {@code name}, for threads that live there. */
  public static void enter(String name) {
    String path = "/run/netns/" + name;
    try (Arena a = Arena.ofConfined()) {
      var state = a.allocate(Linker.Option.captureStateLayout());
      int fd = (int) Native.OPEN.invokeExact(state, a.allocateFrom(path), O_RDONLY | O_CLOEXEC, 0);
      if (fd < 0) {
        throw new IllegalStateException(
            "netns: "
                + path
                + " (expected: a namespace made by ip netns add; errno "
                + errno(state)
                + ")");
      }
      int rc = (int) Native.SETNS.invokeExact(state, fd, CLONE_NEWNET);
      int err = errno(state);
      int closed = (int) Native.CLOSE.invokeExact(fd);
      if (rc != 0) {
        throw new IllegalStateException(
            "netns: setns " + path + " failed (errno " + err + "; root needed)");
      }
      if (closed != 0) {
        throw new IllegalStateException("netns: close " + path + " failed");
      }
    } catch (RuntimeException | Error e) {
      throw e;
    } catch (Throwable t) {
      throw new IllegalStateException("netns " + name, t);
    }
  }

  private static int errno(java.lang.foreign.MemorySegment state) {
    return state.get(
        JAVA_INT,
        Linker.Option.captureStateLayout()
            .byteOffset(java.lang.foreign.MemoryLayout.PathElement.groupElement("errno")));
  }
}
