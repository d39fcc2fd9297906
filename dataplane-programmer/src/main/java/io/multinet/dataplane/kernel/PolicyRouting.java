package io.multinet.dataplane.kernel;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
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

  private void replace(Map<Integer, Integer> tableById) throws IOException {
    for (String family : List.of("-4", "-6")) {
      // Deleting by priority until none is left: the rules at our priority are all ours.
      for (int i = 0;
          i < 65536 && ip(family, "rule", "del", "pref", Integer.toString(PRIORITY)) == 0;
          i++) {
        // keep deleting
      }
      for (var e : tableById.entrySet()) {
        if (e.getValue() == 0) {
          continue;
        }
        String mark =
            "0x"
                + Long.toHexString(KernelRuleset.mark(e.getKey()))
                + "/0x"
                + Long.toHexString(KernelRuleset.MARK_MASK);
        int rc =
            ip(
                family,
                "rule",
                "add",
                "fwmark",
                mark,
                "lookup",
                Integer.toString(e.getValue()),
                "pref",
                Integer.toString(PRIORITY));
        if (rc != 0) {
          throw new IOException(
              "ip " + family + " rule add fwmark " + mark + " lookup " + e.getValue() + " failed");
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

  private int ip(String... args) throws IOException {
    List<String> cmd = new ArrayList<>();
    cmd.add("ip");
    if (netns != null) {
      cmd.add("-n");
      cmd.add(netns);
    }
    cmd.addAll(List.of(args));
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    try {
      byte[] out = p.getInputStream().readAllBytes();
      if (!p.waitFor(10, TimeUnit.SECONDS)) {
        p.destroyForcibly();
        throw new IOException(String.join(" ", cmd) + ": timed out");
      }
      if (p.exitValue() != 0 && !args[2].equals("del")) {
        throw new IOException(
            String.join(" ", cmd) + ": " + new String(out, StandardCharsets.UTF_8).strip());
      }
      return p.exitValue();
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IOException("interrupted: " + String.join(" ", cmd), e);
    }
  }
}
