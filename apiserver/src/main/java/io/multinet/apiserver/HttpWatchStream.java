package io.multinet.apiserver;

import static java.util.Objects.requireNonNull;

import com.sun.net.httpserver.HttpExchange;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;

/**
 * A watch answered over plain HTTP: a chunked {@code application/json} response carrying one watch
 * event a line. Events are queued by the thread that records changes (which must not block on a
 * slow client) and written by the request's own thread.
 */
final class HttpWatchStream implements IndexedCrudDispatcher.Sink {

  private static final String END = "\u0000end";

  private final HttpExchange exchange;
  private final LinkedBlockingQueue<String> queue = new LinkedBlockingQueue<>();
  private volatile boolean gone;
  private UnaryOperator<String> transform = UnaryOperator.identity();

  HttpWatchStream(HttpExchange exchange) {
    this.exchange = requireNonNull(exchange, "exchange");
  }

  /** Rewrites each event as it is written (Table events); call before {@link #awaitEnd}. */
  void transformEvents(UnaryOperator<String> transform) {
    this.transform = requireNonNull(transform, "transform");
  }

  /** Sends the response head: 200, chunked. */
  void start() {
    exchange.getResponseHeaders().set("Content-Type", "application/json");
    exchange.getResponseHeaders().set("Cache-Control", "no-cache, private");
    try {
      exchange.sendResponseHeaders(200, 0);
    } catch (IOException e) {
      gone = true;
    }
  }

  @Override
  public boolean send(String event) {
    if (gone) {
      return false;
    }
    queue.add(event);
    return true;
  }

  @Override
  public void close(String reason) {
    queue.add(END);
  }

  /**
   * Writes queued events until the server ends the watch, the client goes away, or {@code
   * timeoutSeconds} pass (0: no limit).
   */
  void awaitEnd(long timeoutSeconds) throws InterruptedException {
    long deadline =
        timeoutSeconds > 0 ? System.nanoTime() + TimeUnit.SECONDS.toNanos(timeoutSeconds) : 0;
    OutputStream out = exchange.getResponseBody();
    try {
      drain(out);
      while (!gone) {
        long wait =
            deadline == 0
                ? TimeUnit.SECONDS.toNanos(5)
                : Math.min(deadline - System.nanoTime(), TimeUnit.SECONDS.toNanos(5));
        if (wait <= 0) {
          return;
        }
        String event = queue.poll(wait, TimeUnit.NANOSECONDS);
        if (event == null) {
          // Nothing happened; an empty write finds out whether the client is still there.
          out.flush();
          continue;
        }
        if (event.equals(END)) {
          return;
        }
        write(out, transform.apply(event));
        drain(out);
      }
    } catch (IOException e) {
      gone = true;
    } finally {
      gone = true;
      exchange.close();
    }
  }

  /** Writes every event already queued, then flushes. */
  private void drain(OutputStream out) throws IOException {
    String next;
    while ((next = queue.peek()) != null && !next.equals(END)) {
      write(out, transform.apply(queue.remove()));
    }
    out.flush();
  }

  private static void write(OutputStream out, String event) throws IOException {
    out.write((event + "\n").getBytes(StandardCharsets.UTF_8));
  }
}
