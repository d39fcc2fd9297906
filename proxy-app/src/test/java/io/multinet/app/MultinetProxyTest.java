package io.multinet.app;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import org.junit.jupiter.api.Test;

class MultinetProxyTest {

  @Test
  void version_printsProjectVersionAndJava() {
    var out = new StringWriter();
    var cli = MultinetProxy.newCommandLine();
    cli.setOut(new PrintWriter(out));

    int exit = cli.execute("version");

    assertThat(exit).isZero();
    // The version comes from the filtered resource, so "unknown" means the build lost it.
    assertThat(out.toString())
        .startsWith("multinet-proxy 0.")
        .doesNotContain("unknown")
        .contains("java " + Runtime.version().feature());
  }

  @Test
  void execute_unknownSubcommand_failsWithUsage() {
    var err = new StringWriter();
    var cli = MultinetProxy.newCommandLine();
    cli.setErr(new PrintWriter(err));

    int exit = cli.execute("no-such-command");

    assertThat(exit).isEqualTo(2);
    assertThat(err.toString()).contains("Unmatched argument at index 0: 'no-such-command'");
  }

  @Test
  void run_badNodePortAddresses_failsBeforeStarting() {
    var err = new StringWriter();
    var cli = MultinetProxy.newCommandLine();
    cli.setErr(new PrintWriter(err));

    int exit = cli.execute("run", "--nodeport-addresses=192.0.2.0/24,primary");

    assertThat(exit).isEqualTo(2);
    assertThat(err.toString())
        .contains("--nodeport-addresses: primary (expected: CIDRs such as 192.0.2.0/24)");
  }

  @Test
  void kernelBatchElements_outOfRange_failsWithOneLineBeforeStarting() {
    for (String[] args :
        new String[][] {
          {"run", "--kernel-batch-elements=0"},
          {"agent", "--kernel-batch-elements", "0", "--socket", "/nonexistent/dir/agent.sock"},
          {"dataplane", "apply", "--kernel-batch-elements=0", "--state", "-"},
        }) {
      var err = new StringWriter();
      var cli = MultinetProxy.newCommandLine();
      cli.setErr(new PrintWriter(err));

      int exit = cli.execute(args);

      assertThat(exit).as(String.join(" ", args)).isEqualTo(2);
      assertThat(err.toString().strip())
          .as(String.join(" ", args))
          .endsWith(": --kernel-batch-elements: 0 (expected: 1-1000000)")
          .doesNotContain("\n");
    }
  }

  @Test
  void kernelBatchElements_given_reachesEveryCommandThatBuildsAKernelBackend() {
    var cli = MultinetProxy.newCommandLine();
    RunCommand run =
        (RunCommand)
            cli.parseArgs("run", "--kernel-batch-elements=500")
                .subcommand()
                .commandSpec()
                .userObject();
    assertThat(run.kernel.batchElements()).isEqualTo(500);
    AgentCommand agent =
        (AgentCommand)
            MultinetProxy.newCommandLine()
                .parseArgs("agent", "--kernel-batch-elements", "7")
                .subcommand()
                .commandSpec()
                .userObject();
    assertThat(agent.kernel.batchElements()).isEqualTo(7);
    DataplaneCommand.Apply apply =
        (DataplaneCommand.Apply)
            MultinetProxy.newCommandLine()
                .parseArgs("dataplane", "apply", "--state", "-")
                .subcommand()
                .subcommand()
                .commandSpec()
                .userObject();
    assertThat(apply.kernel.batchElements()).isEqualTo(10_000);
  }
}
