package io.multinet.benchmarks;

import io.multinet.dataplane.Netns;
import io.multinet.dataplane.kernel.KernelBackend;
import io.multinet.dataplane.lab.Topology;
import io.multinet.dataplane.v1.Backend;
import io.multinet.dataplane.v1.LoadBalancing;
import io.multinet.dataplane.v1.Protocol;
import io.multinet.dataplane.v1.ServicePort;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.util.concurrent.TimeUnit;
import org.jspecify.annotations.Nullable;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Connection latency through a VIP against straight to the pod, with {@code services} services of
 * {@link KernelWorkload} loaded (the target: within 10% of straight to the pod at 30,000). One
 * operation: TCP connect from a client pod, read the backend's greeting line, close with a reset
 * (no TIME_WAIT, so ephemeral ports never run out). Both methods run on the same lab: a node
 * namespace with pods in network 56 (interfaces {@code n56-*}, table 1056, as the workload
 * declares); the backend pod is 10.1.255.11 (echo on 8080), the client 10.1.255.50, the VIP
 * 10.99.0.1:80 (outside the workload's 10.96.0.0/15). The JMH thread itself moves into the client's
 * namespace, so no thread hand-off is measured.
 */
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 2, time = 3)
@Measurement(iterations = 3, time = 5)
@Fork(
    value = 1,
    jvmArgsAppend = {"--enable-native-access=ALL-UNNAMED", "-Xmx2g"})
@State(Scope.Thread)
public class VipLatencyBenchmark {

  private static final String VIP = "10.99.0.1";
  private static final String POD = "10.1.255.11";

  @Param({"30000"})
  int services;

  private @Nullable Topology topo;
  private @Nullable KernelBackend backend;
  private final byte[] line = new byte[256];
  private final InetSocketAddress vip = new InetSocketAddress(VIP, 80);
  private final InetSocketAddress pod = new InetSocketAddress(POD, 8080);

  @Setup(Level.Trial)
  public void setUp() throws Exception {
    Topology t = Topology.create("vlat", Topology.Options.DEFAULTS.withMarkRules(false));
    topo = t;
    t.addNetwork("n56", 1, "n56-", 1056);
    t.startEchoServer(t.addPod("n56", "be", POD, null), 8080);
    Topology.Pod client = t.addClient("n56", "cl", "10.1.255.50", null);
    KernelBackend b = new KernelBackend(t.node());
    backend = b;
    b.applyFull(
        KernelWorkload.state(services).toBuilder()
            .addServicePorts(
                ServicePort.newBuilder()
                    .setNetworkId(56)
                    .setAddress(VIP)
                    .setProtocol(Protocol.TCP)
                    .setPort(80)
                    .setName("bench/vip:http")
                    .setHasAnyEndpoints(true)
                    .setLoadBalancing(LoadBalancing.RANDOM)
                    .addBackends(Backend.newBuilder().setAddress(POD).setPort(8080).setLocal(true)))
            .build());
    Netns.enter(client.netns());
    // Both paths must reach the same backend, or the comparison means nothing.
    if (!greeting(vip).startsWith("be ") || !greeting(pod).startsWith("be ")) {
      throw new IllegalStateException("the lab does not answer through both paths");
    }
  }

  @TearDown(Level.Trial)
  public void tearDown() throws IOException {
    if (backend != null) {
      backend.close();
    }
    if (topo != null) {
      topo.close();
    }
  }

  @Benchmark
  public int direct() throws IOException {
    return connect(pod);
  }

  @Benchmark
  public int viaVip() throws IOException {
    return connect(vip);
  }

  private int connect(InetSocketAddress target) throws IOException {
    try (Socket s = new Socket()) {
      s.setSoLinger(true, 0);
      s.setTcpNoDelay(true);
      s.connect(target, 2000);
      s.setSoTimeout(2000);
      InputStream in = s.getInputStream();
      int n = 0;
      int c;
      while ((c = in.read()) >= 0 && c != '\n' && n < line.length) {
        line[n++] = (byte) c;
      }
      return n;
    }
  }

  private String greeting(InetSocketAddress target) throws IOException {
    int n = connect(target);
    return new String(line, 0, n, java.nio.charset.StandardCharsets.UTF_8);
  }
}
