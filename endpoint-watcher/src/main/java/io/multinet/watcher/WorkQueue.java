package io.multinet.watcher;

import static java.util.Objects.requireNonNull;

import java.time.Instant;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import org.jspecify.annotations.Nullable;

/**
 * Keys waiting to be reconciled. A key queued again before it is taken stays queued once (with its
 * earliest trigger time); a key queued while it is being processed runs again afterwards, never
 * concurrently. FIFO otherwise.
 */
final class WorkQueue {

  /** A key and the time of the oldest change that queued it. */
  record Item(String key, Instant triggered) {}

  private final ReentrantLock lock = new ReentrantLock();
  private final Condition changed = lock.newCondition();
  private final Map<String, Instant> pending = new LinkedHashMap<>();
  private final Map<String, Instant> dirtyWhileBusy = new LinkedHashMap<>();
  private @Nullable String busy;

  void add(String key, Instant triggered) {
    requireNonNull(key, "key");
    requireNonNull(triggered, "triggered");
    lock.lock();
    try {
      if (key.equals(busy)) {
        dirtyWhileBusy.merge(key, triggered, WorkQueue::earliest);
      } else {
        pending.merge(key, triggered, WorkQueue::earliest);
      }
      changed.signalAll();
    } finally {
      lock.unlock();
    }
  }

  /**
   * Queues {@code key} ahead of every other key (moving it there if it is queued already): what
   * must run before the rest, such as the networks pass when leadership is gained.
   */
  void addFirst(String key, Instant triggered) {
    requireNonNull(key, "key");
    requireNonNull(triggered, "triggered");
    lock.lock();
    try {
      if (key.equals(busy)) {
        dirtyWhileBusy.merge(key, triggered, WorkQueue::earliest);
      } else {
        Instant earlier = pending.remove(key);
        var rest = new LinkedHashMap<>(pending);
        pending.clear();
        pending.put(key, earlier == null ? triggered : earliest(earlier, triggered));
        pending.putAll(rest);
      }
      changed.signalAll();
    } finally {
      lock.unlock();
    }
  }

  /** The next key, or null after {@code timeoutMillis}; call {@link #done} when finished. */
  @Nullable Item take(long timeoutMillis) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMillis);
    lock.lock();
    try {
      while (pending.isEmpty()) {
        long left = deadline - System.nanoTime();
        if (left <= 0) {
          return null;
        }
        changed.awaitNanos(left);
      }
      Iterator<Map.Entry<String, Instant>> it = pending.entrySet().iterator();
      Map.Entry<String, Instant> first = it.next();
      it.remove();
      busy = first.getKey();
      return new Item(first.getKey(), first.getValue());
    } finally {
      lock.unlock();
    }
  }

  void done(String key) {
    lock.lock();
    try {
      busy = null;
      Instant again = dirtyWhileBusy.remove(key);
      if (again != null) {
        pending.merge(key, again, WorkQueue::earliest);
      }
      changed.signalAll();
    } finally {
      lock.unlock();
    }
  }

  /** Whether nothing is queued or running. */
  boolean isIdle() {
    lock.lock();
    try {
      return pending.isEmpty() && busy == null && dirtyWhileBusy.isEmpty();
    } finally {
      lock.unlock();
    }
  }

  int size() {
    lock.lock();
    try {
      return pending.size();
    } finally {
      lock.unlock();
    }
  }

  private static Instant earliest(Instant a, Instant b) {
    return a.isBefore(b) ? a : b;
  }
}
