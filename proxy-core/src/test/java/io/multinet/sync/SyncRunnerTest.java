package io.multinet.sync;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class SyncRunnerTest {

  /** A clock the test moves by hand. */
  static final class FakeClock extends Clock {
    Instant now = Instant.parse("2026-11-23T00:00:00Z");

    @Override
    public ZoneOffset getZone() {
      return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(java.time.ZoneId zone) {
      return this;
    }

    @Override
    public Instant instant() {
      return now;
    }

    void advance(Duration d) {
      now = now.plus(d);
    }
  }

  private final FakeClock clock = new FakeClock();
  private final List<Boolean> runs = new ArrayList<>();
  private int failuresLeft;

  private SyncRunner runner() {
    return new SyncRunner(
        "test",
        full -> {
          runs.add(full);
          if (failuresLeft > 0) {
            failuresLeft--;
            throw new IllegalStateException("boom");
          }
        },
        clock,
        Duration.ofSeconds(1),
        Duration.ofSeconds(30),
        Duration.ofMillis(500),
        Duration.ofSeconds(4));
  }

  @Test
  void runOnce_firstRunIsFull_thenRequestsCoalesce() {
    SyncRunner r = runner();
    assertThat(r.runOnce()).isTrue();
    r.request();
    r.request();
    r.request();
    assertThat(r.runOnce()).isFalse(); // within minInterval
    clock.advance(Duration.ofSeconds(1));
    assertThat(r.runOnce()).isTrue();
    assertThat(r.runOnce()).isFalse(); // the three requests made one run
    assertThat(runs).containsExactly(true, false);
  }

  @Test
  void runOnce_withoutRequests_runsAtMaxInterval() {
    SyncRunner r = runner();
    r.runOnce();
    clock.advance(Duration.ofSeconds(29));
    assertThat(r.runOnce()).isFalse();
    clock.advance(Duration.ofSeconds(1));
    assertThat(r.runOnce()).isTrue();
  }

  @Test
  void runOnce_afterFailure_retriesWithBackoffAndFullResync() {
    SyncRunner r = runner();
    r.runOnce();
    failuresLeft = 2;
    r.request();
    clock.advance(Duration.ofSeconds(1));
    assertThat(r.runOnce()).isTrue(); // fails
    assertThat(r.queuedSince()).isNotNull();
    clock.advance(Duration.ofSeconds(1)); // backoff 0.5 s, but minInterval 1 s
    assertThat(r.runOnce()).isTrue(); // fails again: backoff 1 s
    clock.advance(Duration.ofMillis(999));
    assertThat(r.runOnce()).isFalse();
    clock.advance(Duration.ofMillis(1));
    assertThat(r.runOnce()).isTrue(); // succeeds
    assertThat(runs).containsExactly(true, false, true, true);
    assertThat(r.failures()).isZero();
    assertThat(r.queuedSince()).isNull();
    assertThat(r.lastSuccess()).isEqualTo(clock.now);
  }

  @Test
  void requestFull_makesTheNextRunFull() {
    SyncRunner r = runner();
    r.runOnce();
    r.requestFull();
    clock.advance(Duration.ofSeconds(1));
    r.runOnce();
    assertThat(runs).containsExactly(true, true);
  }

  @Test
  void new_badIntervals_fail() {
    org.assertj.core.api.Assertions.assertThatThrownBy(
            () ->
                new SyncRunner(
                    "x",
                    f -> {},
                    clock,
                    Duration.ofSeconds(2),
                    Duration.ofSeconds(1),
                    Duration.ZERO,
                    Duration.ZERO))
        .hasMessageContaining("expected: 0 <= min <= max");
  }
}
