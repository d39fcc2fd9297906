package io.multinet.app;

import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.logging.Level;
import java.util.logging.Logger;
import org.jspecify.annotations.Nullable;

/**
 * The java.util.logging levels of a run: libraries (the embedded API server logs every request it
 * serves at INFO) say only warnings unless {@code -v} asks for everything.
 */
final class Logging {

  /** Loggers of the libraries we embed; fabric8's mock server, the HTTP stacks under it, gRPC. */
  static final List<String> LIBRARIES =
      List.of("io.fabric8", "io.vertx", "io.netty", "io.grpc", "okhttp3");

  // JUL holds loggers weakly: a level set on a logger nobody references is lost once it is
  // collected, and a logger created later (the mock server's, at class init) falls back to INFO.
  private static final Map<String, Logger> HELD = new ConcurrentHashMap<>();

  /**
   * fabric8 warns on every first use of a pre-release API version; ours (multinet.io/v1alpha1) is
   * one by design, so the warning tells an operator nothing.
   */
  static final String VERSION_USAGE = "io.fabric8.kubernetes.client.dsl.internal.VersionUsageUtils";

  private Logging() {}

  /** Libraries at WARNING, or everything at its default level with {@code verbose}. */
  static void configure(boolean verbose) {
    for (String name : LIBRARIES) {
      set(name, verbose ? null : Level.WARNING);
    }
    set(VERSION_USAGE, verbose ? null : Level.SEVERE);
  }

  /** Sets {@code name} to {@code level} unless {@code verbose}; then it logs at its default. */
  static void quiet(String name, Level level, boolean verbose) {
    set(name, verbose ? null : level);
  }

  private static void set(String name, @Nullable Level level) {
    HELD.computeIfAbsent(name, Logger::getLogger).setLevel(level);
  }
}
