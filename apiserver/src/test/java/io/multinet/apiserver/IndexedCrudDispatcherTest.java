package io.multinet.apiserver;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.ConfigMapBuilder;
import io.fabric8.kubernetes.api.model.HasMetadata;
import io.fabric8.kubernetes.api.model.ListOptionsBuilder;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.NodeBuilder;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSliceBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.KubernetesClientException;
import io.fabric8.kubernetes.client.Watcher;
import io.fabric8.kubernetes.client.WatcherException;
import io.fabric8.kubernetes.client.server.mock.KubernetesCrudDispatcher;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import io.multinet.kube.crd.NetworkResource;
import java.io.InputStream;
import java.net.InetAddress;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;

/**
 * The indexed dispatcher must answer exactly as fabric8's: the same script of client calls runs
 * against both and must observe the same objects, status codes and watch events. Addresses:
 * 172.30.0.0/16 cluster IPs, 10.0.0.0/16 endpoints (nothing is sent to them).
 */
class IndexedCrudDispatcherTest {

  @Test
  void everyOperation_answersAsTheUnindexedDispatcher() throws Exception {
    var plain = new KubernetesCrudDispatcher(List.of());
    var indexed = new IndexedCrudDispatcher();

    List<String> expected = run(plain);
    List<String> actual = run(indexed);

    // One difference on purpose: a deletion takes a resourceVersion of its own (as a real API
    // server's does, for watches to resume after it), so later objects get higher ones.
    assertThat(actual.get(actual.size() - 6))
        .isEqualTo("recreated: Service ns1/web rv=16 gen=1 labels={tier=c} finalizers=[]");
    assertThat(expected.get(expected.size() - 6))
        .isEqualTo("recreated: Service ns1/web rv=14 gen=1 labels={tier=c} finalizers=[]");
    assertThat(actual.subList(0, actual.size() - 6))
        .isEqualTo(expected.subList(0, expected.size() - 6));
    assertThat(actual.subList(actual.size() - 5, actual.size()))
        .isEqualTo(expected.subList(expected.size() - 5, expected.size()));
    // The script exercised what it means to: conflicts, misses, deletions, watch events.
    assertThat(expected)
        .contains(
            "create services ns1/web again: 409",
            "get services ns1/missing: null",
            "update services ns1/web stale: 409")
        .anySatisfy(l -> assertThat(l).startsWith("watch MODIFIED web"))
        .anySatisfy(l -> assertThat(l).startsWith("watch DELETED web"));
    // Every stored object is indexed, so named lookups never fell back to scanning.
    assertThat(indexed.indexedObjects()).isEqualTo(indexed.getMap().size());
  }

  @Test
  void reset_forgetsEveryObject_andTheIndexFollows() throws Exception {
    var indexed = new IndexedCrudDispatcher();
    KubernetesMockServer server = server(indexed);
    try (KubernetesClient client = server.createClient()) {
      client.resource(service("ns1", "web", Map.of())).create();
      indexed.reset();

      assertThat(client.services().inNamespace("ns1").withName("web").get()).isNull();
      client.resource(service("ns1", "web", Map.of())).create();
      assertThat(client.services().inNamespace("ns1").withName("web").get()).isNotNull();
      assertThat(indexed.indexedObjects()).isEqualTo(1);
    } finally {
      server.destroy();
    }
  }

  @Test
  void watch_fromAResourceVersion_getsWhatChangedSinceThenLive() throws Exception {
    var indexed = new IndexedCrudDispatcher();
    KubernetesMockServer server = server(indexed);
    try (KubernetesClient client = server.createClient()) {
      client.resource(service("ns1", "a", Map.of())).create();
      client.resource(service("ns1", "b", Map.of())).create();
      client.resource(service("ns2", "other", Map.of())).create();
      String seen = client.services().inNamespace("ns1").list().getMetadata().getResourceVersion();
      // While no watch is open (a dropped connection): one change of each kind.
      client.services().inNamespace("ns1").withName("a").edit(s -> relabel(s, "x"));
      client.services().inNamespace("ns1").withName("b").delete();
      client.resource(service("ns1", "c", Map.of())).create();
      client.resource(service("ns2", "other2", Map.of())).create();

      List<String> events = new CopyOnWriteArrayList<>();
      var watch =
          client
              .services()
              .inNamespace("ns1")
              .watch(new ListOptionsBuilder().withResourceVersion(seen).build(), recorder(events));
      try {
        await().atMost(Duration.ofSeconds(10)).until(() -> events.size() >= 3);
        client.services().inNamespace("ns1").withName("c").delete();
        await()
            .atMost(Duration.ofSeconds(10))
            .untilAsserted(
                () ->
                    assertThat(events)
                        .containsExactly("MODIFIED a", "DELETED b", "ADDED c", "DELETED c"));
        // A client resuming from the deletion's resourceVersion hears nothing again.
        assertThat(client.services().inNamespace("ns1").withName("c").get()).isNull();
      } finally {
        watch.close();
      }
    } finally {
      server.destroy();
    }
  }

  /**
   * Why the dispatcher keeps its own change window: fabric8's (8.0.0) answers a watch from a
   * resourceVersion with the stored objects as ADDED, so a change made while no watch was open is
   * lost. When this fails, fabric8 resumes watches itself and the window can go.
   */
  @Test
  void fabric8Dispatcher_watchFromAResourceVersion_replaysTheStoreAsAdded() throws Exception {
    KubernetesMockServer server = server(new KubernetesCrudDispatcher(List.of()));
    try (KubernetesClient client = server.createClient()) {
      client.resource(service("ns1", "a", Map.of())).create();
      client.resource(service("ns1", "b", Map.of())).create();
      String seen = client.services().inNamespace("ns1").list().getMetadata().getResourceVersion();
      client.services().inNamespace("ns1").withName("a").edit(s -> relabel(s, "x"));
      client.services().inNamespace("ns1").withName("b").delete();

      List<String> events = new CopyOnWriteArrayList<>();
      var watch =
          client
              .services()
              .inNamespace("ns1")
              .watch(new ListOptionsBuilder().withResourceVersion(seen).build(), recorder(events));
      try {
        await().atMost(Duration.ofSeconds(10)).until(() -> !events.isEmpty());
        // A live event after the replay: the listener sends in order, so the replay is complete.
        client.resource(service("ns1", "c", Map.of())).create();
        await().atMost(Duration.ofSeconds(10)).until(() -> events.contains("ADDED c"));
        assertThat(events).containsExactly("ADDED a", "ADDED c");
      } finally {
        watch.close();
      }
    } finally {
      server.destroy();
    }
  }

  @Test
  void watch_fromBeforeTheWindow_isToldGone() throws Exception {
    var indexed = new IndexedCrudDispatcher(2);
    KubernetesMockServer server = server(indexed);
    try (KubernetesClient client = server.createClient()) {
      String old =
          client
              .resource(service("ns1", "a", Map.of()))
              .create()
              .getMetadata()
              .getResourceVersion();
      for (String name : List.of("b", "c", "d")) {
        client.resource(service("ns1", name, Map.of())).create();
      }
      var closed = new java.util.concurrent.CompletableFuture<WatcherException>();
      var watch =
          client
              .services()
              .inNamespace("ns1")
              .watch(
                  new ListOptionsBuilder().withResourceVersion(old).build(),
                  new Watcher<Service>() {
                    @Override
                    public void eventReceived(Action action, Service s) {}

                    @Override
                    public void onClose(WatcherException cause) {
                      closed.complete(cause);
                    }
                  });
      try {
        WatcherException cause = closed.get(10, java.util.concurrent.TimeUnit.SECONDS);
        assertThat(cause.isHttpGone()).as(String.valueOf(cause)).isTrue();
      } finally {
        watch.close();
      }
    } finally {
      server.destroy();
    }
  }

  private static Watcher<Service> recorder(List<String> events) {
    return new Watcher<>() {
      @Override
      public void eventReceived(Action action, Service s) {
        events.add(action + " " + s.getMetadata().getName());
      }

      @Override
      public void onClose(WatcherException cause) {}
    };
  }

  private static Service relabel(Service s, String value) {
    return new ServiceBuilder(s).editMetadata().addToLabels("l", value).endMetadata().build();
  }

  private static KubernetesMockServer server(KubernetesCrudDispatcher dispatcher) {
    var server =
        new KubernetesMockServer(
            new Context(), new MockWebServer(), new HashMap<>(), dispatcher, false);
    server.init(InetAddress.getLoopbackAddress(), 0);
    return server;
  }

  private static List<String> run(KubernetesCrudDispatcher dispatcher) throws Exception {
    KubernetesMockServer server = server(dispatcher);
    List<String> log = new ArrayList<>();
    List<String> events = new CopyOnWriteArrayList<>();
    try (KubernetesClient client = server.createClient()) {
      try (InputStream in =
          Files.newInputStream(
              Path.of("../charts/multinet-proxy/crds/networks.multinet.io.yaml"))) {
        client.load(in).items().forEach(i -> client.resource(i).create());
      }
      for (String ns : List.of("ns1", "ns2")) {
        client
            .resource(new NamespaceBuilder().withNewMetadata().withName(ns).endMetadata().build())
            .create();
      }
      client
          .resource(new NodeBuilder().withNewMetadata().withName("web").endMetadata().build())
          .create();
      var watch =
          client
              .services()
              .inNamespace("ns1")
              .watch(
                  new Watcher<Service>() {
                    @Override
                    public void eventReceived(Action action, Service s) {
                      events.add(
                          "watch "
                              + action
                              + " "
                              + s.getMetadata().getName()
                              + " "
                              + s.getMetadata().getLabels());
                    }

                    @Override
                    public void onClose(WatcherException cause) {}
                  });
      // The same name in two namespaces, and as another kind (slice, cluster-scoped Node).
      client.resource(service("ns1", "web", Map.of("tier", "a"))).create();
      client.resource(service("ns2", "web", Map.of("tier", "a"))).create();
      client
          .resource(
              new EndpointSliceBuilder()
                  .withNewMetadata()
                  .withName("web")
                  .withNamespace("ns1")
                  .addToLabels("kubernetes.io/service-name", "web")
                  .endMetadata()
                  .withAddressType("IPv4")
                  .addNewEndpoint()
                  .withAddresses("10.0.0.5")
                  .endEndpoint()
                  .build())
          .create();
      log.add(
          "create services ns1/web again: "
              + code(() -> client.resource(service("ns1", "web", Map.of())).create()));
      log.add(
          "get services ns1/web: "
              + show(client.services().inNamespace("ns1").withName("web").get()));
      log.add(
          "get services ns2/web: "
              + show(client.services().inNamespace("ns2").withName("web").get()));
      log.add(
          "get services ns1/missing: "
              + show(client.services().inNamespace("ns1").withName("missing").get()));
      log.add("get nodes web: " + show(client.nodes().withName("web").get()));
      log.add(
          "get slice ns1/web: "
              + show(
                  client
                      .discovery()
                      .v1()
                      .endpointSlices()
                      .inNamespace("ns1")
                      .withName("web")
                      .get()));

      // A label change moves the object to another attribute set.
      Service web = client.services().inNamespace("ns1").withName("web").get();
      web.getMetadata().setLabels(Map.of("tier", "b"));
      log.add("update services ns1/web: " + show(client.resource(web).update()));
      log.add("update services ns1/web stale: " + code(() -> client.resource(web).update()));
      log.add(
          "edit services ns1/web: "
              + show(
                  client
                      .services()
                      .inNamespace("ns1")
                      .withName("web")
                      .edit(
                          s ->
                              new ServiceBuilder(s)
                                  .editMetadata()
                                  .addToLabels("x", "y")
                                  .endMetadata()
                                  .build())));
      log.add(
          "list tier=b: "
              + client.services().inAnyNamespace().withLabel("tier", "b").list().getItems().stream()
                  .map(IndexedCrudDispatcherTest::show)
                  .toList());
      log.add(
          "list tier=a: "
              + client.services().inAnyNamespace().withLabel("tier", "a").list().getItems().stream()
                  .map(IndexedCrudDispatcherTest::show)
                  .toList());

      // A custom resource, cluster-scoped, with a status subresource.
      var blue = new NetworkResource();
      blue.getMetadata().setName("web");
      var spec = new NetworkResource.Spec();
      spec.id = 56;
      spec.serviceCIDRs = List.of("10.96.0.0/16");
      blue.setSpec(spec);
      client.resources(NetworkResource.class).resource(blue).create();
      NetworkResource got = client.resources(NetworkResource.class).withName("web").get();
      log.add("get networks web: " + show(got));
      got.getSpec().podCIDRs = List.of("10.1.0.0/16");
      log.add(
          "update networks web: "
              + show(client.resources(NetworkResource.class).resource(got).update()));

      // Finalizers: a delete marks, the update that removes the last finalizer deletes.
      client
          .resource(
              new ConfigMapBuilder()
                  .withNewMetadata()
                  .withName("web")
                  .withNamespace("ns1")
                  .addToFinalizers("multinet.io/test")
                  .endMetadata()
                  .build())
          .create();
      client.configMaps().inNamespace("ns1").withName("web").delete();
      var marked = client.configMaps().inNamespace("ns1").withName("web").get();
      log.add("marked: " + (marked.getMetadata().getDeletionTimestamp() != null));
      marked.getMetadata().setFinalizers(List.of());
      client.resource(marked).update();
      log.add(
          "after finalizer: " + show(client.configMaps().inNamespace("ns1").withName("web").get()));

      log.add(
          "delete services ns1/web: "
              + client.services().inNamespace("ns1").withName("web").delete().size());
      log.add(
          "delete services ns1/web again: "
              + client.services().inNamespace("ns1").withName("web").delete().size());
      log.add(
          "get services ns1/web: "
              + show(client.services().inNamespace("ns1").withName("web").get()));
      log.add(
          "get services ns2/web: "
              + show(client.services().inNamespace("ns2").withName("web").get()));
      client.resource(service("ns1", "web", Map.of("tier", "c"))).create();
      log.add("recreated: " + show(client.services().inNamespace("ns1").withName("web").get()));
      await()
          .atMost(Duration.ofSeconds(10))
          .until(() -> events.stream().filter(e -> e.contains("{tier=c}")).count() == 1);
      watch.close();
      log.addAll(events);
    } finally {
      server.destroy();
    }
    return log;
  }

  private static Service service(String ns, String name, Map<String, String> labels) {
    return new ServiceBuilder()
        .withNewMetadata()
        .withName(name)
        .withNamespace(ns)
        .withLabels(labels)
        .endMetadata()
        .withNewSpec()
        .withClusterIP("172.30.0.5")
        .addNewPort()
        .withPort(80)
        .endPort()
        .endSpec()
        .build();
  }

  /** An object without what differs by design between two servers (uids, timestamps). */
  private static String show(HasMetadata o) {
    if (o == null) {
      return "null";
    }
    var m = o.getMetadata();
    return o.getKind()
        + " "
        + m.getNamespace()
        + "/"
        + m.getName()
        + " rv="
        + m.getResourceVersion()
        + " gen="
        + m.getGeneration()
        + " labels="
        + m.getLabels()
        + " finalizers="
        + m.getFinalizers();
  }

  private static String code(Supplier<?> call) {
    try {
      var _ = call.get();
      return "ok";
    } catch (KubernetesClientException e) {
      return String.valueOf(e.getCode());
    }
  }
}
