package io.multinet.dataplane;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.multinet.dataplane.agent.AgentServer;
import io.multinet.dataplane.agent.DataplaneAgent;
import io.multinet.dataplane.programmer.DataplaneProgrammer;
import io.multinet.dataplane.v1.Delta;
import io.multinet.dataplane.v1.DesiredState;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.util.UUID;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The gRPC protocol between programmer and agent. Address ranges: see {@link States}. */
class ProgrammerAgentTest {

  @Test
  void apply_sendsFullThenDeltasOnly() throws Exception {
    var backend = new InMemoryBackend();
    String name = UUID.randomUUID().toString();
    try (var server = AgentServer.inProcess(name, new DataplaneAgent(backend));
        var programmer = DataplaneProgrammer.connect("inprocess:" + name, Duration.ofSeconds(5))) {
      DesiredState s = States.twoNetworks();
      long g1 = programmer.apply(s);
      DesiredState s2 = s.toBuilder().removeServicePorts(0).build();
      long g2 = programmer.apply(s2);
      long g3 = programmer.apply(s2); // unchanged: nothing sent

      assertThat(g2).isEqualTo(g1 + 1);
      assertThat(g3).isEqualTo(g2);
      assertThat(backend.fulls).hasValue(1);
      assertThat(backend.deltas).hasValue(1);
      assertThat(backend.observe()).isEqualTo(StateModel.of(s2).toState());
      var status = programmer.status();
      assertThat(status.getAppliedGeneration()).isEqualTo(g2);
      assertThat(status.getServicePorts()).isEqualTo(s2.getServicePortsCount());
      assertThat(status.getBackend()).isEqualTo("memory");
      assertThat(server).isNotNull();
    }
  }

  @Test
  void apply_withADeltaFromTheAckedState_sendsItAsGiven_elseDiffs() throws Exception {
    var backend = new InMemoryBackend();
    String name = UUID.randomUUID().toString();
    try (var server = AgentServer.inProcess(name, new DataplaneAgent(backend));
        var programmer = DataplaneProgrammer.connect("inprocess:" + name, Duration.ofSeconds(5))) {
      DesiredState s = States.twoNetworks();
      programmer.apply(s, 1, 0, Delta.getDefaultInstance());
      DesiredState s2 = s.toBuilder().removeServicePorts(0).build();
      // A valid delta a diff would not produce (it also upserts an unchanged port): sent as given.
      Delta given =
          StateModel.diff(StateModel.of(s), StateModel.of(s2)).toBuilder()
              .addUpsertServicePorts(s2.getServicePorts(0))
              .build();

      programmer.apply(s2, 2, 1, given);

      assertThat(backend.lastDelta).isEqualTo(given);
      assertThat(backend.observe()).isEqualTo(StateModel.of(s2).toState());

      // From a revision the agent has not acknowledged (3 was computed, never sent): the delta is
      // not trusted, the states are diffed.
      DesiredState s3 = s2.toBuilder().removeServicePorts(0).build();
      programmer.apply(s3, 4, 3, Delta.getDefaultInstance());

      assertThat(backend.lastDelta)
          .isEqualTo(StateModel.diff(StateModel.of(s2), StateModel.of(s3)));
      assertThat(backend.observe()).isEqualTo(StateModel.of(s3).toState());
      assertThat(server).isNotNull();
    }
  }

  @Test
  void apply_withAStaleBaseRevision_diffsFromTheAckedState() throws Exception {
    var backend = new InMemoryBackend();
    String name = UUID.randomUUID().toString();
    try (var server = AgentServer.inProcess(name, new DataplaneAgent(backend));
        var programmer = DataplaneProgrammer.connect("inprocess:" + name, Duration.ofSeconds(5))) {
      DesiredState s = States.twoNetworks();
      DesiredState s2 = s.toBuilder().removeServicePorts(0).build();
      DesiredState s3 = s2.toBuilder().removeServicePorts(0).build();
      programmer.apply(s, 1, 0, Delta.getDefaultInstance());
      programmer.apply(s2, 2, 1, StateModel.diff(StateModel.of(s), StateModel.of(s2)));
      // A delta from revision 1, acknowledged once but no longer the agent's state: not trusted.
      Delta stale = StateModel.diff(StateModel.of(s), StateModel.of(s3));

      programmer.apply(s3, 3, 1, stale);

      assertThat(backend.lastDelta)
          .isEqualTo(StateModel.diff(StateModel.of(s2), StateModel.of(s3)))
          .isNotEqualTo(stale);
      assertThat(backend.observe()).isEqualTo(StateModel.of(s3).toState());
      assertThat(server).isNotNull();
    }
  }

  @Test
  void apply_afterAFailure_sendsTheWholeStateAgain() throws Exception {
    var backend = new InMemoryBackend();
    String name = UUID.randomUUID().toString();
    try (var server = AgentServer.inProcess(name, new DataplaneAgent(backend));
        var programmer = DataplaneProgrammer.connect("inprocess:" + name, Duration.ofSeconds(5))) {
      DesiredState s = States.twoNetworks();
      programmer.apply(s);
      backend.failNext.set(1);
      DesiredState s2 = s.toBuilder().removeServicePorts(0).build();

      assertThatThrownBy(() -> programmer.apply(s2))
          .isInstanceOfSatisfying(DataplaneException.class, e -> assertThat(e.needFull()).isTrue())
          .hasMessageContaining("told to fail");
      programmer.apply(s2);

      assertThat(backend.fulls).hasValue(2);
      assertThat(backend.observe()).isEqualTo(StateModel.of(s2).toState());
      assertThat(programmer.status().getErrors()).isEqualTo(1);
      assertThat(server).isNotNull();
    }
  }

  @Test
  void apply_afterAgentRestart_resyncsInFull(@TempDir Path dir) throws Exception {
    Path socket = dir.resolve("run/dataplane.sock");
    var first = new InMemoryBackend();
    var server = AgentServer.unixSocket(socket, new DataplaneAgent(first));
    try (var programmer = DataplaneProgrammer.connect("unix://" + socket, Duration.ofSeconds(5))) {
      assertThat(Files.getPosixFilePermissions(socket))
          .isEqualTo(PosixFilePermissions.fromString("rw-------"));
      DesiredState s = States.twoNetworks();
      programmer.apply(s);
      server.close();

      var second = new InMemoryBackend();
      server = AgentServer.unixSocket(socket, new DataplaneAgent(second));
      DesiredState s2 = s.toBuilder().removeServicePorts(1).build();
      // The first try meets the broken stream; the next one resends everything to the new agent.
      try {
        programmer.apply(s2);
      } catch (DataplaneException expected) {
        assertThat(expected.needFull()).isTrue();
        programmer.apply(s2);
      }
      assertThat(second.fulls).hasValue(1);
      assertThat(second.observe()).isEqualTo(StateModel.of(s2).toState());
    } finally {
      server.close();
    }
  }
}
