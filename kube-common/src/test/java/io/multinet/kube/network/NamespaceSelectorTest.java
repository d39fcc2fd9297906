package io.multinet.kube.network;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fabric8.kubernetes.api.model.LabelSelector;
import io.fabric8.kubernetes.api.model.LabelSelectorBuilder;
import io.fabric8.kubernetes.api.model.LabelSelectorRequirement;
import io.fabric8.kubernetes.api.model.LabelSelectorRequirementBuilder;
import io.fabric8.kubernetes.api.model.Namespace;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Label selectors as Kubernetes evaluates them (apimachinery's LabelSelectorAsSelector). */
class NamespaceSelectorTest {

  @Test
  void of_null_selectsEveryNamespaceEvenUnknownOnes() {
    NamespaceSelector all = NamespaceSelector.of(null);
    assertThat(all).isSameAs(NamespaceSelector.ALL);
    assertThat(all.selectsAll()).isTrue();
    assertThat(all.admits(null)).isTrue();
    assertThat(all.admits(ns(Map.of()))).isTrue();
    assertThat(all).hasToString("{}");
  }

  @Test
  void of_emptySelector_selectsEveryNamespace() {
    NamespaceSelector empty = NamespaceSelector.of(new LabelSelector());
    assertThat(empty.selectsAll()).isTrue();
    assertThat(empty.admits(null)).isTrue();
    assertThat(empty.admits(ns(Map.of("tenant", "a")))).isTrue();
  }

  @Test
  void matches_matchLabels_needsEveryPair() {
    NamespaceSelector s =
        NamespaceSelector.of(
            new LabelSelectorBuilder()
                .withMatchLabels(Map.of("tenant", "a", "env", "prod"))
                .build());
    assertThat(s.selectsAll()).isFalse();
    assertThat(s.matches(Map.of("tenant", "a", "env", "prod", "other", "x"))).isTrue();
    assertThat(s.matches(Map.of("tenant", "a"))).isFalse();
    assertThat(s.matches(Map.of("tenant", "b", "env", "prod"))).isFalse();
    assertThat(s.matches(Map.of())).isFalse();
  }

  @Test
  void matches_eachOperator() {
    NamespaceSelector in = expr("tenant", "In", "a", "b");
    assertThat(in.matches(Map.of("tenant", "a"))).isTrue();
    assertThat(in.matches(Map.of("tenant", "b"))).isTrue();
    assertThat(in.matches(Map.of("tenant", "c"))).isFalse();
    assertThat(in.matches(Map.of())).isFalse();

    // NotIn admits a namespace without the label, as Kubernetes does.
    NamespaceSelector notIn = expr("tenant", "NotIn", "a");
    assertThat(notIn.matches(Map.of("tenant", "a"))).isFalse();
    assertThat(notIn.matches(Map.of("tenant", "b"))).isTrue();
    assertThat(notIn.matches(Map.of())).isTrue();

    NamespaceSelector exists = expr("tenant", "Exists");
    assertThat(exists.matches(Map.of("tenant", ""))).isTrue();
    assertThat(exists.matches(Map.of("other", "a"))).isFalse();

    NamespaceSelector doesNotExist = expr("tenant", "DoesNotExist");
    assertThat(doesNotExist.matches(Map.of("tenant", "a"))).isFalse();
    assertThat(doesNotExist.matches(Map.of("other", "a"))).isTrue();
  }

  @Test
  void matches_labelsAndExpressions_mustAllHold() {
    NamespaceSelector s =
        NamespaceSelector.of(
            new LabelSelectorBuilder()
                .withMatchLabels(Map.of("env", "prod"))
                .withMatchExpressions(req("tenant", "In", "a"), req("frozen", "DoesNotExist"))
                .build());
    assertThat(s.matches(Map.of("env", "prod", "tenant", "a"))).isTrue();
    assertThat(s.matches(Map.of("env", "dev", "tenant", "a"))).isFalse();
    assertThat(s.matches(Map.of("env", "prod", "tenant", "b"))).isFalse();
    assertThat(s.matches(Map.of("env", "prod", "tenant", "a", "frozen", "yes"))).isFalse();
    assertThat(s).hasToString("env=prod,tenant In (a),frozen DoesNotExist");
  }

  @Test
  void admits_restrictingSelector_refusesUnknownAndUnlabelledNamespaces() {
    NamespaceSelector s = expr("tenant", "Exists");
    assertThat(s.admits(null)).isFalse();
    assertThat(s.admits(ns(null))).isFalse();
    assertThat(s.admits(ns(Map.of("tenant", "a")))).isTrue();
  }

  @Test
  void of_invalidRequirements_areRefusedWithTheReason() {
    assertThatThrownBy(() -> expr("tenant", "Equals", "a"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage(
            "namespaceSelector.matchExpressions[tenant].operator: Equals"
                + " (expected: In, NotIn, Exists or DoesNotExist)");
    assertThatThrownBy(() -> expr("tenant", "in", "a"))
        .hasMessageContaining("operator: in (expected:");
    assertThatThrownBy(() -> expr("tenant", null, "a")).hasMessageContaining("operator: null");
    assertThatThrownBy(() -> expr("", "Exists"))
        .hasMessage("namespaceSelector.matchExpressions: key missing (expected: a label key)");
    assertThatThrownBy(() -> expr(null, "Exists")).hasMessageContaining("key missing");
    assertThatThrownBy(() -> expr("tenant", "In"))
        .hasMessage(
            "namespaceSelector.matchExpressions[tenant].values: 0 (expected: at least one for In)");
    assertThatThrownBy(() -> expr("tenant", "NotIn"))
        .hasMessageContaining("at least one for NotIn");
    assertThatThrownBy(() -> expr("tenant", "Exists", "a"))
        .hasMessage(
            "namespaceSelector.matchExpressions[tenant].values: 1 (expected: none for Exists)");
    assertThatThrownBy(() -> expr("tenant", "DoesNotExist", "a"))
        .hasMessageContaining("none for DoesNotExist");
    var nullValue = new HashMap<String, String>();
    nullValue.put("tenant", null);
    assertThatThrownBy(
            () ->
                NamespaceSelector.of(new LabelSelectorBuilder().withMatchLabels(nullValue).build()))
        .hasMessage(
            "namespaceSelector.matchLabels: tenant=null (expected: a label key and a value)");
  }

  @Test
  void equals_sameSelector() {
    assertThat(expr("tenant", "In", "a")).isEqualTo(expr("tenant", "In", "a"));
    assertThat(expr("tenant", "In", "a")).isNotEqualTo(expr("tenant", "In", "b"));
  }

  private static NamespaceSelector expr(String key, String operator, String... values) {
    return NamespaceSelector.of(
        new LabelSelectorBuilder().withMatchExpressions(req(key, operator, values)).build());
  }

  private static LabelSelectorRequirement req(String key, String operator, String... values) {
    return new LabelSelectorRequirementBuilder()
        .withKey(key)
        .withOperator(operator)
        .withValues(values.length == 0 ? null : List.of(values))
        .build();
  }

  private static Namespace ns(Map<String, String> labels) {
    return new NamespaceBuilder()
        .withNewMetadata()
        .withName("tenant-a")
        .withLabels(labels)
        .endMetadata()
        .build();
  }
}
