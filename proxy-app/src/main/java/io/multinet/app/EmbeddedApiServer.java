package io.multinet.app;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import io.multinet.apiserver.IndexedCrudDispatcher;
import java.net.InetAddress;
import java.util.HashMap;

/**
 * An in-memory Kubernetes API server on loopback: fabric8's mock server in CRUD mode (indexed by
 * name, {@link IndexedCrudDispatcher}). It stores, lists, watches and patches objects and refuses
 * duplicate names, which is all the controller needs; it has no scheduler, kubelet or garbage
 * collector.
 */
final class EmbeddedApiServer implements AutoCloseable {

  private final KubernetesMockServer server;

  EmbeddedApiServer() {
    server =
        new KubernetesMockServer(
            new Context(),
            new MockWebServer(),
            new HashMap<>(),
            new IndexedCrudDispatcher(),
            false);
    server.init(InetAddress.getLoopbackAddress(), 0);
  }

  KubernetesClient newClient() {
    return server.createClient();
  }

  int port() {
    return server.getPort();
  }

  @Override
  public void close() {
    server.destroy();
  }
}
