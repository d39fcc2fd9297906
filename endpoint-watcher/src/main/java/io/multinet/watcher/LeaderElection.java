package io.multinet.watcher;

import static java.util.Objects.requireNonNull;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.extended.leaderelection.LeaderCallbacks;
import io.fabric8.kubernetes.client.extended.leaderelection.LeaderElectionConfigBuilder;
import io.fabric8.kubernetes.client.extended.leaderelection.resourcelock.LeaseLock;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.logging.Logger;

/**
 * Runs an {@link EndpointWatcher} under leader election on a coordination.k8s.io Lease: every
 * replica keeps its informers warm, and only the holder of the Lease writes. A replica that loses
 * the Lease stops writing at once and campaigns again, so a flapping API server does not leave the
 * cluster without a leader.
 */
public final class LeaderElection implements AutoCloseable {

  private static final Logger LOG = Logger.getLogger(LeaderElection.class.getName());
  public static final String LEASE_NAME = "endpoint-watcher.multinet.io";

  /** Lease timings; kube-controller-manager's defaults are 15 s, 10 s and 2 s. */
  public record Timing(Duration leaseDuration, Duration renewDeadline, Duration retryPeriod) {
    public static final Timing DEFAULT =
        new Timing(Duration.ofSeconds(15), Duration.ofSeconds(10), Duration.ofSeconds(2));

    public Timing {
      requireNonNull(leaseDuration, "leaseDuration");
      requireNonNull(renewDeadline, "renewDeadline");
      requireNonNull(retryPeriod, "retryPeriod");
      if (renewDeadline.compareTo(leaseDuration) >= 0
          || retryPeriod.compareTo(renewDeadline) >= 0) {
        throw new IllegalArgumentException(
            "timing: lease "
                + leaseDuration
                + ", renew "
                + renewDeadline
                + ", retry "
                + retryPeriod
                + " (expected: retryPeriod < renewDeadline < leaseDuration)");
      }
    }
  }

  private final KubernetesClient client;
  private final EndpointWatcher watcher;
  private final String namespace;
  private final String identity;
  private final Timing timing;
  private volatile boolean closed;
  private volatile CompletableFuture<?> campaign = CompletableFuture.completedFuture(null);

  public LeaderElection(
      KubernetesClient client,
      EndpointWatcher watcher,
      String namespace,
      String identity,
      Timing timing) {
    this.client = requireNonNull(client, "client");
    this.watcher = requireNonNull(watcher, "watcher");
    this.namespace = requireNonNull(namespace, "namespace");
    this.identity = requireNonNull(identity, "identity");
    this.timing = requireNonNull(timing, "timing");
  }

  /** Starts campaigning; returns at once. */
  public void start() {
    campaign();
  }

  private synchronized void campaign() {
    if (closed) {
      return;
    }
    var config =
        new LeaderElectionConfigBuilder()
            .withName(LEASE_NAME)
            .withLock(new LeaseLock(namespace, LEASE_NAME, identity))
            .withLeaseDuration(timing.leaseDuration())
            .withRenewDeadline(timing.renewDeadline())
            .withRetryPeriod(timing.retryPeriod())
            .withReleaseOnCancel(true)
            // Callbacks run inside the renew loop: they only flip a flag.
            .withLeaderCallbacks(
                new LeaderCallbacks(
                    () -> watcher.setLeading(true),
                    () -> watcher.setLeading(false),
                    leader -> LOG.info("leader is now " + leader)))
            .build();
    // An elector is single-use: when it ends (lost lease), campaign with a new one.
    campaign = client.leaderElector().withConfig(config).build().start();
    var _ =
        campaign.whenComplete(
            (v, t) -> {
              watcher.setLeading(false);
              if (!closed) {
                campaign();
              }
            });
  }

  /** Stops campaigning and releases the Lease if held. */
  @Override
  public void close() {
    closed = true;
    campaign.cancel(true);
    watcher.setLeading(false);
  }
}
