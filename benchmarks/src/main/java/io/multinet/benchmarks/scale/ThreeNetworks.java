package io.multinet.benchmarks.scale;

import io.fabric8.kubernetes.api.model.IntOrString;
import io.fabric8.kubernetes.api.model.NamespaceBuilder;
import io.fabric8.kubernetes.api.model.Pod;
import io.fabric8.kubernetes.api.model.PodBuilder;
import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.ServiceBuilder;
import io.fabric8.kubernetes.client.KubernetesClient;
import io.multinet.kube.crd.NetworkResource;
import io.multinet.network.Protocol;
import io.multinet.nodeproxy.dns.DnsOptions;
import io.multinet.service.ServicePortKey;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

/**
 * The {@code 10k-3net} workload: Services spread over networks blue (56), red (57) and green (58),
 * each with 10 pods whose multus network-status names their interface on that network, so the real
 * controller builds the slices from pods and allocates nothing (the cluster IPs are requested). The
 * three networks share one VIP range and one pod range (10.96.0.0/16 and 10.128.0.0/9): Services
 * 3k, 3k+1 and 3k+2 have the same VIP, one in each network, and pod addresses repeat across
 * networks, which is what the networks' isolation is for. Services and pods are spread over 100
 * namespaces, 100 Services and 1,000 pods each.
 */
final class ThreeNetworks {

  static final String[] NAMES = {"blue", "red", "green"};
  static final int FIRST_ID = 56;

  /**
   * The DNS address each network asks for in {@link #load(KubernetesClient, int, int, boolean)}
   * with lab hints: outside the Services' VIPs (10.96.0.10 upwards, a few thousand).
   */
  static final String DNS_IP = "10.96.200.10";

  private ThreeNetworks() {}

  /** The namespaces of the 1k and 10k workloads; 100k spreads over 1,000. */
  static final int NAMESPACES = 100;

  static String namespace(int i) {
    return namespace(i, NAMESPACES);
  }

  static String namespace(int i, int namespaces) {
    return String.format(Locale.ROOT, "scale-%02d", i % namespaces);
  }

  static int networkId(int i) {
    return FIRST_ID + i % 3;
  }

  static String vip(int i) {
    return ScaleHarness.vip(i / 3);
  }

  static ServicePortKey key(int i) {
    return ServicePortKey.of(networkId(i), vip(i), Protocol.TCP, 80);
  }

  static String name(int i) {
    return String.format(Locale.ROOT, "svc-%05d", i);
  }

  /** CRDs, the three networks, 100 namespaces, the Services and their pods. */
  static void load(KubernetesClient client, int services, int endpoints) throws Exception {
    load(client, services, endpoints, false);
  }

  /**
   * As {@link #load(KubernetesClient, int, int)}; with {@code lab}, each network also names its
   * node-side interfaces ({@code be*}, {@code rd*}, {@code gn*}: the lab topology's prefixes, see
   * {@link #interfacePrefix}), its routing table ({@code 1000 + id}) and its DNS address {@link
   * #DNS_IP}, so that its clients' queries reach the node proxy's DNS through the kernel.
   */
  static void load(KubernetesClient client, int services, int endpoints, boolean lab)
      throws Exception {
    load(client, services, endpoints, lab, NAMESPACES);
  }

  /** As {@link #load(KubernetesClient, int, int, boolean)}, over {@code namespaces} namespaces. */
  static void load(
      KubernetesClient client, int services, int endpoints, boolean lab, int namespaces)
      throws Exception {
    for (String f : List.of("networks.multinet.io.yaml", "clusteripclaims.multinet.io.yaml")) {
      try (InputStream in = Files.newInputStream(Path.of("charts/multinet-proxy/crds", f))) {
        client.load(in).items().forEach(item -> client.resource(item).create());
      }
    }
    for (int n = 0; n < NAMES.length; n++) {
      var network = new NetworkResource();
      network.getMetadata().setName(NAMES[n]);
      var spec = new NetworkResource.Spec();
      spec.id = FIRST_ID + n;
      spec.serviceCIDRs = List.of("10.96.0.0/16");
      spec.podCIDRs = List.of("10.128.0.0/9");
      spec.attachments = List.of("default/" + NAMES[n] + "-net");
      if (lab) {
        spec.kernel = new NetworkResource.Kernel();
        spec.kernel.interfaces = List.of(interfacePrefix(n) + "*");
        spec.kernel.routingTable = routingTable(n);
        spec.dns = new NetworkResource.Dns();
        spec.dns.clusterIPs = List.of(DNS_IP);
        // The node table drops endpoints outside a network's pod CIDRs, the DNS listener's address
        // among them (DnsOptions.DEFAULT_LISTEN_V4): listed so the kernel gets the DNS backend.
        spec.podCIDRs = List.of("10.128.0.0/9", DnsOptions.DEFAULT_LISTEN_V4 + "/32");
      }
      network.setSpec(spec);
      client.resources(NetworkResource.class).resource(network).create();
    }
    for (int ns = 0; ns < Math.min(namespaces, services); ns++) {
      client
          .resource(
              new NamespaceBuilder()
                  .withNewMetadata()
                  .withName(namespace(ns, namespaces))
                  .endMetadata()
                  .build())
          .create();
    }
    ExecutorService pool = Executors.newFixedThreadPool(4);
    for (int i = 0; i < services; i++) {
      int index = i;
      pool.execute(
          () -> {
            client.resource(service(index, namespaces)).create();
            for (int j = 0; j < endpoints; j++) {
              client.resource(pod(index, j, 0, namespaces)).create();
            }
          });
    }
    pool.shutdown();
    if (!pool.awaitTermination(60, TimeUnit.MINUTES)) {
      throw new IllegalStateException("loading took over an hour");
    }
  }

  /** The node-side interface prefix of network {@code n} (0 blue, 1 red, 2 green) in a lab. */
  static String interfacePrefix(int n) {
    return NAMES[n].substring(0, 1) + NAMES[n].charAt(NAMES[n].length() - 1);
  }

  static int routingTable(int n) {
    return 1000 + FIRST_ID + n;
  }

  static Service service(int i) {
    return service(i, NAMESPACES);
  }

  static Service service(int i, int namespaces) {
    return new ServiceBuilder()
        .withNewMetadata()
        .withName(name(i))
        .withNamespace(namespace(i, namespaces))
        .withAnnotations(
            Map.of("multinet.io/network", NAMES[i % 3], "multinet.io/cluster-ips", vip(i)))
        .endMetadata()
        .withNewSpec()
        .addToSelector("app", name(i))
        .addNewPort()
        .withName("http")
        .withProtocol("TCP")
        .withPort(80)
        .withTargetPort(new IntOrString(8080))
        .endPort()
        .endSpec()
        .build();
  }

  /** Pod {@code j} of Service {@code i}; its address on the network moves with {@code v}. */
  static Pod pod(int i, int j, int v) {
    return pod(i, j, v, NAMESPACES);
  }

  /** As {@link #pod(int, int, int)} in a workload over {@code namespaces} namespaces. */
  static Pod pod(int i, int j, int v, int namespaces) {
    String status =
        "[{\"name\":\"default/"
            + NAMES[i % 3]
            + "-net\",\"interface\":\"net1\",\"ips\":[\""
            + ScaleHarness.endpoint(i, j, j == 0 ? v : 0)
            + "\"]}]";
    return new PodBuilder()
        .withNewMetadata()
        .withName(name(i) + "-" + j)
        .withNamespace(namespace(i, namespaces))
        .addToLabels("app", name(i))
        .addToAnnotations("k8s.v1.cni.cncf.io/network-status", status)
        .endMetadata()
        .withNewSpec()
        .withNodeName(ScaleHarness.node(i, j))
        .addNewContainer()
        .withName("c")
        .withImage("echo")
        .endContainer()
        .endSpec()
        .withNewStatus()
        .withPhase("Running")
        .addNewCondition()
        .withType("Ready")
        .withStatus("True")
        .endCondition()
        .endStatus()
        .build();
  }
}
