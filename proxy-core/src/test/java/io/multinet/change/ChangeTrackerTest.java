package io.multinet.change;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

class ChangeTrackerTest {

  @Test
  void update_addThenDelete_isDropped() {
    var t = new ChangeTracker<String, Integer>();
    assertThat(t.update("a", null, 1)).isTrue();
    assertThat(t.update("a", 1, null)).isFalse();
    assertThat(t.drain()).isEmpty();
  }

  @Test
  void update_changedBackToOriginal_isDropped() {
    var t = new ChangeTracker<String, Integer>();
    t.update("a", 1, 2);
    t.update("a", 2, 3);
    assertThat(t.update("a", 3, 1)).isFalse();
    assertThat(t.isEmpty()).isTrue();
  }

  @Test
  void update_keepsFirstPreviousAndLatestCurrent() {
    var t = new ChangeTracker<String, Integer>();
    t.update("a", 1, 2);
    t.update("a", 2, 3);
    t.update("b", null, 7);
    var changes = t.drain();
    assertThat(changes)
        .containsEntry("a", new Change<>(1, 3))
        .containsEntry("b", new Change<>(null, 7));
    assertThat(changes.get("b").isAdd()).isTrue();
    assertThat(t.pending()).isZero();
  }

  @Test
  void update_noOpUpdate_isNotPending() {
    var t = new ChangeTracker<String, Integer>();
    assertThat(t.update("a", 5, 5)).isFalse();
    assertThat(t.drain()).isEmpty();
  }

  @Test
  void drain_leavesLaterChangesForTheNextSync() {
    var t = new ChangeTracker<String, Integer>();
    t.update("a", null, 1);
    t.drain();
    t.update("a", 1, null);
    assertThat(t.drain()).containsEntry("a", new Change<>(1, null));
  }
}
