package io.multinet.nodeproxy;

import static java.util.Objects.requireNonNull;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;

/**
 * kube-proxy's operator surface: {@code /healthz} and {@code /livez} (default port 10256) and
 * {@code /metrics} (default 10249). Healthy means no change has waited longer than the health
 * timeout for a sync; {@code /healthz} also requires the node to be eligible (present, not being
 * deleted), {@code /livez} does not, so a draining node is not restarted.
 */
public final class HealthServer implements AutoCloseable {

  private final HttpServer health;
  private final HttpServer metrics;
  private final NodeProxy proxy;
  private final Clock clock;
  private final Duration timeout;

  public HealthServer(
      NodeProxy proxy,
      InetSocketAddress healthAddress,
      InetSocketAddress metricsAddress,
      Duration timeout)
      throws IOException {
    this.proxy = requireNonNull(proxy, "proxy");
    this.clock = proxy.clock();
    this.timeout = requireNonNull(timeout, "timeout");
    health = HttpServer.create(healthAddress, 16);
    health.createContext("/healthz", ex -> respondHealth(ex, true));
    health.createContext("/livez", ex -> respondHealth(ex, false));
    metrics = HttpServer.create(metricsAddress, 16);
    metrics.createContext(
        "/metrics", ex -> send(ex, 200, "text/plain; version=0.0.4", proxy.metrics().render()));
    health.start();
    metrics.start();
  }

  public int healthPort() {
    return health.getAddress().getPort();
  }

  public int metricsPort() {
    return metrics.getAddress().getPort();
  }

  /** Healthy: nothing queued, or queued for less than the timeout. */
  boolean healthy() {
    Instant queued = proxy.runner().queuedSince();
    return queued == null || Duration.between(queued, clock.instant()).compareTo(timeout) < 0;
  }

  private void respondHealth(HttpExchange ex, boolean withNode) throws IOException {
    boolean healthy = healthy();
    boolean eligible = proxy.nodeEligible();
    boolean ok = healthy && (!withNode || eligible);
    Instant last = proxy.runner().lastSuccess();
    String body =
        "{\"lastUpdated\": \""
            + (last == null ? "" : last)
            + "\",\"currentTime\": \""
            + clock.instant()
            + "\",\"nodeEligible\": "
            + eligible
            + ",\"healthy\": "
            + healthy
            + "}";
    send(ex, ok ? 200 : 503, "application/json", body);
  }

  private static void send(HttpExchange ex, int code, String type, String body) throws IOException {
    byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
    ex.getResponseHeaders().set("Content-Type", type);
    ex.sendResponseHeaders(code, bytes.length);
    try (OutputStream out = ex.getResponseBody()) {
      out.write(bytes);
    }
  }

  @Override
  public void close() {
    health.stop(0);
    metrics.stop(0);
  }
}
