package io.multinet.dataplane.kernel;

import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The chains and sets nft text declares, read from the text alone: the independent reading the
 * tests hold {@link TableShape#of(KernelPlan)} and {@link NftRenderer} against.
 */
final class DeclaredShape {

  private static final Pattern CHAIN =
      Pattern.compile(
          "^(?:[ \\t]*chain |add chain " + KernelPlan.TABLE + " )(\\S+)", Pattern.MULTILINE);
  private static final Pattern SET =
      Pattern.compile(
          "^(?:[ \\t]*|add )(map|set) (?:" + KernelPlan.TABLE + " )?(\\S+) \\{([^}\\n]*)",
          Pattern.MULTILINE);
  private static final Pattern SIZE = Pattern.compile("size (\\d+)");

  private DeclaredShape() {}

  /** The chains and sets {@code text} (nft syntax, as {@link NftRenderer} writes) declares. */
  static TableShape of(String text) {
    Set<String> chains = new LinkedHashSet<>();
    Matcher c = CHAIN.matcher(text);
    while (c.find()) {
      chains.add(c.group(1));
    }
    Map<String, TableShape.SetShape> sets = new LinkedHashMap<>();
    Matcher s = SET.matcher(text);
    while (s.find()) {
      Matcher size = SIZE.matcher(s.group(3));
      sets.put(
          s.group(2),
          new TableShape.SetShape(
              s.group(1).equals("map"),
              size.find() ? Integer.parseInt(size.group(1)) : 0,
              s.group(3).contains("timeout")));
    }
    return new TableShape(chains, sets);
  }
}
