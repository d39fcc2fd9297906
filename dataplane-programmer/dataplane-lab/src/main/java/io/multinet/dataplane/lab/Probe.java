package io.multinet.dataplane.lab;

import static java.nio.charset.StandardCharsets.UTF_8;

import io.multinet.dataplane.lab.ProbeResult.Outcome;
import io.multinet.network.Protocol;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.net.ConnectException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.NoRouteToHostException;
import java.net.Socket;
import java.net.SocketTimeoutException;
import java.time.Duration;
import java.util.Map;
import java.util.TreeMap;
import org.jspecify.annotations.Nullable;

/**
 * Client side of a real-traffic test: from one namespace, connect (TCP) or send a datagram (UDP) to
 * an address and port, and classify what came back. Immutable; {@code timeout} and {@code
 * sourcePort} return adjusted copies.
 */
public final class Probe {
  public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(2);

  private final String netns;
  private final Duration timeout;
  private final int sourcePort;
  private final @Nullable InetAddress sourceAddress;

  private Probe(
      String netns, Duration timeout, int sourcePort, @Nullable InetAddress sourceAddress) {
    this.netns = netns;
    this.timeout = timeout;
    this.sourcePort = sourcePort;
    this.sourceAddress = sourceAddress;
  }

  public static Probe from(Topology.Pod pod) {
    return from(pod.netns());
  }

  public static Probe from(String netns) {
    return new Probe(netns, DEFAULT_TIMEOUT, 0, null);
  }

  /**
   * Per probe: the connect and the reply each wait this long. Short values suit tests expecting no
   * answer. Expecting UNREACHABLE over TCP needs more than 1 s: an ICMP error that arrives while
   * connect() still holds the socket (common for IPv6 on veth) only counts for the SYN retransmit.
   */
  public Probe timeout(Duration value) {
    if (value.toMillis() < 1) {
      throw new IllegalArgumentException("timeout under 1 ms: " + value);
    }
    return new Probe(netns, value, sourcePort, sourceAddress);
  }

  /** A fixed source port (0: ephemeral), e.g. to check that a hash keeps picking one backend. */
  public Probe sourcePort(int port) {
    return new Probe(netns, timeout, port, sourceAddress);
  }

  /**
   * TCP from a chosen source address of the namespace (e.g. one added with {@link
   * Topology#addAddress}), with {@link #sourcePort} or an ephemeral port.
   */
  public Probe sourceAddress(String address) {
    return new Probe(netns, timeout, sourcePort, InetAddress.ofLiteral(address));
  }

  public ProbeResult tcp(String address, int port) throws Exception {
    return send(Protocol.TCP, address, port);
  }

  public ProbeResult udp(String address, int port) throws Exception {
    return send(Protocol.UDP, address, port);
  }

  public ProbeResult send(Protocol protocol, String address, int port) throws Exception {
    InetAddress target = InetAddress.ofLiteral(address);
    return Netns.call(netns, () -> here(protocol, target, port));
  }

  /** Sends {@code n} probes; counts replies per backend name, failures per outcome name. */
  public Map<String, Integer> count(int n, Protocol protocol, String address, int port)
      throws Exception {
    InetAddress target = InetAddress.ofLiteral(address);
    return Netns.call(
        netns,
        () -> {
          Map<String, Integer> counts = new TreeMap<>();
          for (int i = 0; i < n; i++) {
            counts.merge(here(protocol, target, port).key(), 1, Integer::sum);
          }
          return counts;
        });
  }

  /** Opens a TCP connection that stays up, to observe established flows across changes. */
  public TcpSession open(String address, int port) throws Exception {
    InetAddress target = InetAddress.ofLiteral(address);
    return Netns.call(
        netns,
        () -> {
          Socket socket = connect(target, port);
          try {
            return new TcpSession(socket);
          } catch (IOException e) {
            socket.close();
            throw e;
          }
        });
  }

  private ProbeResult here(Protocol protocol, InetAddress target, int port) throws IOException {
    return switch (protocol) {
      case TCP -> tcpHere(target, port);
      case UDP -> NativeUdp.probe(target, port, sourcePort, timeout);
      case SCTP -> throw new UnsupportedOperationException("SCTP probes");
    };
  }

  private ProbeResult tcpHere(InetAddress target, int port) throws IOException {
    try (Socket socket = connect(target, port);
        BufferedReader in =
            new BufferedReader(new InputStreamReader(socket.getInputStream(), UTF_8))) {
      String line = in.readLine();
      return line == null
          ? ProbeResult.failure(Outcome.CLOSED, "tcp: closed without a line")
          : ProbeResult.parse(line);
    } catch (IOException e) {
      return classify(e);
    }
  }

  private Socket connect(InetAddress target, int port) throws IOException {
    Socket socket = new Socket();
    try {
      InetAddress from = sourceAddress;
      if (from != null) {
        socket.setReuseAddress(true);
        socket.bind(new InetSocketAddress(from, sourcePort));
      } else if (sourcePort != 0) {
        socket.setReuseAddress(true);
        socket.bind(new InetSocketAddress(sourcePort));
      }
      socket.connect(new InetSocketAddress(target, port), (int) timeout.toMillis());
      socket.setSoTimeout((int) timeout.toMillis());
      return socket;
    } catch (IOException e) {
      socket.close();
      throw e;
    }
  }

  /** Maps the JDK's socket exceptions (errno texts) to outcomes; anything else is a test error. */
  static ProbeResult classify(IOException e) throws IOException {
    String message = String.valueOf(e.getMessage());
    if (e instanceof SocketTimeoutException) {
      return ProbeResult.failure(Outcome.TIMEOUT, "tcp: " + message);
    }
    if (e instanceof NoRouteToHostException || message.contains("unreachable")) {
      return ProbeResult.failure(Outcome.UNREACHABLE, "tcp: " + message);
    }
    if (e instanceof ConnectException && message.contains("refused")) {
      return ProbeResult.failure(Outcome.REFUSED, "tcp: " + message);
    }
    if (message.contains("reset")) {
      return ProbeResult.failure(Outcome.CLOSED, "tcp: " + message);
    }
    throw e;
  }
}
