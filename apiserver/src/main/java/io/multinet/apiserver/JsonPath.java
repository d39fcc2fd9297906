package io.multinet.apiserver;

import static java.util.Objects.requireNonNull;

import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.List;
import org.jspecify.annotations.Nullable;
import tools.jackson.databind.JsonNode;

/**
 * The part of kubectl's JSONPath that CustomResourceDefinitions' {@code additionalPrinterColumns}
 * use: fields ({@code .spec.id}, {@code ['a.b']}), indexes ({@code [0]}, {@code [-1]}), wildcards
 * ({@code [*]}, {@code .*}) and filters comparing a relative path with a literal ({@code
 * [?(@.type=="Ready")]}, also {@code !=}, {@code <}, {@code <=}, {@code >}, {@code >=}, or
 * existence {@code [?(@.x)]}). Missing keys yield no result, as the API server evaluates these
 * paths ({@code AllowMissingKeys}).
 */
final class JsonPath {

  private sealed interface Step permits Field, Index, Wildcard, Filter {}

  private record Field(String name) implements Step {}

  private record Index(int index) implements Step {}

  private record Wildcard() implements Step {}

  private record Filter(JsonPath left, @Nullable String op, @Nullable JsonNode literal)
      implements Step {}

  private final String text;
  private final List<Step> steps;

  private JsonPath(String text, List<Step> steps) {
    this.text = text;
    this.steps = List.copyOf(steps);
  }

  /**
   * Parses {@code path}, such as {@code .status.conditions[?(@.type=="Ready")].status}.
   *
   * @throws IllegalArgumentException naming what is not understood
   */
  static JsonPath parse(String path) {
    requireNonNull(path, "path");
    String p = path.trim();
    if (p.startsWith("{") && p.endsWith("}")) {
      p = p.substring(1, p.length() - 1).trim();
    }
    if (p.startsWith("$")) {
      p = p.substring(1);
    }
    var parser = new Parser(path, p);
    List<Step> steps = parser.steps(false);
    if (parser.at < p.length()) {
      throw parser.error("unexpected '" + p.charAt(parser.at) + "'");
    }
    return new JsonPath(path, steps);
  }

  /** Every value the path reaches in {@code root}, in document order. */
  List<JsonNode> find(JsonNode root) {
    List<JsonNode> current = List.of(root);
    for (Step step : steps) {
      List<JsonNode> next = new ArrayList<>();
      for (JsonNode node : current) {
        apply(step, node, next);
      }
      current = next;
    }
    return current;
  }

  private static void apply(Step step, JsonNode node, List<JsonNode> out) {
    switch (step) {
      case Field f -> {
        JsonNode v = node.isObject() ? node.get(f.name()) : null;
        if (v != null) {
          out.add(v);
        }
      }
      case Index i -> {
        if (node.isArray()) {
          int at = i.index() < 0 ? node.size() + i.index() : i.index();
          if (at >= 0 && at < node.size()) {
            out.add(node.get(at));
          }
        }
      }
      case Wildcard w -> {
        if (node.isArray() || node.isObject()) {
          node.values().forEach(out::add);
        }
      }
      case Filter f -> {
        if (node.isArray()) {
          for (JsonNode item : node.values()) {
            if (filterMatches(f, item)) {
              out.add(item);
            }
          }
        }
      }
    }
  }

  @Override
  public String toString() {
    return text;
  }

  private static boolean filterMatches(Filter f, JsonNode item) {
    List<JsonNode> found = f.left().find(item);
    if (f.op() == null) {
      return !found.isEmpty();
    }
    JsonNode literal = requireNonNull(f.literal(), "literal");
    for (JsonNode value : found) {
      Integer order = compare(value, literal);
      if (order != null && holds(requireNonNull(f.op(), "op"), order)) {
        return true;
      }
    }
    return false;
  }

  /** The order of {@code a} and {@code b}, or null if they are of kinds that do not compare. */
  private static @Nullable Integer compare(JsonNode a, JsonNode b) {
    if (a.isNumber() && b.isNumber()) {
      return new BigDecimal(a.asString()).compareTo(new BigDecimal(b.asString()));
    }
    if (a.isString() && b.isString()) {
      return a.asString().compareTo(b.asString());
    }
    if (a.isBoolean() && b.isBoolean()) {
      return Boolean.compare(a.asBoolean(), b.asBoolean());
    }
    return null;
  }

  private static boolean holds(String op, int order) {
    return switch (op) {
      case "==" -> order == 0;
      case "!=" -> order != 0;
      case "<" -> order < 0;
      case "<=" -> order <= 0;
      case ">" -> order > 0;
      default -> order >= 0; // ">=": the parser admits no other
    };
  }

  private static final class Parser {
    private final String original;
    private final String p;
    private int at;

    Parser(String original, String p) {
      this.original = original;
      this.p = p;
    }

    IllegalArgumentException error(String what) {
      return new IllegalArgumentException(
          "jsonPath: " + original + " (" + what + " at " + at + ")");
    }

    /** Steps until the end, or (in a filter) until an operator or the closing parenthesis. */
    List<Step> steps(boolean inFilter) {
      List<Step> steps = new ArrayList<>();
      while (at < p.length()) {
        char c = p.charAt(at);
        if (c == '.') {
          at++;
          if (at < p.length() && p.charAt(at) == '.') {
            throw error("recursive descent '..' is not supported");
          }
          if (at < p.length() && p.charAt(at) == '*') {
            at++;
            steps.add(new Wildcard());
            continue;
          }
          int start = at;
          while (at < p.length() && isNameChar(p.charAt(at))) {
            at++;
          }
          if (start == at) {
            if (at == p.length() && steps.isEmpty() && !inFilter) {
              break; // "." alone: the object itself
            }
            throw error("a field name expected");
          }
          steps.add(new Field(p.substring(start, at)));
        } else if (c == '[') {
          at++;
          steps.add(bracket());
        } else if (inFilter) {
          break;
        } else {
          throw error("unexpected '" + c + "'");
        }
      }
      return steps;
    }

    private static boolean isNameChar(char c) {
      return Character.isLetterOrDigit(c) || c == '_' || c == '-' || c == '/';
    }

    private Step bracket() {
      skipSpaces();
      if (at >= p.length()) {
        throw error("unclosed '['");
      }
      char c = p.charAt(at);
      Step step;
      if (c == '\'' || c == '"') {
        step = new Field(quoted());
      } else if (c == '*') {
        at++;
        step = new Wildcard();
      } else if (c == '?') {
        at++;
        step = filter();
      } else {
        int start = at;
        if (c == '-') {
          at++;
        }
        while (at < p.length() && Character.isDigit(p.charAt(at))) {
          at++;
        }
        if (start == at || (at == start + 1 && c == '-')) {
          throw error("an index, '*', a quoted name or a filter expected");
        }
        step = new Index(Integer.parseInt(p.substring(start, at)));
      }
      skipSpaces();
      expect(']');
      return step;
    }

    private Filter filter() {
      skipSpaces();
      expect('(');
      skipSpaces();
      expect('@');
      JsonPath left = new JsonPath(original, steps(true));
      skipSpaces();
      String op = null;
      JsonNode literal = null;
      for (String candidate : List.of("==", "!=", "<=", ">=", "<", ">")) {
        if (p.startsWith(candidate, at)) {
          op = candidate;
          at += candidate.length();
          skipSpaces();
          literal = literal();
          skipSpaces();
          break;
        }
      }
      expect(')');
      return new Filter(left, op, literal);
    }

    private JsonNode literal() {
      if (at < p.length() && (p.charAt(at) == '"' || p.charAt(at) == '\'')) {
        return Discovery.JSON.getNodeFactory().stringNode(quoted());
      }
      int start = at;
      while (at < p.length() && ")] ".indexOf(p.charAt(at)) < 0) {
        at++;
      }
      String word = p.substring(start, at);
      if (word.equals("true") || word.equals("false")) {
        return Discovery.JSON.getNodeFactory().booleanNode(word.equals("true"));
      }
      try {
        return Discovery.JSON.getNodeFactory().numberNode(new BigDecimal(word));
      } catch (NumberFormatException e) {
        throw error("a quoted string, a number or a boolean expected");
      }
    }

    private String quoted() {
      char quote = p.charAt(at++);
      var out = new StringBuilder();
      while (at < p.length() && p.charAt(at) != quote) {
        char c = p.charAt(at++);
        if (c == '\\' && at < p.length()) {
          c = p.charAt(at++);
        }
        out.append(c);
      }
      expect(quote);
      return out.toString();
    }

    private void expect(char c) {
      if (at >= p.length() || p.charAt(at) != c) {
        throw error("'" + c + "' expected");
      }
      at++;
    }

    private void skipSpaces() {
      while (at < p.length() && p.charAt(at) == ' ') {
        at++;
      }
    }
  }
}
