package io.multinet.dataplane.kernel;

/**
 * libnftables cannot be loaded on this machine (the package is not installed): an environment
 * problem to report in one line, not a bug to trace.
 */
public final class NftablesUnavailableException extends IllegalStateException {

  private static final long serialVersionUID = 1L;

  NftablesUnavailableException(String message) {
    super(message);
  }
}
