package io.multinet.nodeproxy.dns;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import java.net.InetAddress;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Function;

/**
 * Per-source token buckets of one network, as the generic cell rate algorithm: one atomic
 * "theoretical arrival time" per source, so a check takes no lock. Sources idle for a minute are
 * forgotten; at most 65536 are tracked (the least recently used go first).
 */
final class RateLimiter {

  private final long interval;
  private final long tolerance;
  private final boolean off;
  private final Cache<InetAddress, AtomicLong> buckets =
      Caffeine.newBuilder().expireAfterAccess(Duration.ofMinutes(1)).maximumSize(65_536).build();
  private final Function<InetAddress, AtomicLong> fresh;

  RateLimiter(double perSecond, int burst) {
    this.off = perSecond <= 0;
    this.interval = off ? 0 : Math.max(1, (long) (1e9 / perSecond));
    this.tolerance = interval * (long) burst;
    this.fresh = k -> new AtomicLong(Long.MIN_VALUE);
  }

  /** Whether one more query from {@code source} at {@code now} (nanoTime) is within its rate. */
  boolean allow(InetAddress source, long now) {
    if (off) {
      return true;
    }
    AtomicLong tat = buckets.get(source, fresh);
    while (true) {
      long t = tat.get();
      long next = Math.max(t, now) + interval;
      if (next - now > tolerance) {
        return false;
      }
      if (tat.compareAndSet(t, next)) {
        return true;
      }
    }
  }
}
