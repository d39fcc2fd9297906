package io.multinet.kube.attachment;

import org.jspecify.annotations.Nullable;

/** A network-status annotation that does not follow the spec; the message says where and why. */
public final class InvalidNetworkStatusException extends IllegalArgumentException {

  private static final long serialVersionUID = 1L;

  InvalidNetworkStatusException(String message) {
    super(message);
  }

  InvalidNetworkStatusException(String message, @Nullable Throwable cause) {
    super(message, cause);
  }
}
