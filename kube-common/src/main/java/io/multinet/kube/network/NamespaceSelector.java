package io.multinet.kube.network;

import static java.util.Objects.requireNonNull;

import io.fabric8.kubernetes.api.model.LabelSelector;
import io.fabric8.kubernetes.api.model.LabelSelectorRequirement;
import io.fabric8.kubernetes.api.model.Namespace;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * A Network's {@code spec.namespaceSelector}, validated: which namespaces may publish Services
 * (addresses, slices, DNS names) into the network. Evaluated as Kubernetes evaluates label
 * selectors: every {@code matchLabels} pair and every {@code matchExpressions} requirement must
 * hold; an empty selector matches every namespace.
 */
public final class NamespaceSelector {

  /** No selector: every namespace, as before the field existed. */
  public static final NamespaceSelector ALL = new NamespaceSelector(null);

  private static final Set<String> OPERATORS = Set.of("In", "NotIn", "Exists", "DoesNotExist");

  private final @Nullable LabelSelector selector;

  private NamespaceSelector(@Nullable LabelSelector selector) {
    this.selector = selector;
  }

  /**
   * Validates {@code selector}; null means {@link #ALL}.
   *
   * @throws IllegalArgumentException naming the bad requirement
   */
  public static NamespaceSelector of(@Nullable LabelSelector selector) {
    if (selector == null) {
      return ALL;
    }
    for (var e :
        Objects.requireNonNullElse(selector.getMatchLabels(), Map.<String, String>of())
            .entrySet()) {
      if (e.getKey() == null || e.getKey().isBlank() || e.getValue() == null) {
        throw new IllegalArgumentException(
            "namespaceSelector.matchLabels: "
                + e.getKey()
                + "="
                + e.getValue()
                + " (expected: a label key and a value)");
      }
    }
    List<LabelSelectorRequirement> reqs =
        Objects.requireNonNullElse(selector.getMatchExpressions(), List.of());
    for (LabelSelectorRequirement r : reqs) {
      String op = r.getOperator();
      if (r.getKey() == null || r.getKey().isBlank()) {
        throw new IllegalArgumentException(
            "namespaceSelector.matchExpressions: key missing (expected: a label key)");
      }
      if (op == null || !OPERATORS.contains(op)) {
        throw new IllegalArgumentException(
            "namespaceSelector.matchExpressions["
                + r.getKey()
                + "].operator: "
                + op
                + " (expected: In, NotIn, Exists or DoesNotExist)");
      }
      int values = r.getValues() == null ? 0 : r.getValues().size();
      boolean needsValues = op.equals("In") || op.equals("NotIn");
      if (needsValues == (values == 0)) {
        throw new IllegalArgumentException(
            "namespaceSelector.matchExpressions["
                + r.getKey()
                + "].values: "
                + values
                + " (expected: "
                + (needsValues ? "at least one for " : "none for ")
                + op
                + ")");
      }
    }
    return new NamespaceSelector(selector);
  }

  /** Whether this selects every namespace. */
  public boolean selectsAll() {
    return selector == null
        || (Objects.requireNonNullElse(selector.getMatchLabels(), Map.of()).isEmpty()
            && Objects.requireNonNullElse(selector.getMatchExpressions(), List.of()).isEmpty());
  }

  /**
   * Whether a namespace with these labels is admitted; a namespace that is not known yet ({@code
   * null}) is admitted only by a selector that selects all.
   */
  public boolean admits(@Nullable Namespace namespace) {
    if (selectsAll()) {
      return true;
    }
    if (namespace == null) {
      return false;
    }
    return matches(
        Objects.requireNonNullElse(namespace.getMetadata().getLabels(), Map.<String, String>of()));
  }

  /** Whether labels satisfy the selector. */
  public boolean matches(Map<String, String> labels) {
    requireNonNull(labels, "labels");
    LabelSelector s = selector;
    if (s == null) {
      return true;
    }
    for (var e :
        Objects.requireNonNullElse(s.getMatchLabels(), Map.<String, String>of()).entrySet()) {
      if (!e.getValue().equals(labels.get(e.getKey()))) {
        return false;
      }
    }
    for (LabelSelectorRequirement r :
        Objects.requireNonNullElse(s.getMatchExpressions(), List.<LabelSelectorRequirement>of())) {
      String value = labels.get(r.getKey());
      List<String> values = Objects.requireNonNullElse(r.getValues(), List.of());
      boolean ok =
          switch (r.getOperator()) {
            case "In" -> value != null && values.contains(value);
            case "NotIn" -> value == null || !values.contains(value);
            case "Exists" -> value != null;
            default -> value == null; // DoesNotExist; of() admits nothing else
          };
      if (!ok) {
        return false;
      }
    }
    return true;
  }

  @Override
  public String toString() {
    LabelSelector s = selector;
    if (s == null || selectsAll()) {
      return "{}";
    }
    StringBuilder b = new StringBuilder();
    Objects.requireNonNullElse(s.getMatchLabels(), Map.<String, String>of())
        .forEach((k, v) -> b.append(b.isEmpty() ? "" : ",").append(k).append('=').append(v));
    for (LabelSelectorRequirement r :
        Objects.requireNonNullElse(s.getMatchExpressions(), List.<LabelSelectorRequirement>of())) {
      b.append(b.isEmpty() ? "" : ",").append(r.getKey()).append(' ').append(r.getOperator());
      if (r.getValues() != null && !r.getValues().isEmpty()) {
        b.append(" (").append(String.join(",", r.getValues())).append(')');
      }
    }
    return b.toString();
  }

  @Override
  public boolean equals(@Nullable Object o) {
    return o instanceof NamespaceSelector other && Objects.equals(selector, other.selector);
  }

  @Override
  public int hashCode() {
    return Objects.hashCode(selector);
  }
}
