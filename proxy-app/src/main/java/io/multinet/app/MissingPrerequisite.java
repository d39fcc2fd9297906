package io.multinet.app;

import io.multinet.dataplane.kernel.NftablesUnavailableException;
import picocli.CommandLine;
import picocli.CommandLine.IExecutionExceptionHandler;
import picocli.CommandLine.ParseResult;

/**
 * Answers a missing system prerequisite (libnftables) with one line and exit code 2, as the
 * launcher does, wherever in a command it shows up; every other exception goes on to picocli.
 */
final class MissingPrerequisite implements IExecutionExceptionHandler {

  static final int EXIT_CODE = 2;

  @Override
  public int handleExecutionException(Exception e, CommandLine commandLine, ParseResult parseResult)
      throws Exception {
    for (Throwable t = e; t != null; t = t.getCause()) {
      if (t instanceof NftablesUnavailableException missing) {
        CommandLine root = commandLine;
        while (root.getParent() != null) {
          root = root.getParent();
        }
        commandLine.getErr().println(root.getCommandName() + ": " + missing.getMessage());
        commandLine.getErr().flush();
        return EXIT_CODE;
      }
    }
    throw e;
  }
}
