package io.multinet.demo;

import static java.util.Objects.requireNonNull;

import io.multinet.network.IpAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;
import tools.jackson.core.JacksonException;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.ObjectMapper;

/**
 * Reads a pod's {@code k8s.v1.cni.cncf.io/networks} request (multi-net spec v1.3, section 4) in
 * both formats: the comma list {@code net1,ns/net2} (with multus' {@code name@interface} suffix)
 * and the JSON list {@code [{"name":..., "namespace":..., "interface":..., "ips":[...],
 * "mac":...}]}. Unknown JSON keys are ignored, as the spec reserves them for later versions.
 */
final class NetworkRequests {

  static final String ANNOTATION = "k8s.v1.cni.cncf.io/networks";

  private static final ObjectMapper JSON = tools.jackson.databind.json.JsonMapper.builder().build();
  private static final Pattern DNS_LABEL = Pattern.compile("[a-z0-9]([-a-z0-9]*[a-z0-9])?");
  private static final Pattern IFNAME = Pattern.compile("[A-Za-z0-9_.-]{1,15}");
  private static final Pattern MAC = Pattern.compile("([0-9a-fA-F]{2}:){5}[0-9a-fA-F]{2}");

  /**
   * One requested attachment.
   *
   * @param namespace the NetworkAttachmentDefinition's namespace (the pod's when not given)
   * @param name its name
   * @param interfaceName the interface name asked for, or null for the next {@code netN}
   * @param ips addresses asked for (prefix lengths dropped), or empty for the network's allocator
   * @param mac the MAC address asked for, or null
   */
  record Request(
      String namespace,
      String name,
      @Nullable String interfaceName,
      List<IpAddress> ips,
      @Nullable String mac) {
    Request {
      requireNonNull(namespace, "namespace");
      requireNonNull(name, "name");
      ips = List.copyOf(ips);
    }

    /** {@code namespace/name}, as multus names the attachment in network-status. */
    String qualifiedName() {
      return namespace + "/" + name;
    }
  }

  private NetworkRequests() {}

  /**
   * The requests in {@code value}, for a pod in {@code podNamespace}.
   *
   * @throws IllegalArgumentException naming the part of the annotation that is invalid
   */
  static List<Request> parse(String value, String podNamespace) {
    requireNonNull(value, "value");
    requireNonNull(podNamespace, "podNamespace");
    String text = value.strip();
    if (text.startsWith("[")) {
      return parseJson(text, podNamespace);
    }
    List<Request> out = new ArrayList<>();
    if (text.isEmpty()) {
      return out;
    }
    for (String part : text.split(",", -1)) {
      String ref = part.strip();
      String where = ANNOTATION + ": " + ref;
      String iface = null;
      int at = ref.indexOf('@');
      if (at >= 0) {
        iface = checkInterface(where, ref.substring(at + 1));
        ref = ref.substring(0, at);
      }
      int slash = ref.indexOf('/');
      String ns = slash < 0 ? podNamespace : ref.substring(0, slash);
      String name = ref.substring(slash + 1);
      checkLabel(where, ns);
      checkLabel(where, name);
      out.add(new Request(ns, name, iface, List.of(), null));
    }
    return out;
  }

  private static List<Request> parseJson(String text, String podNamespace) {
    JsonNode root;
    try {
      root = JSON.readTree(text);
    } catch (JacksonException e) {
      throw new IllegalArgumentException(
          ANNOTATION
              + ": malformed JSON at line "
              + e.getLocation().getLineNr()
              + " (expected: a JSON list of maps, or a comma list of names)",
          e);
    }
    if (root == null || !root.isArray()) {
      throw new IllegalArgumentException(ANNOTATION + ": not a list (expected: a JSON list)");
    }
    List<Request> out = new ArrayList<>();
    for (int i = 0; i < root.size(); i++) {
      JsonNode entry = root.get(i);
      String where = ANNOTATION + "[" + i + "]";
      if (!entry.isObject()) {
        throw new IllegalArgumentException(where + ": not a map (expected: a JSON map)");
      }
      String name = text(entry, "name", where);
      if (name == null) {
        throw new IllegalArgumentException(where + ".name: missing (expected: a non-empty string)");
      }
      String ns = text(entry, "namespace", where);
      if (ns == null || ns.isEmpty()) {
        ns = podNamespace;
      }
      checkLabel(where + ".name", name);
      checkLabel(where + ".namespace", ns);
      String iface = text(entry, "interface", where);
      if (iface != null) {
        checkInterface(where + ".interface", iface);
      }
      String mac = text(entry, "mac", where);
      if (mac != null && !MAC.matcher(mac).matches()) {
        throw new IllegalArgumentException(
            where + ".mac: " + mac + " (expected: a 6-byte MAC such as 02:23:45:67:89:01)");
      }
      List<IpAddress> ips = new ArrayList<>();
      JsonNode list = entry.get("ips");
      if (list != null && !list.isNull()) {
        if (!list.isArray() || list.isEmpty()) {
          throw new IllegalArgumentException(
              where + ".ips: " + list + " (expected: a non-empty list of IP strings)");
        }
        for (JsonNode ip : list) {
          ips.add(ip(where + ".ips", ip));
        }
      }
      out.add(new Request(ns, name, iface, ips, mac));
    }
    return out;
  }

  private static @Nullable String text(JsonNode entry, String key, String where) {
    JsonNode node = entry.get(key);
    if (node == null || node.isNull()) {
      return null;
    }
    if (!node.isString()) {
      throw new IllegalArgumentException(where + "." + key + ": " + node + " (expected: a string)");
    }
    return node.asString();
  }

  private static IpAddress ip(String where, JsonNode node) {
    String text = node.isString() ? node.asString().strip() : node.toString();
    int slash = text.indexOf('/');
    try {
      if (!node.isString()) {
        throw new IllegalArgumentException("not a string");
      }
      return IpAddress.parse(slash < 0 ? text : text.substring(0, slash));
    } catch (IllegalArgumentException e) {
      throw new IllegalArgumentException(
          where + ": " + text + " (expected: an IPv4 or IPv6 address, optionally /prefix)", e);
    }
  }

  private static void checkLabel(String where, String value) {
    if (value.length() > 63 || !DNS_LABEL.matcher(value).matches()) {
      throw new IllegalArgumentException(
          where + ": " + value + " (expected: a DNS-1123 label, [a-z0-9]([-a-z0-9]*[a-z0-9])?)");
    }
  }

  private static String checkInterface(String where, String value) {
    if (!IFNAME.matcher(value).matches()) {
      throw new IllegalArgumentException(
          where + ": " + value + " (expected: a Linux interface name, 1-15 characters)");
    }
    return value;
  }
}
