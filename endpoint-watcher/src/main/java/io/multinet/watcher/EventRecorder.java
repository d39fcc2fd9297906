package io.multinet.watcher;

import static java.util.Objects.requireNonNull;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import io.fabric8.kubernetes.api.model.Event;
import io.fabric8.kubernetes.api.model.EventBuilder;
import io.fabric8.kubernetes.api.model.ObjectReferenceBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.multinet.kube.Problem;
import java.net.HttpURLConnection;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import java.util.Objects;
import java.util.logging.Level;
import java.util.logging.Logger;

/**
 * Writes core/v1 Warning Events for {@link Problem}s, once per distinct problem per five minutes (a
 * repeat bumps the Event's count), and counts every problem in {@link ProblemMetrics}. Writing an
 * Event may fail; that is logged and never stops reconciliation.
 */
public final class EventRecorder {

  private static final Logger LOG = Logger.getLogger(EventRecorder.class.getName());
  private static final String COMPONENT = "endpoint-watcher.multinet.io";

  private final KubernetesClient client;
  private final Clock clock;
  private final ProblemMetrics metrics;
  private final Cache<Problem, Instant> recent;

  public EventRecorder(KubernetesClient client, Clock clock, ProblemMetrics metrics) {
    this.client = requireNonNull(client, "client");
    this.clock = requireNonNull(clock, "clock");
    this.metrics = requireNonNull(metrics, "metrics");
    this.recent =
        Caffeine.newBuilder().maximumSize(10_000).expireAfterWrite(Duration.ofMinutes(5)).build();
  }

  /** Records a problem: counted always, written as an Event unless written in the last minutes. */
  public void warn(Problem p) {
    requireNonNull(p, "p");
    if (recent.getIfPresent(p) != null) {
      return;
    }
    recent.put(p, clock.instant());
    metrics.increment(p.reason());
    LOG.log(Level.WARNING, "{0}", p);
    try {
      write(p);
    } catch (KubernetesClientException e) {
      LOG.log(Level.WARNING, "writing Event for " + p + " failed", e);
    }
  }

  private void write(Problem p) {
    // Cluster-scoped objects' events live in "default", as kubectl describe expects.
    String ns = p.namespace().isEmpty() ? "default" : p.namespace();
    String name = p.name() + "." + hash(p);
    String now = clock.instant().toString();
    var events = client.v1().events().inNamespace(ns);
    Event event =
        new EventBuilder()
            .withNewMetadata()
            .withName(name)
            .withNamespace(ns)
            .endMetadata()
            .withInvolvedObject(
                new ObjectReferenceBuilder()
                    .withApiVersion(apiVersion(p.kind()))
                    .withKind(p.kind())
                    .withNamespace(p.namespace().isEmpty() ? null : p.namespace())
                    .withName(p.name())
                    .build())
            .withType("Warning")
            .withReason(p.reason())
            .withMessage(p.message())
            .withNewSource()
            .withComponent(COMPONENT)
            .endSource()
            .withReportingComponent(COMPONENT)
            .withFirstTimestamp(now)
            .withLastTimestamp(now)
            .withCount(1)
            .build();
    try {
      events.resource(event).create();
    } catch (KubernetesClientException e) {
      if (e.getCode() != HttpURLConnection.HTTP_CONFLICT) {
        throw e;
      }
      events
          .withName(name)
          .edit(
              ev -> {
                ev.setCount(Objects.requireNonNullElse(ev.getCount(), 1) + 1);
                ev.setLastTimestamp(now);
                return ev;
              });
    }
  }

  private static String apiVersion(String kind) {
    return switch (kind) {
      case "Network" -> "multinet.io/v1alpha1";
      case "EndpointSlice" -> "discovery.k8s.io/v1";
      default -> "v1";
    };
  }

  private static String hash(Problem p) {
    int h = Objects.hash(p.kind(), p.reason(), p.message());
    return HexFormat.of().toHexDigits(h);
  }
}
