package io.multinet.dataplane.agent;

import static java.util.Objects.requireNonNull;

import io.grpc.stub.StreamObserver;
import io.multinet.dataplane.DataplaneBackend;
import io.multinet.dataplane.DataplaneException;
import io.multinet.dataplane.StateModel;
import io.multinet.dataplane.v1.Ack;
import io.multinet.dataplane.v1.DataplaneGrpc;
import io.multinet.dataplane.v1.StatusRequest;
import io.multinet.dataplane.v1.StatusResponse;
import io.multinet.dataplane.v1.Update;
import java.util.logging.Level;
import java.util.logging.Logger;
import org.jspecify.annotations.Nullable;

/**
 * The agent side of the dataplane API: applies each Update to its {@link DataplaneBackend} and
 * acknowledges it. Calls into the backend are serialized; until a full state has been applied (at
 * start, and after any failure) deltas are refused with {@code need_full}.
 */
public final class DataplaneAgent extends DataplaneGrpc.DataplaneImplBase {

  private static final Logger LOG = Logger.getLogger(DataplaneAgent.class.getName());

  private final DataplaneBackend backend;
  private final Object lock = new Object();
  private long applied;
  private boolean needFull = true;
  private @Nullable StateModel state;
  private long fullSyncs;
  private long deltas;
  private long errors;
  private String lastError = "";

  public DataplaneAgent(DataplaneBackend backend) {
    this.backend = requireNonNull(backend, "backend");
  }

  @Override
  public StreamObserver<Update> program(StreamObserver<Ack> acks) {
    return new StreamObserver<>() {
      @Override
      public void onNext(Update update) {
        Ack ack = apply(update);
        synchronized (acks) {
          acks.onNext(ack);
        }
      }

      @Override
      public void onError(Throwable t) {
        LOG.log(Level.FINE, "programmer stream ended", t);
      }

      @Override
      public void onCompleted() {
        synchronized (acks) {
          acks.onCompleted();
        }
      }
    };
  }

  /** Applies one update; never throws, the answer is in the Ack. */
  public Ack apply(Update update) {
    synchronized (lock) {
      var ack = Ack.newBuilder().setGeneration(update.getGeneration());
      try {
        switch (update.getBodyCase()) {
          case FULL -> {
            backend.applyFull(update.getFull());
            state = StateModel.of(update.getFull());
            fullSyncs++;
          }
          case DELTA -> {
            StateModel current = state;
            if (needFull || current == null) {
              return ack.setOk(false)
                  .setNeedFull(true)
                  .setError("a full state is needed first")
                  .build();
            }
            backend.applyDelta(update.getDelta());
            state = current.apply(update.getDelta());
            deltas++;
          }
          default -> {
            return ack.setOk(false)
                .setError(
                    "update " + update.getGeneration() + " has no body (expected: full or delta)")
                .build();
          }
        }
        applied = update.getGeneration();
        needFull = false;
        return ack.setOk(true).build();
      } catch (DataplaneException | RuntimeException e) {
        errors++;
        lastError = String.valueOf(e.getMessage());
        // Whatever failed, the next state must be whole: the programmer resends everything.
        needFull = true;
        LOG.log(Level.WARNING, "update " + update.getGeneration() + " failed: " + e.getMessage());
        return ack.setOk(false).setNeedFull(true).setError(lastError).build();
      }
    }
  }

  @Override
  public void status(StatusRequest request, StreamObserver<StatusResponse> response) {
    StatusResponse s = status();
    if (request.getView()) {
      synchronized (lock) {
        try {
          s = s.toBuilder().addAllView(backend.describe()).build();
        } catch (DataplaneException | RuntimeException e) {
          s = s.toBuilder().addView("unavailable: " + e.getMessage()).build();
        }
      }
    }
    response.onNext(s);
    response.onCompleted();
  }

  public StatusResponse status() {
    synchronized (lock) {
      StateModel s = state;
      return StatusResponse.newBuilder()
          .setBackend(backend.name())
          .setAppliedGeneration(applied)
          .setNetworks(s == null ? 0 : s.networks().size())
          .setServicePorts(s == null ? 0 : s.ports().size())
          .setBackends(s == null ? 0 : s.backends())
          .setFullSyncs(fullSyncs)
          .setDeltas(deltas)
          .setErrors(errors)
          .setLastError(lastError)
          .build();
    }
  }
}
