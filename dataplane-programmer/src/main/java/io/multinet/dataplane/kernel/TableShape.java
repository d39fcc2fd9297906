package io.multinet.dataplane.kernel;

import static java.util.Objects.requireNonNull;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A table's chains and sets without their elements: read from the kernel's terse listing ({@code
 * nft -j -t list table}) or from the nft text that declares them. A resync over an existing table
 * compares the two to know what to flush, what to keep and what to delete.
 *
 * @param chains chain name → the chains its rules {@code goto} or {@code jump} to (kernel only)
 * @param sets set or map name → its shape
 */
record TableShape(Map<String, Set<String>> chains, Map<String, SetShape> sets) {

  /**
   * @param map a map (flushed with {@code flush map}), not a set
   * @param size the element limit, 0 for none
   * @param timeout whether elements expire: the datapath fills these (affinity), never a sync
   */
  record SetShape(boolean map, int size, boolean timeout) {}

  TableShape {
    requireNonNull(chains, "chains");
    requireNonNull(sets, "sets");
  }

  /** The shape in {@code nft -j -t list table} output. */
  static TableShape fromTerseJson(String json) {
    JsonArray items = JsonParser.parseString(json).getAsJsonObject().getAsJsonArray("nftables");
    Map<String, Set<String>> chains = new LinkedHashMap<>();
    Map<String, SetShape> sets = new LinkedHashMap<>();
    for (JsonElement e : items) {
      JsonObject o = e.getAsJsonObject();
      if (o.has("chain")) {
        chains.putIfAbsent(
            o.getAsJsonObject("chain").get("name").getAsString(), new LinkedHashSet<>());
      } else if (o.has("rule")) {
        JsonObject r = o.getAsJsonObject("rule");
        Set<String> targets =
            chains.computeIfAbsent(r.get("chain").getAsString(), c -> new LinkedHashSet<>());
        collectTargets(r.get("expr"), targets);
      } else if (o.has("map") || o.has("set")) {
        boolean map = o.has("map");
        JsonObject s = o.getAsJsonObject(map ? "map" : "set");
        boolean timeout = false;
        JsonElement flags = s.get("flags");
        if (flags != null) {
          for (JsonElement f : flags.isJsonArray() ? flags.getAsJsonArray() : wrap(flags)) {
            timeout |= f.getAsString().equals("timeout") || f.getAsString().equals("dynamic");
          }
        }
        int size = s.has("size") ? s.get("size").getAsInt() : 0;
        sets.put(s.get("name").getAsString(), new SetShape(map, size, timeout));
      }
    }
    return new TableShape(chains, sets);
  }

  private static JsonArray wrap(JsonElement e) {
    var a = new JsonArray();
    a.add(e);
    return a;
  }

  private static void collectTargets(JsonElement e, Set<String> out) {
    if (e.isJsonArray()) {
      e.getAsJsonArray().forEach(x -> collectTargets(x, out));
    } else if (e.isJsonObject()) {
      for (Map.Entry<String, JsonElement> f : e.getAsJsonObject().entrySet()) {
        if ((f.getKey().equals("goto") || f.getKey().equals("jump"))
            && f.getValue().isJsonObject()
            && f.getValue().getAsJsonObject().has("target")) {
          out.add(f.getValue().getAsJsonObject().get("target").getAsString());
        } else {
          collectTargets(f.getValue(), out);
        }
      }
    }
  }

  private static final Pattern CHAIN =
      Pattern.compile(
          "^(?:[ \\t]*chain |add chain " + KernelRuleset.TABLE + " )(\\S+)", Pattern.MULTILINE);
  private static final Pattern SET =
      Pattern.compile(
          "^(?:[ \\t]*|add )(map|set) (?:" + KernelRuleset.TABLE + " )?(\\S+) \\{([^}\\n]*)",
          Pattern.MULTILINE);
  private static final Pattern SIZE = Pattern.compile("size (\\d+)");

  /** The chains and sets {@code text} (nft syntax, as {@link KernelRuleset} writes) declares. */
  static TableShape declaredBy(String text) {
    Map<String, Set<String>> chains = new LinkedHashMap<>();
    Matcher c = CHAIN.matcher(text);
    while (c.find()) {
      chains.putIfAbsent(c.group(1), Set.of());
    }
    Map<String, SetShape> sets = new LinkedHashMap<>();
    Matcher s = SET.matcher(text);
    while (s.find()) {
      Matcher size = SIZE.matcher(s.group(3));
      sets.put(
          s.group(2),
          new SetShape(
              s.group(1).equals("map"),
              size.find() ? Integer.parseInt(size.group(1)) : 0,
              s.group(3).contains("timeout")));
    }
    return new TableShape(chains, sets);
  }

  /**
   * This table's chains missing from {@code wanted}, ordered so that a chain comes before the
   * chains it jumps to: deleted in this order in one transaction, none is still referenced when its
   * turn comes (the kernel refuses to delete a chain in use).
   */
  List<String> staleChains(TableShape wanted) {
    Set<String> stale = new LinkedHashSet<>(chains.keySet());
    stale.removeAll(wanted.chains.keySet());
    // Reversed depth-first post-order over "jumps to" is a topological order: referrers first.
    List<String> post = new ArrayList<>();
    Set<String> done = new HashSet<>();
    for (String root : stale) {
      if (done.add(root)) {
        visit(root, stale, done, post);
      }
    }
    Collections.reverse(post);
    return post;
  }

  private void visit(String chain, Set<String> stale, Set<String> done, List<String> post) {
    for (String t : chains.getOrDefault(chain, Set.of())) {
      if (stale.contains(t) && done.add(t)) {
        visit(t, stale, done, post);
      }
    }
    post.add(chain);
  }

  /** This table's sets and maps missing from {@code wanted}. */
  Map<String, SetShape> staleSets(TableShape wanted) {
    Map<String, SetShape> out = new LinkedHashMap<>(sets);
    out.keySet().removeAll(wanted.sets.keySet());
    return out;
  }
}
