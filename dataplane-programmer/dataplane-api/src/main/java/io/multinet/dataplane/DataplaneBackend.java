package io.multinet.dataplane;

import io.multinet.dataplane.v1.Delta;
import io.multinet.dataplane.v1.DesiredState;

/**
 * A dataplane that serves one node's service ports: the Linux kernel (nftables) or VPP. Every apply
 * is all or nothing: when it throws, the dataplane still serves what it served before.
 * Implementations are used from one thread at a time (the agent serializes calls).
 */
public interface DataplaneBackend extends AutoCloseable {

  /** "kernel" or "vpp". */
  String name();

  /** Replaces everything this backend programmed with {@code state}, atomically. */
  void applyFull(DesiredState state) throws DataplaneException;

  /**
   * Applies a change to the last applied state, touching only what changed. Throws {@link
   * DataplaneException} (with {@code needFull}) when it cannot, e.g. before any full state.
   */
  void applyDelta(Delta delta) throws DataplaneException;

  /**
   * What the dataplane actually holds now, read back from it (not from memory), in the same shape:
   * for tests and {@code dataplane status --verify}. Names and the order of lists are not kept.
   */
  DesiredState observe() throws DataplaneException;

  /**
   * The dataplane's own view, read from it, as lines for operators ({@code dataplane status}): in
   * the dataplane's terms (VPP: tables, translations, clients; the kernel: table shape). Empty for
   * a backend that has none.
   */
  default java.util.List<String> describe() throws DataplaneException {
    return java.util.List.of();
  }

  /** Removes everything this backend owns in the dataplane. */
  void cleanup() throws DataplaneException;

  @Override
  void close();
}
