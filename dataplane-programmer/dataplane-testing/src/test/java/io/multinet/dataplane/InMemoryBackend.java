package io.multinet.dataplane;

import io.multinet.dataplane.v1.Delta;
import io.multinet.dataplane.v1.DesiredState;
import io.multinet.network.IpAddress;
import java.util.concurrent.atomic.AtomicInteger;
import org.jspecify.annotations.Nullable;

/**
 * A backend whose "dataplane" is a field: the reference the contract is written against, and a
 * stand-in for protocol tests. It refuses what the kernel refuses (mixed families, SCTP), and can
 * be told to fail the next applies.
 */
public final class InMemoryBackend implements DataplaneBackend {

  private @Nullable StateModel programmed;
  public final AtomicInteger failNext = new AtomicInteger();
  public final AtomicInteger fulls = new AtomicInteger();
  public final AtomicInteger deltas = new AtomicInteger();
  public volatile Delta lastDelta = Delta.getDefaultInstance();

  @Override
  public String name() {
    return "memory";
  }

  @Override
  public void applyFull(DesiredState state) throws DataplaneException {
    check(state);
    programmed = StateModel.of(state);
    fulls.incrementAndGet();
  }

  @Override
  public void applyDelta(Delta delta) throws DataplaneException {
    StateModel p = programmed;
    if (p == null) {
      throw new DataplaneException("delta before any full state", true, null);
    }
    StateModel next = p.apply(delta);
    check(next.toState());
    programmed = next;
    lastDelta = delta;
    deltas.incrementAndGet();
  }

  private void check(DesiredState s) throws DataplaneException {
    if (failNext.getAndUpdate(n -> Math.max(0, n - 1)) > 0) {
      throw new DataplaneException("told to fail", true, null);
    }
    for (var sp : s.getServicePortsList()) {
      for (var b : sp.getBackendsList()) {
        if (IpAddress.parse(b.getAddress()).family() != IpAddress.parse(sp.getAddress()).family()) {
          throw new DataplaneException(
              "backend " + b.getAddress() + " of " + sp.getName() + " has the wrong family");
        }
      }
    }
  }

  @Override
  public DesiredState observe() {
    StateModel p = programmed;
    return p == null ? DesiredState.getDefaultInstance() : p.toState();
  }

  @Override
  public void cleanup() {
    programmed = null;
  }

  @Override
  public void close() {}
}
