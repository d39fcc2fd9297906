package io.multinet.dataplane.kernel;

import static java.util.Objects.requireNonNull;

import org.jspecify.annotations.Nullable;

/**
 * One in-process libnftables context in a network namespace that runs batches rendered by the
 * caller, one transaction each: the path {@link KernelBackend} uses, opened to benchmarks that
 * compare other rule layouts through it. The agent does not use it.
 */
public final class NftSession implements AutoCloseable {

  private final NftExecutor nft;

  /** A context in {@code netns} (null: the caller's namespace). */
  public NftSession(@Nullable String netns) {
    this.nft = new NftExecutor(netns);
  }

  /** Runs one batch of nft commands as one transaction; returns nft's output. */
  public String run(String batch) throws NftException {
    return nft.run(requireNonNull(batch, "batch"));
  }

  @Override
  public void close() {
    nft.close();
  }
}
