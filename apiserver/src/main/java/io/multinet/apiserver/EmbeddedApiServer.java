package io.multinet.apiserver;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.fabric8.kubernetes.client.server.mock.KubernetesMockServer;
import io.fabric8.mockwebserver.Context;
import io.fabric8.mockwebserver.MockWebServer;
import java.net.InetAddress;
import java.util.HashMap;

/**
 * An in-memory Kubernetes API server on loopback: fabric8's mock server in CRUD mode (indexed by
 * name, {@link IndexedCrudDispatcher}). It stores, lists, watches and patches objects and refuses
 * duplicate names, which is all the controller needs; it has no scheduler, kubelet or garbage
 * collector.
 */
public final class EmbeddedApiServer implements AutoCloseable {

  private final KubernetesMockServer server;
  // kubectl's address: it watches over plain HTTP, which the mock server does not serve.
  private final HttpFront front;

  public EmbeddedApiServer() {
    var dispatcher = new IndexedCrudDispatcher();
    server =
        new KubernetesMockServer(
            new Context(), new MockWebServer(), new HashMap<>(), dispatcher, false);
    server.init(InetAddress.getLoopbackAddress(), 0);
    front = new HttpFront(dispatcher);
  }

  public KubernetesClient newClient() {
    return server.createClient();
  }

  public int port() {
    return server.getPort();
  }

  /**
   * A kubeconfig for this server: one cluster at its plain-HTTP front (kubectl accepts an http
   * server URL; the server asks for no credentials), one user without any, one context on the
   * {@code default} namespace.
   */
  public String kubeconfig() {
    return """
        apiVersion: v1
        kind: Config
        clusters:
        - name: multinet-demo
          cluster:
            server: http://127.0.0.1:%d
        users:
        - name: multinet-demo
          user: {}
        contexts:
        - name: multinet-demo
          context:
            cluster: multinet-demo
            user: multinet-demo
            namespace: default
        current-context: multinet-demo
        """
        .formatted(front.port());
  }

  @Override
  public void close() {
    front.close();
    server.destroy();
  }
}
