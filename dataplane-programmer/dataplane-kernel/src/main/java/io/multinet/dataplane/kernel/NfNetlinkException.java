package io.multinet.dataplane.kernel;

/**
 * The kernel refused a {@link SetElementBatch} (or the socket failed before sending it): nothing of
 * the batch was applied. The message names the errno's text, the failing message and set and, when
 * the kernel pointed at one, the first failing element.
 */
final class NfNetlinkException extends Exception {

  private static final long serialVersionUID = 1L;

  private final int errno;
  private final int message;
  private final String set;
  private final int element;

  NfNetlinkException(String text, int errno, int message, String set, int element) {
    super(text);
    this.errno = errno;
    this.message = message;
    this.set = set;
    this.element = element;
  }

  /** The kernel's error number, e.g. 2 (ENOENT) for a missing set or element; 0 if none. */
  int errno() {
    return errno;
  }

  /** Index of the failing element message in its batch; -1 when the whole batch failed. */
  int message() {
    return message;
  }

  /** The set the failing message wrote; empty when the whole batch failed. */
  String set() {
    return set;
  }

  /** Index (in the batch, counting from 0) of the first failing element; -1 if unknown. */
  int element() {
    return element;
  }
}
