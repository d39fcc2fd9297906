package io.multinet.dataplane.programmer;

import static java.util.Objects.requireNonNull;

import io.grpc.ManagedChannel;
import io.grpc.inprocess.InProcessChannelBuilder;
import io.grpc.netty.NettyChannelBuilder;
import io.grpc.stub.StreamObserver;
import io.multinet.dataplane.DataplaneException;
import io.multinet.dataplane.StateModel;
import io.multinet.dataplane.v1.Ack;
import io.multinet.dataplane.v1.DataplaneGrpc;
import io.multinet.dataplane.v1.Delta;
import io.multinet.dataplane.v1.DesiredState;
import io.multinet.dataplane.v1.StatusRequest;
import io.multinet.dataplane.v1.StatusResponse;
import io.multinet.dataplane.v1.Update;
import io.netty.channel.ChannelOption;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.EpollDomainSocketChannel;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.unix.DomainSocketAddress;
import java.time.Duration;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.Supplier;
import org.jspecify.annotations.Nullable;

/**
 * The programmer side of the dataplane API: keeps one Program stream open, sends the whole desired
 * state first and deltas afterwards, and waits for each Ack. After any failed Ack or a broken
 * stream (the agent restarted) the next {@link #apply} sends the whole state again.
 */
public final class DataplaneProgrammer implements AutoCloseable {

  private final ManagedChannel channel;
  private final @Nullable EventLoopGroup group;
  private final Duration timeout;
  private final LinkedBlockingQueue<Object> acks = new LinkedBlockingQueue<>();
  private @Nullable StreamObserver<Update> stream;
  private @Nullable Supplier<DesiredState> acked;
  // The producer's revision of `acked`, 0 when unknown.
  private long ackedRevision;
  private long generation;
  private long fullSends;
  private long deltaSends;

  private DataplaneProgrammer(
      ManagedChannel channel, @Nullable EventLoopGroup group, Duration timeout) {
    this.channel = channel;
    this.group = group;
    this.timeout = timeout;
  }

  /** Connects to an agent at {@code unix:///path} or {@code inprocess:NAME}. */
  public static DataplaneProgrammer connect(String endpoint, Duration timeout) {
    requireNonNull(endpoint, "endpoint");
    if (endpoint.startsWith("inprocess:")) {
      return new DataplaneProgrammer(
          InProcessChannelBuilder.forName(endpoint.substring("inprocess:".length()))
              .directExecutor()
              .build(),
          null,
          timeout);
    }
    if (!endpoint.startsWith("unix://")) {
      throw new IllegalArgumentException(
          "endpoint: " + endpoint + " (expected: unix:///path or inprocess:NAME)");
    }
    EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, EpollIoHandler.newFactory());
    ManagedChannel channel =
        NettyChannelBuilder.forAddress(
                new DomainSocketAddress(endpoint.substring("unix://".length())))
            .channelType(EpollDomainSocketChannel.class, DomainSocketAddress.class)
            // gRPC sets SO_KEEPALIVE on its channels; a unix socket has none (null removes it).
            .withOption(ChannelOption.SO_KEEPALIVE, null)
            .eventLoopGroup(group)
            .usePlaintext()
            .build();
    return new DataplaneProgrammer(channel, group, timeout);
  }

  /**
   * Makes the agent serve {@code desired}: the whole state on a new stream or after a failure, else
   * only what changed since the last acknowledged state. Returns the generation applied.
   */
  public long apply(DesiredState desired) throws DataplaneException {
    return apply(desired, 0, 0, Delta.getDefaultInstance());
  }

  /**
   * {@link #apply(DesiredState)} with the delta already known: {@code desired} is revision {@code
   * revision} of its producer (one producer per programmer, revisions above 0), and {@code
   * fromBase} takes the producer's revision {@code baseRevision} to it. When {@code baseRevision}
   * is the revision last acknowledged, {@code fromBase} is sent as it is and nothing is diffed,
   * which keeps a sync of one change cheap with tens of thousands of ports; otherwise (a revision
   * that was never acknowledged, or 0 for none) the states are diffed as usual.
   */
  public long apply(DesiredState desired, long revision, long baseRevision, Delta fromBase)
      throws DataplaneException {
    requireNonNull(desired, "desired");
    return apply(() -> desired, revision, baseRevision, fromBase);
  }

  /**
   * {@link #apply(DesiredState, long, long, Delta)} with a state that is built only when it must be
   * sent whole or diffed: a sync whose delta is sent as it is never reads it.
   */
  public synchronized long apply(
      Supplier<DesiredState> desired, long revision, long baseRevision, Delta fromBase)
      throws DataplaneException {
    requireNonNull(desired, "desired");
    requireNonNull(fromBase, "fromBase");
    if (revision < 0 || baseRevision < 0) {
      throw new IllegalArgumentException(
          "revision: " + revision + ", baseRevision: " + baseRevision + " (expected: 0 or more)");
    }
    Supplier<DesiredState> previous = acked;
    StreamObserver<Update> s = stream;
    Update update;
    if (s == null || previous == null) {
      s = open();
      update =
          Update.newBuilder()
              .setGeneration(++generation)
              .setFull(StateModel.of(desired.get()).toState())
              .build();
      fullSends++;
    } else {
      Delta delta =
          baseRevision != 0 && baseRevision == ackedRevision
              ? fromBase
              : StateModel.diff(StateModel.of(previous.get()), StateModel.of(desired.get()));
      if (delta.equals(Delta.getDefaultInstance())) {
        acked = desired; // equal content: the next delta may start from this revision
        ackedRevision = revision;
        return generation;
      }
      update = Update.newBuilder().setGeneration(++generation).setDelta(delta).build();
      deltaSends++;
    }
    acked = null; // until the Ack says otherwise
    ackedRevision = 0;
    s.onNext(update);
    Object answer;
    try {
      answer = acks.poll(timeout.toMillis(), TimeUnit.MILLISECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      reset();
      throw new DataplaneException("interrupted waiting for the agent", true, e);
    }
    if (answer instanceof Ack ack && ack.getGeneration() == update.getGeneration()) {
      if (!ack.getOk()) {
        throw new DataplaneException(
            "agent refused generation " + ack.getGeneration() + ": " + ack.getError(), true, null);
      }
      acked = desired;
      ackedRevision = revision;
      return generation;
    }
    reset();
    if (answer instanceof Throwable t) {
      throw new DataplaneException("dataplane stream broke: " + t.getMessage(), true, t);
    }
    throw new DataplaneException(
        answer == null ? "no Ack within " + timeout : "unexpected answer " + answer, true, null);
  }

  /** Makes the next {@link #apply} send the whole state (a full resync after any failure). */
  public synchronized void forceFull() {
    acked = null;
    ackedRevision = 0;
  }

  public StatusResponse status() {
    return status(false);
  }

  /** The agent's status; with {@code view}, also what its backend reads from the dataplane. */
  public StatusResponse status(boolean view) {
    return DataplaneGrpc.newBlockingStub(channel)
        .withDeadlineAfter(timeout.toMillis(), TimeUnit.MILLISECONDS)
        .status(StatusRequest.newBuilder().setView(view).build());
  }

  /** How many full states and deltas were sent: deltas must dominate once synced. */
  public synchronized long fullSends() {
    return fullSends;
  }

  public synchronized long deltaSends() {
    return deltaSends;
  }

  private StreamObserver<Update> open() {
    acks.clear();
    StreamObserver<Update> s =
        DataplaneGrpc.newStub(channel)
            .program(
                new StreamObserver<>() {
                  @Override
                  public void onNext(Ack ack) {
                    acks.add(ack);
                  }

                  @Override
                  public void onError(Throwable t) {
                    acks.add(t);
                  }

                  @Override
                  public void onCompleted() {
                    acks.add(new IllegalStateException("agent closed the stream"));
                  }
                });
    stream = s;
    return s;
  }

  private void reset() {
    StreamObserver<Update> s = stream;
    stream = null;
    acked = null;
    ackedRevision = 0;
    if (s != null) {
      try {
        s.onCompleted();
      } catch (RuntimeException e) {
        // already broken
      }
    }
  }

  @Override
  public synchronized void close() {
    reset();
    channel.shutdownNow();
    try {
      channel.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    EventLoopGroup g = group;
    if (g != null) {
      var _ = g.shutdownGracefully(0, 1, TimeUnit.SECONDS);
    }
  }
}
