package io.multinet.app;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Properties;
import picocli.CommandLine;

/** The version stamped into the jar at build time. */
final class BuildInfo implements CommandLine.IVersionProvider {

  private static final String RESOURCE = "/multinet-proxy-version.properties";

  static String version() {
    try (InputStream in = BuildInfo.class.getResourceAsStream(RESOURCE)) {
      if (in == null) {
        return "unknown";
      }
      var props = new Properties();
      props.load(in);
      return props.getProperty("version", "unknown");
    } catch (IOException e) {
      throw new UncheckedIOException("reading " + RESOURCE, e);
    }
  }

  @Override
  public String[] getVersion() {
    return new String[] {"multinet-proxy " + version()};
  }
}
