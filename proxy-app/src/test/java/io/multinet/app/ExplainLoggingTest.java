package io.multinet.app;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * explain is quiet by default: the embedded API server (fabric8's MockWebServer) logs one INFO line
 * per request through java.util.logging, which reaches stderr through the root logger's console
 * handler; a handler next to it sees exactly what the console would print.
 */
class ExplainLoggingTest {

  private static final String MOCK_SERVER = "io.fabric8.mockwebserver";

  private final List<LogRecord> records = new CopyOnWriteArrayList<>();
  private final Handler recorder =
      new Handler() {
        @Override
        public void publish(LogRecord r) {
          records.add(r);
        }

        @Override
        public void flush() {}

        @Override
        public void close() {}
      };

  @BeforeEach
  void listen() {
    Logger.getLogger("").addHandler(recorder);
  }

  @AfterEach
  void stopListening() {
    Logger.getLogger("").removeHandler(recorder);
    Logging.configure(false);
  }

  @Test
  void explain_byDefault_printsNoServerRequestLines() {
    var err = new StringWriter();

    assertThat(explain(err, "explain", "--manifests", "../examples/demo")).isZero();

    assertThat(serverLines()).isEmpty();
    assertThat(err.toString()).isEmpty();
  }

  @Test
  void explain_verbose_printsServerRequestLines() {
    var err = new StringWriter();

    assertThat(explain(err, "explain", "-v", "--manifests", "../examples/demo")).isZero();

    assertThat(serverLines()).anySatisfy(m -> assertThat(m).contains("received request: POST"));
  }

  @Test
  void explain_verboseBeforeSubcommand_printsServerRequestLines() {
    assertThat(
            explain(new StringWriter(), "--verbose", "explain", "--manifests", "../examples/demo"))
        .isZero();

    assertThat(serverLines()).isNotEmpty();
  }

  private List<String> serverLines() {
    return records.stream()
        .filter(r -> r.getLoggerName() != null && r.getLoggerName().startsWith(MOCK_SERVER))
        .map(LogRecord::getMessage)
        .toList();
  }

  private static int explain(StringWriter err, String... args) {
    var cli = MultinetProxy.newCommandLine();
    cli.setOut(new PrintWriter(new StringWriter()));
    cli.setErr(new PrintWriter(err));
    return cli.execute(args);
  }
}
