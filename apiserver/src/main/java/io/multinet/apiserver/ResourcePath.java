package io.multinet.apiserver;

import java.net.URLDecoder;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * The resource a request path names: {@code /api/v1/namespaces/NS/PLURAL[/NAME]} or {@code
 * /apis/GROUP/VERSION/[namespaces/NS/]PLURAL[/NAME]}; the namespace itself is not kept.
 */
record ResourcePath(String group, String version, String plural, @Nullable String name) {

  static @Nullable ResourcePath of(String path) {
    int q = path.indexOf('?');
    String p = q < 0 ? path : path.substring(0, q);
    String[] s = p.startsWith("/") ? p.substring(1).split("/", -1) : p.split("/", -1);
    String group;
    String version;
    int rest;
    if (s.length >= 3 && s[0].equals("api")) {
      group = "";
      version = s[1];
      rest = 2;
    } else if (s.length >= 4 && s[0].equals("apis")) {
      group = s[1];
      version = s[2];
      rest = 3;
    } else {
      return null;
    }
    List<String> r = new ArrayList<>(List.of(s).subList(rest, s.length));
    if (r.size() >= 3 && r.get(0).equals("namespaces") && !isSubresource(r.get(2))) {
      r = r.subList(2, r.size());
    }
    if (r.size() > 2) {
      return null; // a subresource (status, scale, binding): not a resource of its own
    }
    return new ResourcePath(group, version, r.get(0), r.size() > 1 ? r.get(1) : null);
  }

  private static boolean isSubresource(String segment) {
    return segment.equals("status") || segment.equals("finalize");
  }

  /** The decoded value of one query parameter of {@code path}, or null. */
  static @Nullable String queryParameter(String path, String name) {
    int q = path.indexOf('?');
    if (q < 0) {
      return null;
    }
    for (String pair : path.substring(q + 1).split("&", -1)) {
      int eq = pair.indexOf('=');
      String key = URLDecoder.decode(eq < 0 ? pair : pair.substring(0, eq), StandardCharsets.UTF_8);
      if (key.equals(name)) {
        return eq < 0 ? "" : URLDecoder.decode(pair.substring(eq + 1), StandardCharsets.UTF_8);
      }
    }
    return null;
  }
}
