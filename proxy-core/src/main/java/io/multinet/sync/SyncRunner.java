package io.multinet.sync;

import static java.util.Objects.requireNonNull;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.logging.Level;
import java.util.logging.Logger;
import org.jspecify.annotations.Nullable;

/**
 * One coalescing runner for a sync function, after kube-proxy's BoundedFrequencyRunner: requests
 * that arrive while a sync is pending or running collapse into one more run; runs are at least
 * {@code minInterval} apart; a run happens at least every {@code maxInterval} even without
 * requests; a failed run is retried after a backoff that doubles up to {@code maxRetry}, and the
 * sync function is told to do a full resync after any failure.
 *
 * <p>Time comes from an injectable {@link Clock}, so tests drive the runner step by step with
 * {@link #runOnce} and a fake clock.
 */
public final class SyncRunner implements AutoCloseable {

  private static final Logger LOG = Logger.getLogger(SyncRunner.class.getName());

  /** The work: {@code full} is true at start and after any failed run. */
  @FunctionalInterface
  public interface Sync {
    void run(boolean full) throws Exception;
  }

  private final String name;
  private final Sync sync;
  private final Clock clock;
  private final Duration minInterval;
  private final Duration maxInterval;
  private final Duration minRetry;
  private final Duration maxRetry;
  private final ReentrantLock lock = new ReentrantLock();
  private final Condition wake = lock.newCondition();
  private boolean requested = true;
  private boolean needFull = true;
  private int failures;
  private Instant lastRun = Instant.MIN;
  private Instant nextRetry = Instant.MIN;
  private @Nullable Instant queuedSince;
  private long runs;
  private @Nullable Instant lastSuccess;
  private @Nullable Thread thread;
  private volatile boolean closed;

  public SyncRunner(
      String name,
      Sync sync,
      Clock clock,
      Duration minInterval,
      Duration maxInterval,
      Duration minRetry,
      Duration maxRetry) {
    this.name = requireNonNull(name, "name");
    this.sync = requireNonNull(sync, "sync");
    this.clock = requireNonNull(clock, "clock");
    this.minInterval = requireNonNull(minInterval, "minInterval");
    this.maxInterval = requireNonNull(maxInterval, "maxInterval");
    this.minRetry = requireNonNull(minRetry, "minRetry");
    this.maxRetry = requireNonNull(maxRetry, "maxRetry");
    if (minInterval.isNegative()
        || maxInterval.compareTo(minInterval) < 0
        || minRetry.isNegative()
        || maxRetry.compareTo(minRetry) < 0) {
      throw new IllegalArgumentException(
          "intervals: min "
              + minInterval
              + ", max "
              + maxInterval
              + ", retry "
              + minRetry
              + "-"
              + maxRetry
              + " (expected: 0 <= min <= max and 0 <= minRetry <= maxRetry)");
    }
    this.queuedSince = clock.instant();
  }

  /** Asks for a sync soon; cheap and non-blocking, called from informer threads. */
  public void request() {
    lock.lock();
    try {
      requested = true;
      if (queuedSince == null) {
        queuedSince = clock.instant();
      }
      wake.signalAll();
    } finally {
      lock.unlock();
    }
  }

  /** Forces the next run to be a full resync (e.g. the dataplane agent restarted). */
  public void requestFull() {
    lock.lock();
    try {
      needFull = true;
    } finally {
      lock.unlock();
    }
    request();
  }

  /** When the next run may start, given what is pending; null when nothing is due. */
  public @Nullable Instant nextRunAt() {
    lock.lock();
    try {
      return dueAt();
    } finally {
      lock.unlock();
    }
  }

  private @Nullable Instant dueAt() {
    Instant earliest = lastRun.equals(Instant.MIN) ? Instant.MIN : lastRun.plus(minInterval);
    if (failures > 0) {
      return max(earliest, nextRetry);
    }
    if (requested) {
      return earliest;
    }
    return lastRun.equals(Instant.MIN) ? Instant.MIN : lastRun.plus(maxInterval);
  }

  /**
   * Runs the sync if one is due now; returns whether it ran. The background thread calls this in a
   * loop; tests call it directly with a fake clock.
   */
  public boolean runOnce() {
    boolean full;
    lock.lock();
    try {
      Instant due = dueAt();
      Instant now = clock.instant();
      if (due == null || now.isBefore(due)) {
        return false;
      }
      requested = false;
      full = needFull;
      queuedSince = null;
      lastRun = now;
      runs++;
    } finally {
      lock.unlock();
    }
    try {
      sync.run(full);
      lock.lock();
      try {
        failures = 0;
        if (full) {
          needFull = false;
        }
        lastSuccess = clock.instant();
      } finally {
        lock.unlock();
      }
    } catch (Exception e) {
      lock.lock();
      try {
        failures++;
        needFull = true;
        Duration backoff = minRetry.multipliedBy(1L << Math.min(failures - 1, 20));
        if (backoff.compareTo(maxRetry) > 0) {
          backoff = maxRetry;
        }
        nextRetry = clock.instant().plus(backoff);
        if (queuedSince == null) {
          queuedSince = lastRun;
        }
        LOG.log(
            Level.WARNING,
            name + ": sync failed (attempt " + failures + "), full resync in " + backoff,
            e);
      } finally {
        lock.unlock();
      }
    }
    return true;
  }

  /** Starts the background thread. */
  public void start() {
    Thread t = Thread.ofPlatform().name(name).daemon().start(this::loop);
    thread = t;
  }

  private void loop() {
    while (!closed) {
      if (runOnce()) {
        continue;
      }
      lock.lock();
      try {
        Instant due = dueAt();
        long waitNanos =
            due == null ? 1_000_000_000L : Duration.between(clock.instant(), due).toNanos();
        if (waitNanos > 0 && !closed) {
          wake.awaitNanos(Math.min(waitNanos, 1_000_000_000L));
        }
      } catch (InterruptedException e) {
        return;
      } finally {
        lock.unlock();
      }
    }
  }

  /** The oldest request not yet synced (kube-proxy's last-queued timestamp), or null. */
  public @Nullable Instant queuedSince() {
    lock.lock();
    try {
      return queuedSince;
    } finally {
      lock.unlock();
    }
  }

  /** When the last successful sync finished, or null before the first. */
  public @Nullable Instant lastSuccess() {
    lock.lock();
    try {
      return lastSuccess;
    } finally {
      lock.unlock();
    }
  }

  public long runs() {
    lock.lock();
    try {
      return runs;
    } finally {
      lock.unlock();
    }
  }

  public int failures() {
    lock.lock();
    try {
      return failures;
    } finally {
      lock.unlock();
    }
  }

  @Override
  public void close() {
    closed = true;
    Thread t = thread;
    if (t != null) {
      t.interrupt();
    }
  }

  private static Instant max(Instant a, Instant b) {
    return a.isAfter(b) ? a : b;
  }
}
