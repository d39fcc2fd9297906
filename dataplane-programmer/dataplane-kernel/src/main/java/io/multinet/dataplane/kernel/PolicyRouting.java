package io.multinet.dataplane.kernel;

import io.multinet.dataplane.Netns;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;

/**
 * The policy routing the kernel backend owns: one rule per network and family at priority {@value
 * #PRIORITY}, sending packets marked with the network's id ({@code id << 16} under {@code
 * 0xffff0000}) to the network's routing table. Rules change only when networks do, so running
 * {@code ip} for them is cheap; the sysctls make rejects carry the mark back to the client.
 */
final class PolicyRouting {

  /** Before the main table (32766) and after local (0); documented in docs/kernel-dataplane.md. */
  static final int PRIORITY = 1500;

  private final @Nullable String netns;

  PolicyRouting(@Nullable String netns) {
    this.netns = netns;
  }

  /** What the last sync installed; null when unknown (start, failure, clear). */
  private @Nullable Map<Integer, Integer> synced;

  /**
   * Replaces every rule at {@link #PRIORITY} with one per (network id → table); nothing to do when
   * the last sync installed the same map (rules change only with networks, full syncs are often).
   */
  void sync(Map<Integer, Integer> tableById) throws IOException {
    if (tableById.equals(synced)) {
      return;
    }
    synced = null;
    replace(tableById);
    synced = Map.copyOf(tableById);
  }

  /**
   * Makes the rules at {@link #PRIORITY} exactly {@code tableById}: adds the missing ones first,
   * then deletes the others, so a rule that stays is never absent (traffic of its network would
   * fall through to the main table meanwhile).
   */
  private void replace(Map<Integer, Integer> tableById) throws IOException {
    for (String family : List.of("-4", "-6")) {
      Set<String> wanted = new LinkedHashSet<>();
      for (var e : tableById.entrySet()) {
        if (e.getValue() != 0) {
          wanted.add(
              "fwmark 0x"
                  + Long.toHexString(KernelPlan.mark(e.getKey()))
                  + "/0x"
                  + Long.toHexString(KernelPlan.MARK_MASK)
                  + " lookup "
                  + e.getValue());
        }
      }
      Set<String> present = present(family);
      for (String rule : wanted) {
        if (!present.contains(rule)) {
          ip(family, "rule add " + rule + " pref " + PRIORITY);
        }
      }
      for (String rule : present) {
        if (!wanted.contains(rule)) {
          ip(family, "rule del " + rule + " pref " + PRIORITY);
        }
      }
    }
    sysctl("net/ipv4/fwmark_reflect", "1");
    sysctl("net/ipv6/fwmark_reflect", "1");
  }

  void clear() throws IOException {
    synced = null;
    replace(Map.of());
  }

  /** The rules at our priority, as "fwmark M/MASK lookup T" (what `ip rule show` prints). */
  private Set<String> present(String family) throws IOException {
    Set<String> out = new LinkedHashSet<>();
    for (String line : ip(family, "rule show pref " + PRIORITY).split("\n", -1)) {
      int at = line.indexOf("fwmark ");
      if (at >= 0) {
        out.add(line.substring(at).strip());
      } else if (!line.isBlank()) {
        out.add(line.substring(line.indexOf(':') + 1).strip()); // not ours in shape: removed
      }
    }
    return out;
  }

  private void sysctl(String key, String value) throws IOException {
    try {
      Netns.call(
          netns,
          () -> {
            Files.writeString(Path.of("/proc/sys", key), value);
            return null;
          });
    } catch (IOException | RuntimeException e) {
      throw e;
    } catch (Exception e) {
      throw new IOException("sysctl " + key, e);
    }
  }

  /** Runs {@code ip [-n NETNS] FAMILY WORDS...}; its output, or an exception naming the failure. */
  private String ip(String family, String words) throws IOException {
    List<String> cmd = new ArrayList<>(List.of("ip"));
    if (netns != null) {
      cmd.add("-n");
      cmd.add(netns);
    }
    cmd.add(family);
    cmd.addAll(List.of(words.split(" ")));
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    try {
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      if (!p.waitFor(10, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        throw new IOException(String.join(" ", cmd) + ": timed out");
      }
      if (p.exitValue() != 0) {
        throw new IOException(String.join(" ", cmd) + ": " + out.strip());
      }
      return out;
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted: " + String.join(" ", cmd), e);
    }
  }
}
