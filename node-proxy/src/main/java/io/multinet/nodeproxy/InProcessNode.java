package io.multinet.nodeproxy;

import static java.util.Objects.requireNonNull;

import io.fabric8.kubernetes.client.KubernetesClient;
import io.multinet.dataplane.DataplaneBackend;
import io.multinet.dataplane.agent.AgentServer;
import io.multinet.dataplane.agent.DataplaneAgent;
import io.multinet.dataplane.programmer.DataplaneProgrammer;
import java.io.IOException;
import java.time.Clock;
import java.time.Duration;
import java.util.UUID;
import org.jspecify.annotations.Nullable;

/**
 * A node proxy with its own dataplane agent in the same process: the backend behind an in-process
 * agent, the programmer connected to it, and the started node proxy. {@code run} without {@code
 * --dataplane-endpoint}, the demo and the scale harness all wire a node this way. Closing it stops
 * the proxy gracefully (the rules stay), then the programmer, the agent and the backend.
 */
public final class InProcessNode implements AutoCloseable {

  /** How long the programmer waits for each Ack unless told otherwise. */
  public static final Duration ACK_TIMEOUT = Duration.ofSeconds(30);

  private final String agentName;
  private final NodeProxy proxy;
  private final DataplaneProgrammer programmer;
  private AgentServer agent;
  private DataplaneBackend backend;

  private InProcessNode(
      String agentName,
      DataplaneBackend backend,
      AgentServer agent,
      DataplaneProgrammer programmer,
      NodeProxy proxy) {
    this.agentName = agentName;
    this.backend = backend;
    this.agent = agent;
    this.programmer = programmer;
    this.proxy = proxy;
  }

  /** {@link #start(KubernetesClient, String, DataplaneBackend, NodeProxy.Options, Duration)}. */
  public static InProcessNode start(
      KubernetesClient client, String nodeName, DataplaneBackend backend, NodeProxy.Options options)
      throws IOException {
    return start(client, nodeName, backend, options, ACK_TIMEOUT);
  }

  /**
   * Serves {@code backend} through an in-process agent and starts a node proxy programming it;
   * returns once the proxy's caches are filled (see {@link NodeProxy#start}). Takes ownership of
   * {@code backend}: it is closed with the node, or at once when starting fails.
   */
  public static InProcessNode start(
      KubernetesClient client,
      String nodeName,
      DataplaneBackend backend,
      NodeProxy.Options options,
      Duration ackTimeout)
      throws IOException {
    requireNonNull(client, "client");
    requireNonNull(nodeName, "nodeName");
    requireNonNull(backend, "backend");
    requireNonNull(options, "options");
    requireNonNull(ackTimeout, "ackTimeout");
    String name = "node-" + nodeName + "-" + UUID.randomUUID();
    AgentServer agent = null;
    DataplaneProgrammer programmer = null;
    NodeProxy proxy = null;
    try {
      agent = AgentServer.inProcess(name, new DataplaneAgent(backend));
      programmer = DataplaneProgrammer.connect("inprocess:" + name, ackTimeout);
      proxy = new NodeProxy(client, nodeName, programmer, Clock.systemUTC(), options);
      var node = new InProcessNode(name, backend, agent, programmer, proxy);
      proxy.start();
      return node;
    } catch (IOException | RuntimeException | Error e) {
      closeAll(e, proxy, programmer, agent, backend);
      throw e;
    }
  }

  public NodeProxy proxy() {
    return proxy;
  }

  public DataplaneProgrammer programmer() {
    return programmer;
  }

  /** The backend the agent serves now. */
  public synchronized DataplaneBackend backend() {
    return backend;
  }

  /**
   * Kills the agent and its backend (the dataplane keeps its rules; the proxy's stream breaks) and
   * serves {@code next} under the same address, as a restarted agent process would: the proxy's
   * next sync is a full one.
   */
  public synchronized void restartAgent(DataplaneBackend next) throws IOException {
    requireNonNull(next, "next");
    try {
      agent.close();
    } finally {
      backend.close();
    }
    backend = next;
    try {
      agent = AgentServer.inProcess(agentName, new DataplaneAgent(next));
    } catch (IOException | RuntimeException e) {
      next.close();
      throw e;
    }
  }

  @Override
  public synchronized void close() {
    closeAll(null, proxy, programmer, agent, backend);
  }

  /** Closes each part in order, every one even when some fail; the first failure is thrown. */
  private static void closeAll(@Nullable Throwable pending, @Nullable AutoCloseable... parts) {
    Throwable first = pending;
    for (AutoCloseable c : parts) {
      if (c == null) {
        continue;
      }
      try {
        c.close();
      } catch (Exception | Error e) {
        if (first == null) {
          first = e;
        } else {
          first.addSuppressed(e);
        }
      }
    }
    if (pending == null && first != null) {
      if (first instanceof RuntimeException r) {
        throw r;
      }
      if (first instanceof Error err) {
        throw err;
      }
      throw new IllegalStateException("closing the in-process node: " + first.getMessage(), first);
    }
  }
}
