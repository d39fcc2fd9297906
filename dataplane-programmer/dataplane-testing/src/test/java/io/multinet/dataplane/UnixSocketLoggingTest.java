package io.multinet.dataplane;

import static org.assertj.core.api.Assertions.assertThat;

import io.multinet.dataplane.agent.AgentServer;
import io.multinet.dataplane.agent.DataplaneAgent;
import io.multinet.dataplane.programmer.DataplaneProgrammer;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import java.util.logging.Logger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The agent's server and the programmer on a unix socket log nothing about channel options that
 * only TCP has (gRPC sets SO_KEEPALIVE on every Netty channel; Netty warns about it on a domain
 * socket, once per connection). Address ranges: see {@link States}.
 */
class UnixSocketLoggingTest {

  /** Netty logs through slf4j, which this build binds to java.util.logging. */
  private static final class Records extends Handler {
    final List<String> messages = new CopyOnWriteArrayList<>();

    @Override
    public void publish(LogRecord r) {
      messages.add(r.getLoggerName() + ": " + r.getMessage());
    }

    @Override
    public void flush() {}

    @Override
    public void close() {}
  }

  @Test
  void programAndStatus_overAUnixSocket_logNoUnknownChannelOption(@TempDir Path dir)
      throws Exception {
    Logger netty = Logger.getLogger("io.netty");
    var records = new Records();
    netty.addHandler(records);
    Path socket = dir.resolve("agent.sock");
    try (var server = AgentServer.unixSocket(socket, new DataplaneAgent(new InMemoryBackend()));
        var programmer = DataplaneProgrammer.connect("unix://" + socket, Duration.ofSeconds(5))) {
      programmer.apply(States.twoNetworks());
      assertThat(programmer.status().getServicePorts())
          .isEqualTo(States.twoNetworks().getServicePortsCount());
      assertThat(server).isNotNull();
    } finally {
      netty.removeHandler(records);
    }
    assertThat(records.messages).noneMatch(m -> m.contains("Unknown channel option"));
  }
}
