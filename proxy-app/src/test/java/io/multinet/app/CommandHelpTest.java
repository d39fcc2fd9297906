package io.multinet.app;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import picocli.CommandLine;

/** {@code -h} and {@code --help} on every command of the tree, found by walking it. */
class CommandHelpTest {

  /** Every command path below the root, e.g. {@code [dataplane, apply]}; the root as []. */
  static Stream<List<String>> commands() {
    List<List<String>> out = new ArrayList<>();
    walk(MultinetProxy.newCommandLine(), new ArrayList<>(), out);
    return out.stream();
  }

  private static void walk(CommandLine cli, List<String> path, List<List<String>> out) {
    out.add(List.copyOf(path));
    for (var e : cli.getSubcommands().entrySet()) {
      if (!e.getKey().equals(e.getValue().getCommandName())) {
        continue; // an alias
      }
      path.add(e.getKey());
      walk(e.getValue(), path, out);
      path.removeLast();
    }
  }

  @ParameterizedTest
  @MethodSource("commands")
  void help_everyCommand_exitsZeroWithUsage(List<String> path) {
    for (String flag : List.of("--help", "-h")) {
      var out = new StringWriter();
      var err = new StringWriter();
      var cli = MultinetProxy.newCommandLine();
      cli.setOut(new PrintWriter(out));
      cli.setErr(new PrintWriter(err));
      List<String> args = new ArrayList<>(path);
      args.add(flag);

      int exit = cli.execute(args.toArray(String[]::new));

      assertThat(exit).as("%s; stderr: %s", args, err).isZero();
      String usage = "Usage: multinet-proxy" + (path.isEmpty() ? "" : " " + String.join(" ", path));
      // picocli's own help command puts its header above the usage line.
      assertThat(out.toString()).as("%s", args).contains(usage).contains("-h, --help");
      assertThat(err.toString()).as("%s", args).isEmpty();
    }
  }

  @Test
  void commands_walkFindsNestedSubcommands() {
    // The walk is what makes the test above cover the tree; check it reaches the leaves.
    assertThat(commands().map(p -> String.join(" ", p)))
        .contains("", "run", "demo", "explain", "agent", "dataplane apply", "dataplane status");
  }

  @Test
  void help_userFacingCommands_showExamples() {
    for (String command : Set.of("run", "demo", "explain", "agent", "dataplane")) {
      var out = new StringWriter();
      var cli = MultinetProxy.newCommandLine();
      cli.setOut(new PrintWriter(out));

      assertThat(cli.execute(command, "--help")).isZero();

      String help = out.toString();
      assertThat(help)
          .as(command)
          .contains("Examples:")
          .contains("multinet-proxy " + command + " ");
      // Each example fits the 80 columns of the usage help: a wrapped one is not pasteable.
      assertThat(help.substring(help.indexOf("Examples:")).lines().skip(1))
          .as(command)
          .allSatisfy(line -> assertThat(line).startsWith("  "));
    }
  }

  @Test
  void help_examples_parseAsTheyArePrinted() {
    for (String command : Set.of("run", "demo", "explain", "agent", "dataplane")) {
      var out = new StringWriter();
      var cli = MultinetProxy.newCommandLine();
      cli.setOut(new PrintWriter(out));
      cli.execute(command, "--help");
      String help = out.toString();
      // Continued lines joined, then each multinet-proxy line without its comment or redirection.
      List<String> examples =
          help.substring(help.indexOf("Examples:"))
              .replace("\\\n", " ")
              .lines()
              .filter(l -> l.contains("multinet-proxy "))
              .map(l -> l.substring(l.indexOf("multinet-proxy ") + "multinet-proxy ".length()))
              .map(l -> l.replaceFirst("\\s*[#>].*", "").strip())
              .toList();
      assertThat(examples).as(command).isNotEmpty();

      for (String example : examples) {
        var parsed = MultinetProxy.newCommandLine().parseArgs(example.split("\\s+"));
        assertThat(parsed.subcommand()).as(example).isNotNull();
        assertThat(parsed.subcommand().commandSpec().name())
            .as(example)
            .isEqualTo(example.split(" ")[0]);
      }
    }
  }

  @Test
  void verbose_onSubcommand_isAcceptedAndListed() {
    var out = new StringWriter();
    var cli = MultinetProxy.newCommandLine();
    cli.setOut(new PrintWriter(out));

    assertThat(cli.execute("dataplane", "apply", "-v", "--help")).isZero();

    assertThat(out.toString()).contains("-v, --verbose");
  }

  @Test
  void unknownOption_keepsSuggestions() {
    assertThat(unknownOption("explain", "--manifests", "x", "--outptu"))
        .contains("Unknown option: '--outptu'")
        .contains("Possible solutions: --output");
    assertThat(unknownOption("demo", "--kep"))
        .contains("Unknown option: '--kep'")
        .contains("Possible solutions: --keep");
    assertThat(unknownOption("dataplane", "status", "--dataplane-endpiont"))
        .contains("Unknown option: '--dataplane-endpiont'")
        .contains("Possible solutions: --dataplane-endpoint");
  }

  /** What the command printed on stderr; it must have exited 2 without running. */
  private static String unknownOption(String... args) {
    var out = new StringWriter();
    var err = new StringWriter();
    var cli = MultinetProxy.newCommandLine();
    cli.setOut(new PrintWriter(out));
    cli.setErr(new PrintWriter(err));

    assertThat(cli.execute(args)).as("%s", List.of(args)).isEqualTo(2);
    assertThat(out.toString()).as("%s", List.of(args)).isEmpty();
    return err.toString();
  }
}
