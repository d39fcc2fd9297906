package io.multinet.nodeproxy.dns;

import static io.multinet.nodeproxy.dns.DnsFixtures.caches;
import static io.multinet.nodeproxy.dns.DnsFixtures.externalName;
import static io.multinet.nodeproxy.dns.DnsFixtures.headless;
import static io.multinet.nodeproxy.dns.DnsFixtures.network;
import static io.multinet.nodeproxy.dns.DnsFixtures.service;
import static io.multinet.nodeproxy.dns.DnsFixtures.slice;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.multinet.kube.crd.NetworkResource;
import io.multinet.nodeproxy.Caches;
import io.multinet.nodeproxy.dns.DnsFixtures.Ep;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.epoll.EpollDatagramChannel;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.resolver.ResolvedAddressTypes;
import io.netty.resolver.dns.DnsNameResolver;
import io.netty.resolver.dns.DnsNameResolverBuilder;
import io.netty.resolver.dns.SingletonDnsServerAddressStreamProvider;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.UnknownHostException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The DNS server as real clients use it: dig (bind9-dnsutils) on loopback 127.0.0.1 and in a
 * network namespace of the test's own ({@code mnpdns-*}, lo with the default listen addresses
 * 169.254.53.53 and fd00:6d6e:6574::53), and netty's DnsNameResolver with a pod's search path.
 * Networks blue (56) and red (57) overlap: VIPs 10.96.0.0/16, pods 10.1.0.0/16.
 */
class DnsClientsTest {

  private static final Path DIG = Path.of("/usr/bin/dig");
  private static final List<NetworkResource> NETWORKS =
      List.of(network("blue", 56), network("red", 57));

  private static Caches demo() {
    List<Ep> many = new ArrayList<>();
    for (int i = 1; i <= 60; i++) {
      many.add(new Ep("10.1.1." + i, "db-" + i, true));
    }
    List<Service> services =
        List.of(
            service("demo", "web", "blue", "10.96.0.10"),
            service("demo", "api", "red", "10.96.0.10"),
            headless("demo", "db", "blue", false),
            externalName("demo", "ext", "blue", "www.example.com"));
    List<EndpointSlice> slices = List.of(slice("demo", "db", "blue", many));
    return caches(NETWORKS, services, slices);
  }

  private static DnsOptions loopback() {
    return DnsOptions.defaults()
        .withListenAddresses(List.of(InetAddress.getLoopbackAddress()))
        .withNodeUpstreams(List.of())
        .withRateLimit(0, 1);
  }

  private static void assumeDig() {
    assumeTrue(Files.isExecutable(DIG), "dig not installed (apt-get install -y bind9-dnsutils)");
  }

  /** Runs a command, returns its output (stdout and stderr). */
  private static String run(String... command) throws IOException, InterruptedException {
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    try {
      String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      assertThat(p.waitFor(20, TimeUnit.SECONDS)).as("%s finished", List.of(command)).isTrue();
      return out;
    } finally {
      p.destroyForcibly();
    }
  }

  private static String dig(InetSocketAddress at, String... args) throws Exception {
    List<String> cmd =
        new ArrayList<>(
            List.of(
                DIG.toString(),
                "@" + at.getAddress().getHostAddress(),
                "-p",
                Integer.toString(at.getPort()),
                "+tries=1",
                "+time=2"));
    cmd.addAll(List.of(args));
    return run(cmd.toArray(String[]::new));
  }

  @Test
  void dig_recordsOfEachNetwork_answerAsSpecified() throws Exception {
    assumeDig();
    DnsOptions options = loopback();
    try (var server = new DnsServer(options)) {
      server.update(new DnsRecords(options).update(demo(), null));
      InetSocketAddress blue = server.ports().get(56).getFirst();
      InetSocketAddress red = server.ports().get(57).getFirst();

      assertThat(dig(blue, "+short", "web.demo.svc.cluster.local", "A").strip())
          .isEqualTo("10.96.0.10");
      assertThat(dig(red, "web.demo.svc.cluster.local", "A")).contains("status: NXDOMAIN");
      assertThat(dig(blue, "+short", "-x", "10.96.0.10").strip())
          .isEqualTo("web.demo.svc.cluster.local.");
      assertThat(dig(red, "+short", "-x", "10.96.0.10").strip())
          .isEqualTo("api.demo.svc.cluster.local.");
      assertThat(dig(blue, "+short", "_http._tcp.web.demo.svc.cluster.local", "SRV").strip())
          .isEqualTo("0 100 80 web.demo.svc.cluster.local.");
      assertThat(dig(blue, "+short", "db-7.db.demo.svc.cluster.local").strip())
          .isEqualTo("10.1.1.7");
      assertThat(dig(blue, "+short", "ext.demo.svc.cluster.local", "CNAME").strip())
          .isEqualTo("www.example.com.");
      assertThat(dig(blue, "+short", "dns-version.cluster.local", "TXT").strip())
          .isEqualTo("\"1.1.0\"");
    }
  }

  @Test
  void dig_answerPast512Bytes_retriesOverTcpAndGetsEveryRecord() throws Exception {
    assumeDig();
    DnsOptions options = loopback();
    try (var server = new DnsServer(options)) {
      server.update(new DnsRecords(options).update(demo(), null));
      InetSocketAddress blue = server.ports().get(56).getFirst();

      String out = dig(blue, "+noedns", "db.demo.svc.cluster.local", "A");

      assertThat(out).contains("Truncated, retrying in TCP mode");
      assertThat(out.lines().filter(l -> l.startsWith("db.demo.svc.cluster.local.")).count())
          .isEqualTo(60);
    }
  }

  @Test
  void dig_inANamespaceOnTheDefaultAddresses_answersOverBothFamiliesWithTheNetworksMark()
      throws Exception {
    assumeDig();
    assumeTrue(
        "root".equals(System.getProperty("user.name")), "needs root for a network namespace");
    String ns = "mnpdns-" + UUID.randomUUID().toString().substring(0, 8);
    run("ip", "netns", "add", ns);
    try {
      run("ip", "-n", ns, "link", "set", "lo", "up");
      run("ip", "-n", ns, "addr", "add", DnsOptions.DEFAULT_LISTEN_V4 + "/32", "dev", "lo");
      run(
          "ip",
          "-n",
          ns,
          "addr",
          "add",
          DnsOptions.DEFAULT_LISTEN_V6 + "/128",
          "dev",
          "lo",
          "nodad");
      DnsOptions options =
          DnsOptions.defaults().withNodeUpstreams(List.of()).withNetns(ns).withRateLimit(0, 1);
      try (var server = new DnsServer(options)) {
        server.update(new DnsRecords(options).update(demo(), null));
        List<InetSocketAddress> blue = server.ports().get(56);
        assertThat(blue)
            .extracting(a -> a.getAddress().getHostAddress())
            .containsExactly("169.254.53.53", "fd00:6d6e:6574:0:0:0:0:53");

        for (InetSocketAddress at : blue) {
          List<String> cmd =
              new ArrayList<>(
                  List.of(
                      "ip",
                      "netns",
                      "exec",
                      ns,
                      DIG.toString(),
                      "@" + at.getAddress().getHostAddress(),
                      "-p",
                      Integer.toString(at.getPort()),
                      "+short",
                      "+tries=1",
                      "web.demo.svc.cluster.local"));
          assertThat(run(cmd.toArray(String[]::new)).strip())
              .as("over %s", at)
              .isEqualTo("10.96.0.10");
        }
        // The listeners carry blue's mark, 56 << 16, for the dataplane to route their replies by.
        String sockets = run("ip", "netns", "exec", ns, "ss", "-uaneH");
        assertThat(sockets)
            .contains(":" + blue.getFirst().getPort())
            .containsPattern(
                "169\\.254\\.53\\.53]?:" + blue.getFirst().getPort() + " .*fwmark:0x380000");
      }
    } finally {
      run("ip", "netns", "del", ns);
    }
  }

  @Test
  void resolve_withNettysResolverAndAPodsSearchPath_findsTheServiceOnlyInItsNetwork()
      throws Exception {
    DnsOptions options = loopback();
    EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, EpollIoHandler.newFactory());
    try (var server = new DnsServer(options)) {
      server.update(new DnsRecords(options).update(demo(), null));
      try (DnsNameResolver blue = resolver(group, server.ports().get(56).getFirst());
          DnsNameResolver red = resolver(group, server.ports().get(57).getFirst())) {
        List<InetAddress> web = blue.resolveAll("web").get(5, TimeUnit.SECONDS);
        assertThat(web).extracting(InetAddress::getHostAddress).containsExactly("10.96.0.10");
        assertThat(blue.resolveAll("db").get(5, TimeUnit.SECONDS)).hasSize(60);
        assertThatThrownBy(() -> red.resolveAll("web").get(5, TimeUnit.SECONDS))
            .isInstanceOf(ExecutionException.class)
            .hasCauseInstanceOf(UnknownHostException.class);
      }
    } finally {
      group.shutdownGracefully(0, 1, TimeUnit.SECONDS).syncUninterruptibly();
    }
  }

  private static DnsNameResolver resolver(EventLoopGroup group, InetSocketAddress server) {
    return new DnsNameResolverBuilder(group.next())
        .datagramChannelType(EpollDatagramChannel.class)
        .nameServerProvider(new SingletonDnsServerAddressStreamProvider(server))
        .searchDomains(List.of("demo.svc.cluster.local", "svc.cluster.local", "cluster.local"))
        .ndots(5)
        .resolvedAddressTypes(ResolvedAddressTypes.IPV4_ONLY)
        .build();
  }
}
