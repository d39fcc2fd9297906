package io.multinet.app;

import picocli.CommandLine;

/** Lets tests in other packages drive the command line. */
public final class DemoTestAccess {

  private DemoTestAccess() {}

  public static CommandLine newCommandLine() {
    return MultinetProxy.newCommandLine();
  }
}
