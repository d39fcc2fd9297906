package io.multinet.kube.attachment;

import static java.util.Objects.requireNonNull;

import io.multinet.network.IpAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.ObjectMapper;

/**
 * Reads the Network Plumbing Working Group's network-status annotation (multi-net spec v1.3,
 * section 5): a JSON list of maps with {@code name}, {@code interface}, {@code ips} and {@code
 * default}. Unknown keys (mac, dns, device-info, reverse-DNS keys) are ignored.
 */
public final class NetworkStatus {

  /** The current annotation. */
  public static final String ANNOTATION = "k8s.v1.cni.cncf.io/network-status";

  /** The pre-1.1 spelling some CNIs still write; read only when the current one is absent. */
  public static final String LEGACY_ANNOTATION = "k8s.v1.cni.cncf.io/networks-status";

  private static final ObjectMapper JSON = new ObjectMapper();

  private NetworkStatus() {}

  /**
   * The pod's interfaces from its annotations; an empty list when neither annotation is present.
   *
   * @throws InvalidNetworkStatusException when the annotation is not the JSON the spec defines
   */
  public static List<PodInterface> fromAnnotations(Map<String, String> annotations) {
    requireNonNull(annotations, "annotations");
    String value = annotations.get(ANNOTATION);
    String key = ANNOTATION;
    if (value == null) {
      value = annotations.get(LEGACY_ANNOTATION);
      key = LEGACY_ANNOTATION;
    }
    return value == null ? List.of() : parse(key, value);
  }

  /** Parses one annotation value; {@code key} only names it in error messages. */
  public static List<PodInterface> parse(String key, String value) {
    requireNonNull(value, "value");
    JsonNode root;
    try {
      root = JSON.readTree(value);
    } catch (JacksonException e) {
      throw new InvalidNetworkStatusException(
          key
              + ": malformed JSON at line "
              + e.getLocation().getLineNr()
              + " (expected: a JSON list of maps)",
          e);
    }
    if (root == null || !root.isArray()) {
      throw new InvalidNetworkStatusException(key + ": not a list (expected: a JSON list of maps)");
    }
    List<PodInterface> out = new ArrayList<>(root.size());
    for (int i = 0; i < root.size(); i++) {
      JsonNode entry = root.get(i);
      String where = key + "[" + i + "]";
      if (!entry.isObject()) {
        throw new InvalidNetworkStatusException(where + ": not a map (expected: a JSON map)");
      }
      JsonNode name = entry.get("name");
      if (name == null || !name.isString() || name.asString().isEmpty()) {
        throw new InvalidNetworkStatusException(
            where + ".name: missing (expected: a non-empty string)");
      }
      JsonNode iface = entry.get("interface");
      List<IpAddress> addresses = new ArrayList<>();
      JsonNode ips = entry.get("ips");
      if (ips != null && !ips.isNull()) {
        if (!ips.isArray()) {
          throw new InvalidNetworkStatusException(
              where + ".ips: not a list (expected: a list of IP strings)");
        }
        for (JsonNode ip : ips) {
          addresses.add(parseIp(where + ".ips", ip));
        }
      }
      JsonNode isDefault = entry.get("default");
      out.add(
          new PodInterface(
              name.asString(),
              iface != null && iface.isString() && !iface.asString().isEmpty()
                  ? iface.asString()
                  : null,
              addresses,
              isDefault != null && isDefault.asBoolean(false)));
    }
    return out;
  }

  private static IpAddress parseIp(String where, JsonNode ip) {
    if (!ip.isString()) {
      throw new InvalidNetworkStatusException(where + ": " + ip + " (expected: an IP string)");
    }
    String text = ip.asString().trim();
    int slash = text.indexOf('/');
    // The spec's own examples carry prefix lengths ("192.0.2.2/24"); multus writes bare addresses.
    String bare = slash < 0 ? text : text.substring(0, slash);
    try {
      return IpAddress.parse(bare);
    } catch (IllegalArgumentException e) {
      throw new InvalidNetworkStatusException(
          where + ": " + text + " (expected: an IPv4 or IPv6 address)", e);
    }
  }
}
