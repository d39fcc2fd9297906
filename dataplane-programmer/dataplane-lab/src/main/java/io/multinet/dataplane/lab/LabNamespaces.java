package io.multinet.dataplane.lab;

import static java.util.Objects.requireNonNull;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.concurrent.ThreadLocalRandom;
import java.util.function.LongPredicate;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * Names of network namespaces that say which process made them: {@code PREFIX-PID-XXXX} (random
 * XXXX), and anything below it ({@code PREFIX-PID-XXXX-node}). A namespace outlives the process
 * that made it when that process is killed before its cleanup runs; the next user of the prefix
 * then removes those whose process is gone, and only those, since other processes may be using the
 * same prefix right now.
 */
public final class LabNamespaces {

  private static final Path RUN_NETNS = Path.of("/run/netns");
  private static final Pattern PREFIX = Pattern.compile("[a-z0-9][a-z0-9-]*");

  private LabNamespaces() {}

  /** A fresh, unused base name {@code prefix-PID-XXXX} for this process. */
  public static String newBase(String prefix) {
    checkPrefix(prefix);
    byte[] suffix = new byte[2];
    ThreadLocalRandom.current().nextBytes(suffix);
    return prefix + "-" + ProcessHandle.current().pid() + "-" + HexFormat.of().formatHex(suffix);
  }

  /**
   * Removes leftovers of {@code prefix} (see {@link #removeLeftovers}), then creates the namespace
   * {@link #newBase(String) prefix-PID-XXXX} and returns its name.
   */
  public static String create(String prefix) throws IOException {
    removeLeftovers(prefix);
    String name = newBase(prefix);
    Ip.run("netns", "add", name);
    return name;
  }

  /** Sets up what lives in a new namespace; see {@link #createWith}. */
  @FunctionalInterface
  public interface Setup<T> {
    T apply(String netns) throws Exception;
  }

  /**
   * Creates a namespace as {@link #create} does and runs {@code setup} on its name; when setup
   * fails the namespace is deleted again before the failure propagates, so a half-built fixture
   * leaves nothing behind.
   */
  public static <T> T createWith(String prefix, Setup<T> setup) throws Exception {
    String netns = create(prefix);
    try {
      return setup.apply(netns);
    } catch (Exception | Error e) {
      try {
        delete(netns);
      } catch (IOException cleanup) {
        e.addSuppressed(cleanup);
      }
      throw e;
    }
  }

  /** Deletes {@code name}; a namespace that is already gone is fine. */
  public static void delete(String name) throws IOException {
    requireNonNull(name, "name");
    if (Files.exists(RUN_NETNS.resolve(name))) {
      Ip.run("netns", "delete", name);
    }
  }

  /**
   * Deletes the namespaces named {@code prefix-PID-XXXX[-...]} whose process PID no longer runs;
   * returns their names.
   */
  public static List<String> removeLeftovers(String prefix) throws IOException {
    List<String> gone = leftovers(prefix, existing(), pid -> ProcessHandle.of(pid).isPresent());
    for (String name : gone) {
      delete(name);
    }
    return gone;
  }

  /** The names among {@code existing} made under {@code prefix} by a process that is not alive. */
  static List<String> leftovers(String prefix, List<String> existing, LongPredicate alive) {
    checkPrefix(prefix);
    Pattern owned = Pattern.compile(Pattern.quote(prefix) + "-([0-9]{1,10})-[0-9a-f]{4}(-.*)?");
    List<String> out = new ArrayList<>();
    for (String name : existing) {
      Matcher m = owned.matcher(name);
      if (m.matches() && !alive.test(Long.parseLong(m.group(1)))) {
        out.add(name);
      }
    }
    return out;
  }

  /** The namespaces {@code ip netns} knows, by name. */
  public static List<String> existing() throws IOException {
    try (Stream<Path> entries = Files.list(RUN_NETNS)) {
      return entries.map(p -> p.getFileName().toString()).sorted().toList();
    } catch (NoSuchFileException e) {
      return List.of();
    }
  }

  private static void checkPrefix(String prefix) {
    if (!PREFIX.matcher(prefix).matches()) {
      throw new IllegalArgumentException("prefix: " + prefix + " (expected: [a-z0-9-] characters)");
    }
  }
}
