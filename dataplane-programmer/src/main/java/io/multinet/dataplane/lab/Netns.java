package io.multinet.dataplane.lab;

import java.lang.foreign.Arena;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;

/**
 * Runs code inside a named network namespace ({@code /run/netns/NAME}) without spawning a process.
 *
 * <p>{@code setns(2)} switches only the calling OS thread, so every call gets a fresh platform
 * thread that enters the namespace, runs the task and dies: no pooled thread is ever left in a
 * foreign namespace. Sockets keep the namespace they were created in, so a socket made by the task
 * may be used from any thread afterwards (accept loops, readers). Never hand the work to a virtual
 * thread: it could run on any carrier.
 */
public final class Netns {
  private Netns() {}

  /** Runs {@code task} in {@code netns} and returns its result; its exception is rethrown as is. */
  public static <T> T call(String netns, Callable<T> task) throws Exception {
    FutureTask<T> future =
        new FutureTask<>(
            () -> {
              enter(netns);
              return task.call();
            });
    Thread.ofPlatform().name("netns-" + netns).daemon().start(future);
    try {
      return future.get();
    } catch (ExecutionException e) {
      Throwable cause = e.getCause();
      if (cause instanceof Exception ex) {
        throw ex;
      }
      if (cause instanceof Error err) {
        throw err;
      }
      throw e;
    }
  }

  /** A task without a result, for {@link #run}. */
  @FunctionalInterface
  public interface Task {
    void run() throws Exception;
  }

  /** Runs {@code task} in {@code netns}. */
  public static void run(String netns, Task task) throws Exception {
    call(
        netns,
        () -> {
          task.run();
          return null;
        });
  }

  private static void enter(String netns) throws Libc.ErrnoException {
    String path = "/run/netns/" + netns;
    try (Arena arena = Arena.ofConfined()) {
      int fd =
          (int)
              Libc.call(
                  arena,
                  "open " + path,
                  Libc.OPEN,
                  arena.allocateFrom(path),
                  Libc.O_RDONLY | Libc.O_CLOEXEC,
                  0);
      try {
        Libc.call(arena, "setns " + path, Libc.SETNS, fd, Libc.CLONE_NEWNET);
      } finally {
        Libc.closeQuietly(fd);
      }
    }
  }
}
