package io.multinet.dataplane.lab;

import java.util.concurrent.Callable;

/**
 * Runs code inside a named network namespace ({@code /run/netns/NAME}) without spawning a process:
 * the lab's name for {@link io.multinet.dataplane.Netns}, which gives every call a fresh platform
 * thread ({@code setns(2)} moves only the calling thread). Sockets keep the namespace they were
 * created in, so a socket made by the task may be used from any thread afterwards. Never hand the
 * work to a virtual thread: it could run on any carrier.
 */
public final class Netns {
  private Netns() {}

  /** Runs {@code task} in {@code netns} and returns its result; its exception is rethrown as is. */
  public static <T> T call(String netns, Callable<T> task) throws Exception {
    return io.multinet.dataplane.Netns.call(netns, task);
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
}
