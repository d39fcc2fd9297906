package io.multinet.service;

/**
 * {@code sessionAffinity}: none, or ClientIP with a timeout.
 *
 * @param clientIp whether a client keeps its backend
 * @param timeoutSeconds how long an idle client keeps it, 1-86400; 0 when {@code clientIp} is false
 */
public record SessionAffinity(boolean clientIp, int timeoutSeconds) {

  /** Kubernetes' default {@code sessionAffinityConfig.clientIP.timeoutSeconds}: 3 hours. */
  public static final int DEFAULT_TIMEOUT_SECONDS = 10_800;

  public static final int MAX_TIMEOUT_SECONDS = 86_400;

  public static final SessionAffinity NONE = new SessionAffinity(false, 0);

  public SessionAffinity {
    if (clientIp && (timeoutSeconds < 1 || timeoutSeconds > MAX_TIMEOUT_SECONDS)) {
      throw new IllegalArgumentException(
          "timeoutSeconds: " + timeoutSeconds + " (expected: 1-" + MAX_TIMEOUT_SECONDS + ")");
    }
    if (!clientIp && timeoutSeconds != 0) {
      throw new IllegalArgumentException(
          "timeoutSeconds: " + timeoutSeconds + " (expected: 0 without ClientIP affinity)");
    }
  }

  public static SessionAffinity clientIp(int timeoutSeconds) {
    return new SessionAffinity(true, timeoutSeconds);
  }
}
