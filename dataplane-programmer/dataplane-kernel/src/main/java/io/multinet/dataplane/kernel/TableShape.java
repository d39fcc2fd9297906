package io.multinet.dataplane.kernel;

import static java.util.Objects.requireNonNull;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * A table's chains and sets without their elements: read from the kernel's terse listings ({@code
 * nft -j -t list chains|sets|maps}) or from a {@link KernelPlan}. A resync over an existing table
 * compares the two to know what to flush, what to keep and what to delete.
 *
 * @param chains chain names
 * @param sets set or map name → its shape
 */
record TableShape(Set<String> chains, Map<String, SetShape> sets) {

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

  /** The shape of table {@code table} in terse JSON listings of one family's chains and sets. */
  static TableShape fromTerseJson(String table, String... listings) {
    Set<String> chains = new LinkedHashSet<>();
    Map<String, SetShape> sets = new LinkedHashMap<>();
    for (String json : listings) {
      if (json.isBlank()) {
        continue; // no table of the family at all
      }
      JsonArray items = JsonParser.parseString(json).getAsJsonObject().getAsJsonArray("nftables");
      if (items == null) {
        continue; // nothing of that kind in the family: an empty listing
      }
      for (JsonElement e : items) {
        JsonObject o = e.getAsJsonObject();
        String kind = o.has("chain") ? "chain" : o.has("map") ? "map" : o.has("set") ? "set" : "";
        if (kind.isEmpty() || !o.getAsJsonObject(kind).get("table").getAsString().equals(table)) {
          continue;
        }
        JsonObject x = o.getAsJsonObject(kind);
        String name = x.get("name").getAsString();
        if (kind.equals("chain")) {
          chains.add(name);
          continue;
        }
        boolean timeout = false;
        JsonElement flags = x.get("flags");
        if (flags != null) {
          for (JsonElement f : flags.isJsonArray() ? flags.getAsJsonArray() : wrap(flags)) {
            timeout |= f.getAsString().equals("timeout") || f.getAsString().equals("dynamic");
          }
        }
        int size = x.has("size") ? x.get("size").getAsInt() : 0;
        sets.put(name, new SetShape(kind.equals("map"), size, timeout));
      }
    }
    return new TableShape(chains, sets);
  }

  private static JsonArray wrap(JsonElement e) {
    var a = new JsonArray();
    a.add(e);
    return a;
  }

  /** The chains and sets {@code plan} declares, as {@link NftRenderer#overlay} writes them. */
  static TableShape of(KernelPlan plan) {
    Set<String> chains = new LinkedHashSet<>();
    plan.chains().forEach(c -> chains.add(c.name()));
    Map<String, SetShape> sets = new LinkedHashMap<>();
    for (KernelPlan.TableSet s : plan.allSets()) {
      sets.put(s.name(), new SetShape(s.map(), s.size(), s.timeout()));
    }
    return new TableShape(chains, sets);
  }

  /** This table's chains missing from {@code wanted}. */
  List<String> staleChains(TableShape wanted) {
    List<String> out = new ArrayList<>(chains);
    out.removeAll(wanted.chains);
    return out;
  }

  /** This table's sets and maps missing from {@code wanted}. */
  Map<String, SetShape> staleSets(TableShape wanted) {
    Map<String, SetShape> out = new LinkedHashMap<>(sets);
    out.keySet().removeAll(wanted.sets.keySet());
    return out;
  }
}
