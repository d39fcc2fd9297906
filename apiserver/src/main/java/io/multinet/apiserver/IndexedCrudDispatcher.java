package io.multinet.apiserver;

import static java.util.Objects.requireNonNull;

import io.fabric8.kubernetes.api.model.GenericKubernetesResource;
import io.fabric8.kubernetes.client.server.mock.KubernetesAttributesExtractor;
import io.fabric8.kubernetes.client.server.mock.KubernetesCrudDispatcher;
import io.fabric8.kubernetes.client.utils.Serialization;
import io.fabric8.mockwebserver.crud.Attribute;
import io.fabric8.mockwebserver.crud.AttributeSet;
import io.fabric8.mockwebserver.crud.AttributeType;
import io.fabric8.mockwebserver.dsl.HttpMethod;
import io.fabric8.mockwebserver.http.MockResponse;
import io.fabric8.mockwebserver.http.RecordedRequest;
import io.fabric8.mockwebserver.http.Response;
import io.fabric8.mockwebserver.http.WebSocket;
import io.fabric8.mockwebserver.http.WebSocketListener;
import java.net.HttpURLConnection;
import java.nio.charset.StandardCharsets;
import java.util.AbstractMap;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.jspecify.annotations.Nullable;

/**
 * fabric8's CRUD dispatcher with an index from each object's name to the attribute sets it is
 * stored under. The original finds the object of every write, and of every read by name, by
 * matching the request against every stored object, under one lock: with 20,000 objects that caps
 * the embedded API server at a dozen writes a second, which is what the scale harness hit. Here a
 * request that names an object looks at the few objects of that name, and answers exactly as the
 * original would; anything else (lists, watches, selectors, a name shared by several matches) goes
 * to the original. The index is trusted only while it holds as many entries as the store, so an
 * entry added some other way makes lookups fall back to scans rather than miss.
 *
 * <p>Watches resume, as a real API server's do: the original answers every watch by sending each
 * stored object as ADDED and ignores {@code resourceVersion}, so a client that reconnects after a
 * dropped connection never hears of an object deleted meanwhile. Here every change is also kept in
 * a window of the last {@link #DEFAULT_WINDOW} events, and a watch from resourceVersion N gets the
 * events after N from it, then the live ones; from an N the window no longer covers, an ERROR event
 * with 410 Gone, after which clients list again. Watches without a resourceVersion (or "0") go to
 * the original. fabric8 8.0.0's dispatcher still ignores the resourceVersion (its watch code is
 * unchanged from 7.8.0; IndexedCrudDispatcherTest checks it), so the window stays.
 *
 * <p>A resumed watch also avoids fabric8's WatchEventsListener, whose onClosed and onFailure wait
 * up to a minute on the server's only event loop for its sender thread, itself waiting up to 30 s
 * for a write only that loop completes: a watch closed while events are queued stalls the server
 * (measured 30 s with 8.0.0 as with 7.8.0). Watches from resourceVersion "0" or none still use it.
 */
public final class IndexedCrudDispatcher extends KubernetesCrudDispatcher {

  // The attributes a path naming one object carries (its query parameters add others).
  private static final Set<String> OBJECT_KEYS =
      Set.of(
          KubernetesAttributesExtractor.PLURAL,
          KubernetesAttributesExtractor.NAMESPACE,
          KubernetesAttributesExtractor.NAME,
          KubernetesAttributesExtractor.VERSION,
          KubernetesAttributesExtractor.API,
          KubernetesAttributesExtractor.KIND);

  private final Map<Attribute, List<AttributeSet>> byName = new ConcurrentHashMap<>();
  private final AtomicInteger indexed = new AtomicInteger();

  /** Events kept for watches that resume: about ten seconds of the scale harness's top churn. */
  public static final int DEFAULT_WINDOW = 10_000;

  private final int window;

  // Guarded by itself: the change log and the resumed watches it feeds, so that a watch replays
  // and then goes live without missing or reordering an event.
  private final ArrayDeque<Change> changes = new ArrayDeque<>();
  private final Set<Subscription> resumed = new HashSet<>();
  private long forgottenUpTo; // the position of the newest event dropped from the window
  private long lastPosition;

  public IndexedCrudDispatcher() {
    this(DEFAULT_WINDOW);
  }

  /** A dispatcher whose watches can resume from the last {@code window} events. */
  public IndexedCrudDispatcher(int window) {
    super(List.of());
    if (window < 1) {
      throw new IllegalArgumentException("window: " + window + " (expected: at least 1)");
    }
    this.window = window;
  }

  /**
   * One change: the object's attribute set and JSON before and after (null: it did not exist), at a
   * position comparable with resourceVersions.
   */
  private record Change(
      long position,
      @Nullable AttributeSet before,
      @Nullable AttributeSet after,
      @Nullable String json) {}

  @Override
  public void processEvent(
      String path,
      AttributeSet pathAttributes,
      @Nullable AttributeSet oldAttributes,
      @Nullable GenericKubernetesResource resource,
      @Nullable String newState) {
    String oldState = oldAttributes == null ? null : map.get(oldAttributes);
    super.processEvent(path, pathAttributes, oldAttributes, resource, newState);
    // The caller holds the dispatcher's write lock: index updates do not interleave.
    if (oldAttributes != null && remove(oldAttributes)) {
      indexed.decrementAndGet();
    }
    AttributeSet stored = null;
    if (newState != null) {
      // The attribute set the original stored the object under, computed as it computes it.
      var extractor = (KubernetesAttributesExtractor) attributeExtractor;
      stored = resource != null ? extractor.extract(resource) : extractor.fromResource(newState);
      if (!stored.containsKey(KubernetesAttributesExtractor.PLURAL)) {
        stored = AttributeSet.merge(pathAttributes, stored);
      }
      Attribute name = stored.getAttribute(KubernetesAttributesExtractor.NAME);
      if (name != null && map.containsKey(stored)) {
        byName.computeIfAbsent(name, n -> new CopyOnWriteArrayList<>()).add(stored);
        indexed.incrementAndGet();
      }
    }
    if (!Objects.equals(oldState, newState)) {
      record(oldState == null ? null : oldAttributes, stored, resource, oldState, newState);
    }
  }

  /** Logs one change and hands it to the resumed watches; under the write lock, so in order. */
  private void record(
      @Nullable AttributeSet before,
      @Nullable AttributeSet after,
      @Nullable GenericKubernetesResource resource,
      @Nullable String oldState,
      @Nullable String newState) {
    long position;
    String json;
    if (newState != null) {
      position = resourceVersion(resource, newState);
      if (position <= lastPosition) {
        position = requestResourceVersion(); // never behind an earlier event
      }
      json = newState;
    } else {
      // A deletion: a real API server gives the DELETED event a resourceVersion of its own, so
      // that a client resuming from it does not hear of the deletion again.
      position = requestResourceVersion();
      json = withResourceVersion(requireNonNull(oldState, "oldState"), position);
    }
    var change = new Change(position, before, after, json);
    synchronized (changes) {
      lastPosition = position;
      changes.addLast(change);
      if (changes.size() > window) {
        forgottenUpTo = changes.removeFirst().position();
      }
      for (Subscription w : List.copyOf(resumed)) {
        w.send(change);
      }
    }
  }

  private static long resourceVersion(@Nullable GenericKubernetesResource resource, String json) {
    GenericKubernetesResource r =
        resource != null
            ? resource
            : Serialization.unmarshal(json, GenericKubernetesResource.class);
    try {
      return Long.parseLong(r.getMetadata().getResourceVersion());
    } catch (RuntimeException e) {
      return -1; // not ours: the caller assigns a fresh position
    }
  }

  private static String withResourceVersion(String json, long position) {
    GenericKubernetesResource r = Serialization.unmarshal(json, GenericKubernetesResource.class);
    r.getMetadata().setResourceVersion(Long.toString(position));
    return Serialization.asJson(r);
  }

  @Override
  public MockResponse handleWatch(String path) {
    String from = ResourcePath.queryParameter(path, "resourceVersion");
    if (from == null || from.isEmpty() || from.equals("0")) {
      return super.handleWatch(path); // every stored object as ADDED, then live: as the API does
    }
    AttributeSet query = watchQuery(path);
    long position;
    try {
      position = Long.parseLong(from);
    } catch (NumberFormatException e) {
      return new MockResponse()
          .setResponseCode(HttpURLConnection.HTTP_BAD_REQUEST)
          .setBody("resourceVersion: " + from + " (expected: a number)");
    }
    return new MockResponse().withWebSocketUpgrade(new ResumedWatch(query, position));
  }

  /** The attributes a watch of {@code path} matches objects against. */
  private AttributeSet watchQuery(String path) {
    AttributeSet query = attributeExtractor.fromPath(path);
    String fieldSelector = ResourcePath.queryParameter(path, "fieldSelector");
    if (fieldSelector != null && fieldSelector.startsWith("metadata.name=")) {
      query =
          query.add(
              new Attribute(
                  KubernetesAttributesExtractor.NAME,
                  fieldSelector.substring("metadata.name=".length())));
    }
    return query;
  }

  /**
   * Serves a watch of {@code path} as a plain HTTP stream, as kubectl watches: one JSON watch event
   * a line, from the request's resourceVersion (or, without one, every matching object as ADDED
   * first, as the API does), until the client goes away or {@code timeoutSeconds} pass; as Table
   * events if {@code accept} asks for Tables.
   *
   * @return false if {@code path} asks for something this cannot serve; nothing was written then
   */
  boolean watchOverHttp(String path, @Nullable String accept, HttpWatchStream out)
      throws InterruptedException {
    Tables.Request table;
    try {
      table = Tables.request(path, accept);
    } catch (IllegalArgumentException e) {
      return false; // dispatch answers it: 400
    }
    if (table != null) {
      out.transformEvents(Tables.watchEvents(table, Tables.printer(path, storedCrds())));
    }
    String from = ResourcePath.queryParameter(path, "resourceVersion");
    AttributeSet query = watchQuery(path);
    long position;
    List<String> initial = new ArrayList<>();
    if (from == null || from.isEmpty() || from.equals("0")) {
      // A consistent snapshot and the resourceVersion it is at, as a list answers them.
      MockResponse list = super.handleGet(withoutWatch(path));
      var items =
          Serialization.unmarshal(
              list.getBody().readUtf8(),
              io.fabric8.kubernetes.api.model.GenericKubernetesResourceList.class);
      for (GenericKubernetesResource item : items.getItems()) {
        if (extractedMatches(item, query)) {
          initial.add("{\"type\":\"ADDED\",\"object\":" + Serialization.asJson(item) + "}");
        }
      }
      position = Long.parseLong(items.getMetadata().getResourceVersion());
    } else {
      try {
        position = Long.parseLong(from);
      } catch (NumberFormatException e) {
        return false;
      }
    }
    out.start();
    for (String event : initial) {
      if (!out.send(event)) {
        return true;
      }
    }
    var subscription = new Subscription(query, position, out);
    if (subscription.start()) {
      try {
        out.awaitEnd(timeoutSeconds(path));
      } finally {
        subscription.forget();
      }
    }
    return true;
  }

  private boolean extractedMatches(GenericKubernetesResource item, AttributeSet query) {
    var extractor = (KubernetesAttributesExtractor) attributeExtractor;
    AttributeSet attributes = extractor.extract(item);
    // The list path already chose the kind and namespace; the rest (name, labels) is checked here.
    List<Attribute> rest = new ArrayList<>();
    for (String key : List.of(KubernetesAttributesExtractor.NAME)) {
      Attribute a = query.getAttribute(key);
      if (a != null) {
        rest.add(a);
      }
    }
    return attributes.matches(new AttributeSet(rest));
  }

  private static long timeoutSeconds(String path) {
    String t = ResourcePath.queryParameter(path, "timeoutSeconds");
    try {
      return t == null ? 0 : Long.parseLong(t);
    } catch (NumberFormatException e) {
      return 0;
    }
  }

  private static String withoutWatch(String path) {
    int q = path.indexOf('?');
    if (q < 0) {
      return path;
    }
    List<String> kept = new ArrayList<>();
    for (String pair : path.substring(q + 1).split("&", -1)) {
      if (!pair.startsWith("watch=")
          && !pair.startsWith("resourceVersion=")
          && !pair.startsWith("fieldSelector=metadata.name")
          && !pair.startsWith("fieldSelector=metadata.name".replace("=", "%3D"))) {
        kept.add(pair);
      }
    }
    return path.substring(0, q) + (kept.isEmpty() ? "" : "?" + String.join("&", kept));
  }

  /** Where a watch's events go: a websocket, or a chunked HTTP response. */
  interface Sink {
    /** Sends one watch event (JSON); false if the receiver is gone. */
    boolean send(String event);

    /** Ends the watch from the server's side. */
    void close(String reason);
  }

  /**
   * A watch that started from a resourceVersion: the window's later events, then live ones, for as
   * long as its sink takes them.
   */
  private final class Subscription {

    private final AttributeSet query;
    private final long from;
    private final Sink sink;

    Subscription(AttributeSet query, long from, Sink sink) {
      this.query = query;
      this.from = from;
      this.sink = sink;
    }

    /** Replays the window after {@code from} and goes live; false if the window has moved on. */
    boolean start() {
      synchronized (changes) {
        if (from < forgottenUpTo) {
          sink.send(
              "{\"type\":\"ERROR\",\"object\":{\"kind\":\"Status\",\"apiVersion\":\"v1\","
                  + "\"metadata\":{},\"status\":\"Failure\",\"reason\":\"Expired\",\"code\":410,"
                  + "\"message\":\"too old resource version: "
                  + from
                  + " ("
                  + forgottenUpTo
                  + ")\"}}");
          sink.close("expired");
          return false;
        }
        resumed.add(this);
        for (Change c : changes) {
          if (c.position() > from) {
            send(c);
          }
        }
        return true;
      }
    }

    /** The event {@code c} is for this watch, if any; called holding {@code changes}. */
    void send(Change c) {
      boolean was = c.before() != null && c.before().matches(query);
      boolean is = c.after() != null && c.after().matches(query);
      String type = was && is ? "MODIFIED" : was ? "DELETED" : is ? "ADDED" : null;
      if (type != null && !sink.send("{\"type\":\"" + type + "\",\"object\":" + c.json() + "}")) {
        resumed.remove(this);
      }
    }

    void forget() {
      synchronized (changes) {
        resumed.remove(this);
      }
    }
  }

  /** A resumed watch over a websocket, as the fabric8 client watches. */
  private final class ResumedWatch extends WebSocketListener {

    private final AttributeSet query;
    private final long from;
    private @Nullable Subscription subscription;

    ResumedWatch(AttributeSet query, long from) {
      this.query = query;
      this.from = from;
    }

    @Override
    public void onOpen(WebSocket webSocket, Response response) {
      var s =
          new Subscription(
              query,
              from,
              new Sink() {
                @Override
                public boolean send(String event) {
                  return webSocket.send(event);
                }

                @Override
                public void close(String reason) {
                  webSocket.close(1000, reason);
                }
              });
      subscription = s;
      s.start();
    }

    @Override
    public void onClosing(WebSocket webSocket, int code, String reason) {
      forget();
      webSocket.close(code, reason);
    }

    @Override
    public void onClosed(WebSocket webSocket, int code, String reason) {
      forget();
    }

    @Override
    public void onFailure(WebSocket webSocket, Throwable t, @Nullable Response response) {
      forget();
    }

    private void forget() {
      Subscription s = subscription;
      if (s != null) {
        s.forget();
      }
    }
  }

  private boolean remove(AttributeSet attributes) {
    Attribute name = attributes.getAttribute(KubernetesAttributesExtractor.NAME);
    List<AttributeSet> sets = name == null ? null : byName.get(name);
    if (sets == null || !sets.remove(attributes)) {
      return false;
    }
    if (sets.isEmpty()) {
      byName.remove(name, sets);
    }
    return true;
  }

  @Override
  public Map.@Nullable Entry<AttributeSet, String> findResource(AttributeSet attributes) {
    Lookup found = lookup(attributes);
    return found.resolved ? found.entry : super.findResource(attributes);
  }

  @Override
  public MockResponse dispatch(RecordedRequest request) {
    if (request.method() == HttpMethod.GET) {
      boolean watch = request.getPath().contains("watch=");
      if (!watch) {
        MockResponse discovery = Discovery.answer(request.getPath(), storedCrds());
        if (discovery != null) {
          return discovery;
        }
      }
      Tables.Request table;
      try {
        table = Tables.request(request.getPath(), request.getHeader("Accept"));
      } catch (IllegalArgumentException e) {
        return Tables.badRequest(e);
      }
      if (table != null && !watch) {
        return Tables.convert(
            asJson(super.dispatch(request)),
            request.getPath(),
            table,
            storedCrds(),
            java.time.Instant.now());
      }
    }
    if (request.method() != HttpMethod.POST
        && request.method() != HttpMethod.PUT
        && request.method() != HttpMethod.PATCH) {
      return asJson(super.dispatch(request));
    }
    // Reading the body consumes it: read once, and hand on a request holding it again.
    byte[] body = request.getBody() == null ? new byte[0] : request.getBody().readByteArray();
    RecordedRequest write =
        new RecordedRequest(
            request.getHttpVersion(),
            request.method(),
            request.getPath(),
            request.getHeaders(),
            new io.fabric8.mockwebserver.http.Buffer(body));
    var validation =
        FieldValidation.check(
            write.method(),
            write.getPath(),
            write.getHeader("Content-Type"),
            new String(body, StandardCharsets.UTF_8),
            this::storedCrds);
    MockResponse refusal = validation.refusal();
    if (refusal != null) {
      return refusal;
    }
    if (write.method() == HttpMethod.PATCH) {
      String type = write.getHeader("Content-Type");
      if (type != null && type.startsWith("application/strategic-merge-patch+json")) {
        return FieldValidation.withWarnings(asJson(strategicPatch(write)), validation.warnings());
      }
    }
    return FieldValidation.withWarnings(asJson(super.dispatch(write)), validation.warnings());
  }

  /**
   * A JSON merge patch as RFC 7386 defines it: the original reads the patch over the object with
   * Jackson, which appends to lists instead of replacing them and stores nulls instead of removing
   * the field.
   */
  @Override
  public tools.jackson.databind.JsonNode merge(
      tools.jackson.databind.JsonNode baseResource, String updatedResource)
      throws io.fabric8.kubernetes.client.server.mock.crud.KubernetesCrudDispatcherException {
    try {
      return StrategicMerge.jsonMerge(baseResource, Discovery.JSON.readTree(updatedResource));
    } catch (tools.jackson.core.JacksonException e) {
      throw new io.fabric8.kubernetes.client.server.mock.crud.KubernetesCrudDispatcherException(
          "patch: not JSON (" + e.getMessage() + ")", 422);
    }
  }

  /**
   * A strategic merge patch, for the built-in kinds: applied here to the stored object and handed
   * on as the JSON merge patch that has the same effect, so that it is stored, versioned and
   * watched as any patch is. Custom resources answer 415, as in Kubernetes, which has no patch
   * merge keys for them.
   */
  private MockResponse strategicPatch(RecordedRequest request) {
    String path = request.getPath();
    int q = path.indexOf('?');
    String bare = q < 0 ? path : path.substring(0, q);
    if (!Discovery.isBuiltIn(bare)) {
      return Discovery.status(
          HttpURLConnection.HTTP_UNSUPPORTED_TYPE,
          "UnsupportedMediaType",
          "the body of the request was in an unknown format - accepted media types include: "
              + "application/json-patch+json, application/merge-patch+json, "
              + "application/apply-patch+yaml");
    }
    MockResponse current = handleGet(bare);
    if (current.code() != HttpURLConnection.HTTP_OK) {
      return current;
    }
    tools.jackson.databind.JsonNode before;
    tools.jackson.databind.JsonNode patch;
    try {
      before = Discovery.JSON.readTree(current.getBody().readUtf8());
      patch = Discovery.JSON.readTree(request.getUtf8Body());
    } catch (RuntimeException e) {
      return Discovery.status(
          HttpURLConnection.HTTP_BAD_REQUEST,
          "BadRequest",
          "patch: not JSON (" + e.getMessage() + ")");
    }
    var after = StrategicMerge.apply(before, patch);
    var headers =
        io.fabric8.mockwebserver.http.Headers.builder()
            .setHeaders(request.getHeaders())
            .set("Content-Type", "application/merge-patch+json")
            .build();
    return super.dispatch(
        new RecordedRequest(
            request.getHttpVersion(),
            HttpMethod.PATCH,
            path,
            headers,
            new io.fabric8.mockwebserver.http.Buffer(
                StrategicMerge.mergePatch(before, after)
                    .toString()
                    .getBytes(StandardCharsets.UTF_8))));
  }

  /**
   * Labels the answer JSON, which it is: clients that ask for protobuf first (kubectl's typed
   * clients send {@code Accept: application/vnd.kubernetes.protobuf,application/json}) decode an
   * unlabelled body as protobuf otherwise. A server without protobuf answers JSON, so does this.
   */
  private static MockResponse asJson(MockResponse response) {
    if (response.getWebSocketListener() == null
        && response.getBody() != null
        && response.getBody().size() > 0
        && response.header("Content-Type") == null) {
      response.setHeader("Content-Type", "application/json");
    }
    return response;
  }

  /** The stored CustomResourceDefinitions, as JSON: discovery serves their resources. */
  private List<String> storedCrds() {
    List<String> crds = new ArrayList<>();
    synchronized (map) {
      for (String json : map.values()) {
        if (json.contains("\"CustomResourceDefinition\"")) {
          crds.add(json);
        }
      }
    }
    return crds;
  }

  @Override
  public MockResponse handleGet(String path) {
    if (!path.contains("watch=")) {
      AttributeSet query = attributeExtractor.fromPath(path);
      Lookup found = lookup(query);
      if (found.resolved) {
        // What the original answers for a request naming one object.
        return found.entry == null
            ? new MockResponse().setResponseCode(HttpURLConnection.HTTP_NOT_FOUND)
            : new MockResponse()
                .setResponseCode(HttpURLConnection.HTTP_OK)
                .setBody(found.entry.getValue());
      }
    }
    return super.handleGet(path);
  }

  @Override
  public void reset() {
    super.reset();
    byName.clear();
    indexed.set(0);
    synchronized (changes) {
      // Resuming across a reset would replay a store that no longer exists: make them relist.
      forgottenUpTo = lastPosition;
      changes.clear();
    }
  }

  /** How many objects the index holds; the store's size while it is trusted. */
  int indexedObjects() {
    return indexed.get();
  }

  /** {@code resolved} false: the index cannot answer, ask the original. */
  private record Lookup(boolean resolved, Map.@Nullable Entry<AttributeSet, String> entry) {}

  private static final Lookup UNRESOLVED = new Lookup(false, null);

  private Lookup lookup(AttributeSet query) {
    Attribute name = query.getAttribute(KubernetesAttributesExtractor.NAME);
    if (name == null || name.getType() != AttributeType.WITH || indexed.get() != map.size()) {
      return UNRESOLVED;
    }
    List<Attribute> objectAttributes = new ArrayList<>();
    for (String key : OBJECT_KEYS) {
      Attribute a = query.getAttribute(key);
      if (a != null) {
        objectAttributes.add(a);
      }
    }
    if (!new AttributeSet(objectAttributes).equals(query)) {
      return UNRESOLVED; // a selector or another query parameter
    }
    List<AttributeSet> sets = byName.get(name);
    Map.Entry<AttributeSet, String> match = null;
    for (AttributeSet candidate : sets == null ? List.<AttributeSet>of() : sets) {
      String body = map.get(candidate);
      if (body != null && candidate.matches(query)) {
        if (match != null) {
          return UNRESOLVED; // several match: the original returns the first in its order
        }
        match = new AbstractMap.SimpleImmutableEntry<>(candidate, body);
      }
    }
    return new Lookup(true, match);
  }
}
