package io.multinet.dataplane.kernel;

import io.multinet.dataplane.Netns;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.jspecify.annotations.Nullable;

/**
 * Owns one libnftables context on one thread: the context is created in the target network
 * namespace (which binds its netlink socket there) and every batch runs on that thread, because a
 * context must not be shared between threads.
 */
final class NftExecutor implements AutoCloseable {

  private final ExecutorService thread;

  /** Touched on {@link #thread} only; replaced after a failed batch. */
  private Libnftables nft;

  NftExecutor(@Nullable String netns) {
    thread =
        Executors.newSingleThreadExecutor(
            r ->
                Thread.ofPlatform()
                    .name("nft" + (netns == null ? "" : "-" + netns))
                    .daemon()
                    .unstarted(r));
    try {
      nft =
          thread
              .submit(
                  () -> {
                    if (netns != null) {
                      Netns.enter(netns);
                    }
                    return new Libnftables();
                  })
              .get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      thread.shutdownNow();
      throw new IllegalStateException("interrupted while creating the nft context", e);
    } catch (ExecutionException e) {
      thread.shutdownNow();
      Throwable cause = e.getCause() == null ? e : e.getCause();
      if (cause instanceof NftablesUnavailableException missing) {
        throw missing;
      }
      throw new IllegalStateException("cannot create an nft context: " + cause.getMessage(), cause);
    }
  }

  /** Runs one batch, one transaction. */
  String run(String batch) throws NftException {
    return call(() -> nft.run(batch));
  }

  /** Lists in JSON (for reading back state in tests and for the affinity cleanup). */
  String listJson(String command) throws NftException {
    return list(command, false);
  }

  /** Lists in JSON without sets' elements: the table's shape, cheap even with 100k elements. */
  String listTerseJson(String command) throws NftException {
    return list(command, true);
  }

  private String list(String command, boolean terse) throws NftException {
    return call(
        () -> {
          nft.output(true, terse);
          try {
            return nft.run(command);
          } finally {
            nft.output(false, false);
          }
        });
  }

  private String call(Callable<String> c) throws NftException {
    Callable<String> fresh =
        () -> {
          try {
            return c.call();
          } catch (NftException e) {
            // A failed batch can leave the context's netlink socket out of step (seen: ENOBUFS
            // under a flood of element errors, then "cache initialization failed: Protocol
            // error" on every later call); a new context costs little and starts clean.
            nft.close();
            nft = new Libnftables();
            throw e;
          }
        };
    try {
      return thread.submit(fresh).get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted", e);
    } catch (ExecutionException e) {
      Throwable cause = e.getCause() == null ? e : e.getCause();
      if (cause instanceof NftException n) {
        throw n;
      }
      throw new IllegalStateException(String.valueOf(cause.getMessage()), cause);
    }
  }

  @Override
  public void close() {
    try {
      thread.submit(nft::close).get();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (ExecutionException e) {
      // freeing failed: nothing more to do than stop the thread
    } finally {
      thread.shutdownNow();
    }
  }
}
