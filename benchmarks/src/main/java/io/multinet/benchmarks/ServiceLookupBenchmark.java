package io.multinet.benchmarks;

import io.multinet.network.IpAddress;
import io.multinet.network.Protocol;
import io.multinet.service.Endpoint;
import io.multinet.service.LoadBalancing;
import io.multinet.service.ServicePort;
import io.multinet.service.ServicePortKey;
import io.multinet.table.FlowHash;
import io.multinet.table.ServiceEntry;
import io.multinet.table.ServiceTable;
import io.multinet.table.ServiceTableHolder;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
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
import org.openjdk.jmh.annotations.Warmup;

/**
 * The hot path: (network, destination, protocol, port) → service entry → backend for the flow's
 * {@link FlowHash} of (source address, source port), the path {@code explain --trace} and
 * KernelMaglevDifferentialTest use to name the kernel's pick ({@code ServiceTable.lookup} + {@code
 * select(FlowHash.of(...))}; the services use random selection, Maglev adds one array read).
 * Through {@link ServiceTable} ({@code impl=table}) or through a plain {@link HashMap} keyed by a
 * record of the same four fields whose values hold the same entries ({@code impl=hashmap}), so both
 * use the same backend selection. Keys follow a scrambled Zipf distribution (s = 0.99), precomputed
 * in setup; the hashmap's keys are equal to, but not the same objects as, the ones it was filled
 * with, as keys built from packets would be.
 *
 * <p>Run: {@code java -jar benchmarks/target/benchmarks.jar ServiceLookupBenchmark -prof gc}
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(
    value = 1,
    jvmArgsAppend = {"-Xms4g", "-Xmx4g", "-XX:+AlwaysPreTouch"})
public class ServiceLookupBenchmark {

  private static final int SAMPLES = 1 << 16;
  private static final int MASK = SAMPLES - 1;

  @Param({"1000", "10000", "100000", "1000000"})
  int serviceCount;

  @Param({"table", "hashmap"})
  String impl = "table";

  private final int[] networks = new int[SAMPLES];
  private final long[] highs = new long[SAMPLES];
  private final long[] lows = new long[SAMPLES];
  private final Protocol[] protocols = new Protocol[SAMPLES];
  private final int[] ports = new int[SAMPLES];
  private final long[] srcHighs = new long[SAMPLES];
  private final long[] srcLows = new long[SAMPLES];
  private final int[] srcPorts = new int[SAMPLES];
  private final Key[] keys = new Key[SAMPLES];

  private @Nullable Lookup lookup;
  private int cursor;

  /** The hashmap baseline's key. */
  record Key(int network, IpAddress address, Protocol protocol, int port) {}

  /** One implementation per fork, so the call site stays monomorphic. */
  interface Lookup {
    @Nullable Endpoint lookupAndSelect(int i);
  }

  @Setup(Level.Trial)
  public void setUp() {
    List<ServicePort> ports = Workloads.servicePorts(serviceCount, 4, LoadBalancing.RANDOM);
    ServiceTable table = Workloads.table(ports);
    int[] zipf = Workloads.zipf(serviceCount, SAMPLES, 0.99, 42);
    var rnd = new SplittableRandom(7);
    for (int k = 0; k < SAMPLES; k++) {
      ServicePortKey key = Workloads.key(zipf[k]);
      networks[k] = key.networkId();
      // Fresh address objects: equal to the table's, never the same instances.
      IpAddress address = IpAddress.of(key.address().high(), key.address().low());
      highs[k] = address.high();
      lows[k] = address.low();
      protocols[k] = key.protocol();
      this.ports[k] = key.port();
      // One client in eight IPv6, as the services; source addresses from the lab's pod ranges.
      IpAddress src =
          rnd.nextInt(8) == 0
              ? IpAddress.of(0xfd00_0001_0000_0000L, rnd.nextLong())
              : IpAddress.ofV4(0x0a01_0000 | rnd.nextInt(1 << 16));
      srcHighs[k] = src.high();
      srcLows[k] = src.low();
      srcPorts[k] = 1024 + rnd.nextInt(64_512);
      keys[k] = new Key(key.networkId(), address, key.protocol(), key.port());
    }
    switch (impl) {
      case "table" -> {
        ServiceTableHolder h = new ServiceTableHolder(table);
        lookup =
            i -> {
              ServiceEntry e =
                  h.current().lookup(networks[i], highs[i], lows[i], protocols[i], this.ports[i]);
              return e == null ? null : e.select(FlowHash.of(srcHighs[i], srcLows[i], srcPorts[i]));
            };
      }
      case "hashmap" -> {
        Map<Key, ServiceEntry> m = new HashMap<>();
        for (ServicePort p : ports) {
          ServicePortKey k = p.key();
          ServiceEntry e = table.entry(k);
          if (e == null) {
            throw new IllegalStateException("missing " + k);
          }
          m.put(new Key(k.networkId(), k.address(), k.protocol(), k.port()), e);
        }
        lookup =
            i -> {
              ServiceEntry e = m.get(keys[i]);
              return e == null ? null : e.select(FlowHash.of(srcHighs[i], srcLows[i], srcPorts[i]));
            };
      }
      default ->
          throw new IllegalArgumentException("impl: " + impl + " (expected: table or hashmap)");
    }
    // Every sampled key must hit, or the benchmark would measure misses.
    for (int k = 0; k < SAMPLES; k++) {
      if (lookup.lookupAndSelect(k) == null) {
        throw new IllegalStateException("sample " + k + " missed in " + impl);
      }
    }
  }

  @Benchmark
  public @Nullable Endpoint lookupAndSelect() {
    Lookup l = lookup;
    int i = cursor++ & MASK;
    return l == null ? null : l.lookupAndSelect(i);
  }
}
