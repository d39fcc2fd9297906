package io.multinet.dataplane;

import org.jspecify.annotations.Nullable;

/** A state the dataplane refused or could not apply; nothing of it was applied. */
public final class DataplaneException extends Exception {

  private static final long serialVersionUID = 1L;

  private final boolean needFull;

  public DataplaneException(String message, boolean needFull, @Nullable Throwable cause) {
    super(message, cause);
    this.needFull = needFull;
  }

  public DataplaneException(String message) {
    this(message, false, null);
  }

  /** Whether the programmer must send a full state before deltas are accepted again. */
  public boolean needFull() {
    return needFull;
  }
}
