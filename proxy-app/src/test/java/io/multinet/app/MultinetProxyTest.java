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
}
