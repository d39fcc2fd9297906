package io.multinet.app;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.jspecify.annotations.Nullable;
import tools.jackson.databind.JsonNode;
import tools.jackson.dataformat.yaml.YAMLMapper;

/**
 * The subset of kube-proxy's {@code KubeProxyConfiguration} (v1alpha1, and v1alpha2's moved fields)
 * that multinet-proxy honours, so an existing kube-proxy config file can be reused. Unknown fields
 * are ignored, as kube-proxy's lenient decoding does for fields of other modes.
 */
record ProxyConfig(
    @Nullable Duration minSyncPeriod,
    @Nullable Duration syncPeriod,
    @Nullable String healthzBindAddress,
    @Nullable String metricsBindAddress,
    List<String> clusterCidrs,
    @Nullable Boolean masqueradeAll,
    @Nullable String hostnameOverride,
    List<String> nodePortAddresses) {

  static ProxyConfig read(Path file) throws IOException {
    JsonNode root = new YAMLMapper().readTree(Files.readString(file));
    if (root == null || !root.isObject()) {
      throw new IOException(
          "config: " + file + " (expected: a KubeProxyConfiguration YAML document)");
    }
    String kind = root.path("kind").asString("");
    if (!kind.isEmpty() && !kind.equals("KubeProxyConfiguration")) {
      throw new IOException("config: kind " + kind + " (expected: KubeProxyConfiguration)");
    }
    List<String> cidrs = new ArrayList<>();
    String cidr = root.path("clusterCIDR").asString("");
    for (String c : cidr.split(",", -1)) {
      if (!c.isBlank()) {
        cidrs.add(c.trim());
      }
    }
    List<String> nodePortAddresses = new ArrayList<>();
    for (JsonNode n : root.path("nodePortAddresses")) {
      nodePortAddresses.add(n.asString(""));
    }
    Boolean masqueradeAll = null;
    for (JsonNode n :
        List.of(
            root.path("masqueradeAll"),
            root.path("iptables").path("masqueradeAll"),
            root.path("nftables").path("masqueradeAll"),
            root.path("linux").path("masqueradeAll"))) {
      if (n.isBoolean()) {
        masqueradeAll = n.asBoolean();
      }
    }
    return new ProxyConfig(
        duration(first(root, "minSyncPeriod", "nftables.minSyncPeriod", "iptables.minSyncPeriod")),
        duration(first(root, "syncPeriod", "nftables.syncPeriod", "iptables.syncPeriod")),
        text(root.path("healthzBindAddress")),
        text(root.path("metricsBindAddress")),
        cidrs,
        masqueradeAll,
        text(root.path("hostnameOverride")),
        nodePortAddresses);
  }

  private static @Nullable String first(JsonNode root, String... paths) {
    for (String p : paths) {
      JsonNode n = root;
      for (String part : p.split("\\.", -1)) {
        n = n.path(part);
      }
      String v = text(n);
      if (v != null) {
        return v;
      }
    }
    return null;
  }

  private static @Nullable String text(JsonNode n) {
    return n.asString("").isEmpty() ? null : n.asString("");
  }

  /** Go's duration syntax as kube-proxy writes it: "1s", "500ms", "1m30s", "1h". */
  static @Nullable Duration duration(@Nullable String go) {
    if (go == null) {
      return null;
    }
    String s = go.trim().toLowerCase(Locale.ROOT);
    Duration total = Duration.ZERO;
    int i = 0;
    while (i < s.length()) {
      int start = i;
      while (i < s.length() && (Character.isDigit(s.charAt(i)) || s.charAt(i) == '.')) {
        i++;
      }
      int unitStart = i;
      while (i < s.length() && Character.isLetter(s.charAt(i))) {
        i++;
      }
      if (start == unitStart || unitStart == i) {
        throw new IllegalArgumentException(
            "duration: " + go + " (expected: Go syntax such as 1s, 500ms or 1m30s)");
      }
      double value = Double.parseDouble(s.substring(start, unitStart));
      long nanosPerUnit =
          switch (s.substring(unitStart, i)) {
            case "ns" -> 1L;
            case "us", "µs" -> 1_000L;
            case "ms" -> 1_000_000L;
            case "s" -> 1_000_000_000L;
            case "m" -> 60_000_000_000L;
            case "h" -> 3_600_000_000_000L;
            default ->
                throw new IllegalArgumentException(
                    "duration: " + go + " (expected units ns, us, ms, s, m or h)");
          };
      total = total.plusNanos((long) (value * nanosPerUnit));
    }
    return total;
  }
}
