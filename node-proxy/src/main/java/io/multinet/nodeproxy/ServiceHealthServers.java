package io.multinet.nodeproxy;

import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import java.util.function.BooleanSupplier;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * kube-proxy's service health servers: for every Service with {@code externalTrafficPolicy: Local}
 * and a {@code healthCheckNodePort}, an HTTP server on that port answering 200 while this node has
 * local endpoints for it (and the proxy is healthy), 503 otherwise, so load balancers send external
 * traffic only to nodes that can serve it locally.
 */
public final class ServiceHealthServers implements AutoCloseable {

  private static final Logger LOG = Logger.getLogger(ServiceHealthServers.class.getName());

  /** What one health check node port reports. */
  public record Target(String namespace, String name, int localEndpoints) {}

  private final InetAddress bind;
  private final BooleanSupplier proxyHealthy;
  private final Map<Integer, HttpServer> servers = new HashMap<>();
  private volatile Map<Integer, Target> targets = Map.of();

  public ServiceHealthServers(InetAddress bind, BooleanSupplier proxyHealthy) {
    this.bind = Objects.requireNonNull(bind, "bind");
    this.proxyHealthy = Objects.requireNonNull(proxyHealthy, "proxyHealthy");
  }

  /** Opens servers for new ports, closes those no longer wanted, and updates the counts. */
  public synchronized void sync(Map<Integer, Target> wanted) {
    targets = Map.copyOf(wanted);
    servers
        .entrySet()
        .removeIf(
            e -> {
              if (!wanted.containsKey(e.getKey())) {
                e.getValue().stop(0);
                return true;
              }
              return false;
            });
    for (int port : wanted.keySet()) {
      if (servers.containsKey(port)) {
        continue;
      }
      try {
        HttpServer s = HttpServer.create(new InetSocketAddress(bind, port), 16);
        s.createContext(
            "/",
            ex -> {
              Target t = targets.get(port);
              int local = t == null ? 0 : t.localEndpoints();
              boolean healthy = proxyHealthy.getAsBoolean();
              String body =
                  "{\"service\":{\"namespace\":\""
                      + (t == null ? "" : t.namespace())
                      + "\",\"name\":\""
                      + (t == null ? "" : t.name())
                      + "\"},\"localEndpoints\":"
                      + local
                      + ",\"serviceProxyHealthy\":"
                      + healthy
                      + "}";
              byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
              ex.getResponseHeaders().set("Content-Type", "application/json");
              ex.getResponseHeaders().set("X-Content-Type-Options", "nosniff");
              ex.sendResponseHeaders(local > 0 && healthy ? 200 : 503, bytes.length);
              try (OutputStream out = ex.getResponseBody()) {
                out.write(bytes);
              }
            });
        s.start();
        servers.put(port, s);
      } catch (IOException e) {
        // Another process holds the port: kube-proxy logs and carries on too.
        LOG.log(
            Level.WARNING,
            "health check node port " + port + " cannot be opened: " + e.getMessage());
      }
    }
  }

  @Override
  public synchronized void close() {
    servers.values().forEach(s -> s.stop(0));
    servers.clear();
  }
}
