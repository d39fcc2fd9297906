package io.multinet.dataplane.vpp;

import java.io.IOException;

/**
 * VPP answered a request with a negative retval, broke the protocol, or is not reachable. {@link
 * #retval} is VPP's error code (e.g. -6 no such entry) or 0 when VPP did not answer.
 */
public class VppApiException extends IOException {

  private static final long serialVersionUID = 1L;

  private final int retval;

  VppApiException(String message, int retval) {
    super(message);
    this.retval = retval;
  }

  VppApiException(String message) {
    this(message, 0);
  }

  VppApiException(String message, Throwable cause) {
    super(message, cause);
    this.retval = 0;
  }

  public int retval() {
    return retval;
  }
}
