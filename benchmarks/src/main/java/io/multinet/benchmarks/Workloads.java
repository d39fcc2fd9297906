package io.multinet.benchmarks;

import io.multinet.network.IpAddress;
import io.multinet.network.Network;
import io.multinet.network.Protocol;
import io.multinet.service.Endpoint;
import io.multinet.service.LoadBalancing;
import io.multinet.service.NodeInfo;
import io.multinet.service.ServicePort;
import io.multinet.service.ServicePortKey;
import io.multinet.service.ServicePortName;
import io.multinet.service.ServicePortPolicy;
import io.multinet.table.ServiceTable;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * Synthetic service sets shared by the benchmarks. Address ranges: networks 56, 57 and 58 plus the
 * default network; cluster IPs are 10.0.0.0/8 (IPv4, seven services in eight) and fd00:96::/64;
 * endpoints 10.1.0.0/16 and fd00:1::/64, drawn from a shared pool so a million services fit in a
 * few GiB.
 */
final class Workloads {

  static final int[] NETWORK_IDS = {0, 56, 57, 58};
  static final NodeInfo NODE = new NodeInfo("node-a", "zone-a");
  private static final int POOL = 4096;

  private Workloads() {}

  /** Service port {@code i}: unique (network, VIP, protocol, port) for every i below 2^26. */
  static ServicePortKey key(int i) {
    int network = NETWORK_IDS[i & 3];
    int n = i >>> 2;
    Protocol protocol = (n & 7) == 7 ? Protocol.UDP : Protocol.TCP;
    IpAddress vip =
        (i & 7) == 5
            ? IpAddress.of(0xfd00_0096_0000_0000L, n)
            : IpAddress.ofV4(0x0A00_0000 | (n & 0x00FF_FFFF));
    return new ServicePortKey(network, vip, protocol, 80 + (n >>> 24));
  }

  static List<ServicePort> servicePorts(int count, int endpointsPerService, LoadBalancing lb) {
    List<Endpoint> v4 = pool(false);
    List<Endpoint> v6 = pool(true);
    var policy = ServicePortPolicy.DEFAULT.withLoadBalancing(lb);
    List<ServicePort> out = new ArrayList<>(count);
    for (int i = 0; i < count; i++) {
      ServicePortKey key = key(i);
      List<Endpoint> p = key.address().isV4() ? v4 : v6;
      List<Endpoint> eps = new ArrayList<>(endpointsPerService);
      for (int e = 0; e < endpointsPerService; e++) {
        eps.add(p.get((i * endpointsPerService + e) % POOL));
      }
      out.add(
          new ServicePort(
              new ServicePortName("ns" + (i % 100), "svc" + i, ""),
              key,
              policy,
              0,
              List.of(),
              eps));
    }
    return out;
  }

  static ServiceTable.Builder builder() {
    var b = ServiceTable.builder(NODE);
    for (int id : NETWORK_IDS) {
      if (id != 0) {
        b.network(Network.of("net" + id, id, List.of(), List.of()));
      }
    }
    return b;
  }

  static ServiceTable table(List<ServicePort> ports) {
    var b = builder();
    for (ServicePort p : ports) {
      if (!b.add(p)) {
        throw new IllegalStateException("rejected: " + b.build().rejections());
      }
    }
    return b.build();
  }

  private static List<Endpoint> pool(boolean v6) {
    var rnd = new SplittableRandom(v6 ? 6 : 4);
    List<Endpoint> out = new ArrayList<>(POOL);
    for (int i = 0; i < POOL; i++) {
      IpAddress a =
          v6 ? IpAddress.of(0xfd00_0001_0000_0000L, i + 1) : IpAddress.ofV4(0x0A01_0000 | (i + 1));
      out.add(
          Endpoint.builder(a, 8080)
              .node(rnd.nextBoolean() ? "node-a" : "node-b")
              .zone("zone-a")
              .build());
    }
    return out;
  }

  /**
   * {@code samples} service indices from a Zipf distribution (exponent {@code s}) over {@code n}
   * services, ranks scrambled so that the hot services are spread through memory as in a real
   * table.
   */
  static int[] zipf(int n, int samples, double s, long seed) {
    double[] cdf = new double[n];
    double sum = 0;
    for (int r = 0; r < n; r++) {
      sum += 1.0 / Math.pow(r + 1, s);
      cdf[r] = sum;
    }
    int[] perm = new int[n];
    for (int i = 0; i < n; i++) {
      perm[i] = i;
    }
    var rnd = new SplittableRandom(seed);
    for (int i = n - 1; i > 0; i--) {
      int j = rnd.nextInt(i + 1);
      int t = perm[i];
      perm[i] = perm[j];
      perm[j] = t;
    }
    int[] out = new int[samples];
    for (int k = 0; k < samples; k++) {
      double u = rnd.nextDouble() * sum;
      int lo = 0;
      int hi = n - 1;
      while (lo < hi) {
        int mid = (lo + hi) >>> 1;
        if (cdf[mid] < u) {
          lo = mid + 1;
        } else {
          hi = mid;
        }
      }
      out[k] = perm[lo];
    }
    return out;
  }
}
