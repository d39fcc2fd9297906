package io.multinet.apiserver;

import static java.util.Objects.requireNonNull;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.fabric8.mockwebserver.dsl.HttpMethod;
import io.fabric8.mockwebserver.http.Buffer;
import io.fabric8.mockwebserver.http.Headers;
import io.fabric8.mockwebserver.http.MockResponse;
import io.fabric8.mockwebserver.http.RecordedRequest;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * A second HTTP listener on the same store, for clients that watch over plain HTTP as kubectl does
 * ({@code ?watch=true}, a chunked response of newline-delimited watch events): fabric8's mock
 * server answers watches only as websockets. Every other request goes to the same dispatcher, so
 * both listeners serve one API; websocket upgrades (the fabric8 client's watches) stay on the mock
 * server's own port.
 */
public final class HttpFront implements AutoCloseable {

  private static final Logger LOG = Logger.getLogger(HttpFront.class.getName());

  private final IndexedCrudDispatcher dispatcher;
  private final HttpServer server;
  private final ExecutorService executor = Executors.newVirtualThreadPerTaskExecutor();

  /** Listens on an ephemeral loopback port. */
  public HttpFront(IndexedCrudDispatcher dispatcher) {
    this.dispatcher = requireNonNull(dispatcher, "dispatcher");
    try {
      server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot listen on loopback", e);
    }
    server.setExecutor(executor);
    server.createContext("/", this::handle);
    server.start();
  }

  public int port() {
    return server.getAddress().getPort();
  }

  private void handle(HttpExchange exchange) throws IOException {
    try {
      String uri = exchange.getRequestURI().getRawPath();
      String query = exchange.getRequestURI().getRawQuery();
      String path = query == null ? uri : uri + "?" + query;
      String method = exchange.getRequestMethod().toUpperCase(Locale.ROOT);
      if (method.equals("GET") && isWatch(query)) {
        if (dispatcher.watchOverHttp(
            path, exchange.getRequestHeaders().getFirst("Accept"), new HttpWatchStream(exchange))) {
          return;
        }
      }
      byte[] body;
      try (InputStream in = exchange.getRequestBody()) {
        body = in.readAllBytes();
      }
      Headers.Builder headers = Headers.builder();
      for (Map.Entry<String, List<String>> h : exchange.getRequestHeaders().entrySet()) {
        for (String v : h.getValue()) {
          headers.add(h.getKey(), v);
        }
      }
      MockResponse response =
          dispatcher.dispatch(
              new RecordedRequest(
                  "HTTP/1.1", HttpMethod.valueOf(method), path, headers.build(), new Buffer(body)));
      respond(exchange, response);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    } catch (RuntimeException e) {
      LOG.log(Level.WARNING, "cannot serve " + exchange.getRequestURI(), e);
      if (exchange.getResponseCode() == -1) {
        exchange.sendResponseHeaders(500, -1);
      }
    } finally {
      exchange.close();
    }
  }

  private static boolean isWatch(@org.jspecify.annotations.Nullable String query) {
    if (query == null) {
      return false;
    }
    for (String pair : query.split("&", -1)) {
      if (pair.equals("watch=true") || pair.equals("watch=1")) {
        return true;
      }
    }
    return false;
  }

  private static void respond(HttpExchange exchange, MockResponse response) throws IOException {
    response
        .getHeaders()
        .toMultimap()
        .forEach(
            (name, values) -> {
              if (!name.equalsIgnoreCase("Content-Length")
                  && !name.equalsIgnoreCase("Transfer-Encoding")) {
                exchange.getResponseHeaders().put(name, List.copyOf(values));
              }
            });
    Buffer body = response.getBody();
    byte[] bytes = body == null ? new byte[0] : body.getBytes();
    exchange.sendResponseHeaders(response.code(), bytes.length == 0 ? -1 : bytes.length);
    if (bytes.length > 0) {
      exchange.getResponseBody().write(bytes);
    }
  }

  @Override
  public void close() {
    server.stop(0);
    executor.shutdownNow();
  }
}
