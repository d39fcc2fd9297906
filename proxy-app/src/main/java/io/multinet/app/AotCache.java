package io.multinet.app;

import org.jspecify.annotations.Nullable;

/**
 * Whether the JDK AOT cache the process was started with is in use. A cache that does not match the
 * JVM or the jar makes the JVM print three error lines and start without it; the launcher and the
 * image therefore turn the JVM's AOT logging off, name the cache in {@value #PROPERTY}, and this
 * says it in one line.
 */
final class AotCache {

  static final String PROPERTY = "multinet.aotCache";

  private AotCache() {}

  /**
   * The line to print when {@code cache} (the property's value) is set and {@code sharing} (whether
   * the JVM maps a shared archive: {@code java.vm.info} says "sharing") is false; null otherwise.
   */
  static @Nullable String unusedMessage(@Nullable String cache, boolean sharing) {
    if (cache == null || sharing) {
      return null;
    }
    return "multinet-proxy: AOT cache "
        + cache
        + " not used (missing, or made by another JVM or for another jar); starting without it";
  }

  /** {@link #unusedMessage(String, boolean)} for this process. */
  static @Nullable String unusedMessage() {
    return unusedMessage(
        System.getProperty(PROPERTY), System.getProperty("java.vm.info", "").contains("sharing"));
  }
}
