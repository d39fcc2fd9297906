package io.multinet.nodeproxy.dns;

import static io.multinet.nodeproxy.dns.DnsFixtures.caches;
import static io.multinet.nodeproxy.dns.DnsFixtures.externalName;
import static io.multinet.nodeproxy.dns.DnsFixtures.headless;
import static io.multinet.nodeproxy.dns.DnsFixtures.network;
import static io.multinet.nodeproxy.dns.DnsFixtures.service;
import static io.multinet.nodeproxy.dns.DnsFixtures.slice;
import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.fabric8.kubernetes.api.model.Service;
import io.fabric8.kubernetes.api.model.discovery.v1.EndpointSlice;
import io.multinet.kube.crd.NetworkResource;
import io.multinet.nodeproxy.Caches;
import io.multinet.nodeproxy.dns.DnsFixtures.Ep;
import io.netty.handler.codec.dns.DnsRecordType;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The DNS server over real UDP and TCP on loopback (127.0.0.1; clients also from 127.0.0.2 and
 * 127.0.0.3), with networks blue (56) and red (57) whose ranges overlap (see {@link DnsFixtures}),
 * and an upstream resolver on loopback ({@link TestUpstream}).
 */
class DnsServerTest {

  static final InetAddress LOOPBACK = InetAddress.getLoopbackAddress();
  static final List<NetworkResource> NETWORKS = List.of(network("blue", 56), network("red", 57));

  private final List<AutoCloseable> open = new ArrayList<>();

  @AfterEach
  void closeAll() throws Exception {
    for (AutoCloseable c : open.reversed()) {
      c.close();
    }
  }

  private <T extends AutoCloseable> T closing(T c) {
    open.add(c);
    return c;
  }

  DnsOptions options(List<InetSocketAddress> upstreams) {
    return DnsOptions.defaults()
        .withListenAddresses(List.of(LOOPBACK))
        .withNodeUpstreams(upstreams)
        .withRateLimit(0, 1);
  }

  /** A server serving {@code caches} (every Service built in full). */
  DnsServer serve(DnsOptions options, Caches caches) {
    DnsServer server = closing(new DnsServer(options));
    server.update(new DnsRecords(options).update(caches, null));
    return server;
  }

  static InetSocketAddress at(DnsServer server, int network) {
    return server.ports().get(network).getFirst();
  }

  WireClient.Answer ask(DnsServer server, int network, String name, DnsRecordType type)
      throws Exception {
    try (var c = new WireClient(LOOPBACK)) {
      byte[] r = c.udp(at(server, network), WireClient.query(7, name, type, 1232));
      assertThat(r).as("answer to %s %s", name, type).isNotNull();
      return WireClient.decode(r);
    }
  }

  static List<Service> overlapping() {
    // The same VIP in both networks, a different Service behind it in each.
    return List.of(
        service("demo", "web", "blue", "10.96.0.10"), service("demo", "api", "red", "10.96.0.10"));
  }

  @Test
  void query_sameReverseNameInTwoNetworks_eachAnswersItsOwnService() throws Exception {
    DnsServer server = serve(options(List.of()), caches(NETWORKS, overlapping(), List.of()));

    assertThat(server.ports()).containsOnlyKeys(56, 57);
    assertThat(at(server, 56).getPort()).isNotEqualTo(at(server, 57).getPort());
    assertThat(ask(server, 56, "10.0.96.10.in-addr.arpa.", DnsRecordType.PTR).answers())
        .containsExactly("10.0.96.10.in-addr.arpa. PTR web.demo.svc.cluster.local.");
    assertThat(ask(server, 57, "10.0.96.10.in-addr.arpa.", DnsRecordType.PTR).answers())
        .containsExactly("10.0.96.10.in-addr.arpa. PTR api.demo.svc.cluster.local.");
    var a = ask(server, 56, "Web.Demo.svc.cluster.local.", DnsRecordType.A);
    assertThat(a.rcode()).isZero();
    assertThat(a.authoritative()).isTrue();
    assertThat(a.answers()).containsExactly("Web.Demo.svc.cluster.local. A 10.96.0.10");
  }

  @Test
  void query_serviceOfAnotherNetwork_answersNxdomainWithSoa() throws Exception {
    DnsServer server = serve(options(List.of()), caches(NETWORKS, overlapping(), List.of()));

    var r = ask(server, 57, "web.demo.svc.cluster.local.", DnsRecordType.A);

    assertThat(r.rcode()).isEqualTo(3);
    assertThat(r.answers()).isEmpty();
    assertThat(r.authority()).containsExactly("cluster.local. SOA ns.dns.cluster.local.");
    // An address of red's ranges without a record is red's to deny, not the node resolvers'.
    assertThat(ask(server, 57, "99.0.96.10.in-addr.arpa.", DnsRecordType.PTR).rcode()).isEqualTo(3);
  }

  @Test
  void query_existingNameOfOtherType_answersNodataWithSoa() throws Exception {
    DnsServer server = serve(options(List.of()), caches(NETWORKS, overlapping(), List.of()));

    var aaaa = ask(server, 56, "web.demo.svc.cluster.local.", DnsRecordType.AAAA);
    var namespace = ask(server, 56, "demo.svc.cluster.local.", DnsRecordType.A);

    assertThat(aaaa.rcode()).isZero();
    assertThat(aaaa.answers()).isEmpty();
    assertThat(aaaa.authority()).hasSize(1);
    assertThat(namespace.rcode()).as("an empty non-terminal exists").isZero();
    assertThat(namespace.answers()).isEmpty();
  }

  @Test
  void query_headless_answersReadyEndpointsHostnamesAndSrv() throws Exception {
    List<Service> services =
        List.of(headless("demo", "db", "blue", false), headless("demo", "all", "blue", true));
    List<EndpointSlice> slices =
        List.of(
            slice(
                "demo",
                "db",
                "blue",
                List.of(
                    new Ep("10.1.0.5", "db-0", true),
                    new Ep("10.1.0.6", null, true),
                    new Ep("10.1.0.7", "db-2", false))),
            slice("demo", "all", "blue", List.of(new Ep("10.1.0.8", "all-0", false))));
    DnsServer server = serve(options(List.of()), caches(NETWORKS, services, slices));

    assertThat(ask(server, 56, "db.demo.svc.cluster.local.", DnsRecordType.A).answers())
        .containsExactlyInAnyOrder(
            "db.demo.svc.cluster.local. A 10.1.0.5", "db.demo.svc.cluster.local. A 10.1.0.6");
    assertThat(ask(server, 56, "db-0.db.demo.svc.cluster.local.", DnsRecordType.A).answers())
        .containsExactly("db-0.db.demo.svc.cluster.local. A 10.1.0.5");
    assertThat(ask(server, 56, "db-2.db.demo.svc.cluster.local.", DnsRecordType.A).rcode())
        .as("not ready")
        .isEqualTo(3);
    assertThat(ask(server, 56, "_db._tcp.db.demo.svc.cluster.local.", DnsRecordType.SRV).answers())
        .containsExactlyInAnyOrder(
            "_db._tcp.db.demo.svc.cluster.local. SRV 0 33 5432 db-0.db.demo.svc.cluster.local.",
            "_db._tcp.db.demo.svc.cluster.local. SRV 0 33 5432 10-1-0-6.db.demo.svc.cluster.local.");
    assertThat(ask(server, 56, "5.0.1.10.in-addr.arpa.", DnsRecordType.PTR).answers())
        .containsExactly("5.0.1.10.in-addr.arpa. PTR db-0.db.demo.svc.cluster.local.");
    assertThat(ask(server, 56, "all-0.all.demo.svc.cluster.local.", DnsRecordType.A).answers())
        .as("publishNotReadyAddresses")
        .containsExactly("all-0.all.demo.svc.cluster.local. A 10.1.0.8");
    assertThat(ask(server, 57, "db.demo.svc.cluster.local.", DnsRecordType.A).rcode()).isEqualTo(3);
  }

  @Test
  void query_srvOfClusterIpService_namesPortAndService() throws Exception {
    DnsServer server = serve(options(List.of()), caches(NETWORKS, overlapping(), List.of()));

    var srv = ask(server, 56, "_http._tcp.web.demo.svc.cluster.local.", DnsRecordType.SRV);
    var unnamed = ask(server, 56, "_._udp.web.demo.svc.cluster.local.", DnsRecordType.SRV);

    assertThat(srv.answers())
        .containsExactly(
            "_http._tcp.web.demo.svc.cluster.local. SRV 0 100 80 web.demo.svc.cluster.local.");
    assertThat(unnamed.rcode()).isEqualTo(3);
  }

  @Test
  void query_externalName_answersCname() throws Exception {
    DnsServer server =
        serve(
            options(List.of()),
            caches(
                NETWORKS,
                List.of(externalName("demo", "ext", "blue", "Www.Example.COM.")),
                List.of()));

    var r = ask(server, 56, "ext.demo.svc.cluster.local.", DnsRecordType.A);

    assertThat(r.rcode()).isZero();
    assertThat(r.answers()).containsExactly("ext.demo.svc.cluster.local. CNAME www.example.com.");
  }

  @Test
  void query_dnsVersion_answersTheSchemaVersion() throws Exception {
    DnsServer server = serve(options(List.of()), caches(NETWORKS, List.of(), List.of()));

    assertThat(ask(server, 56, "dns-version.cluster.local.", DnsRecordType.TXT).answers())
        .containsExactly("dns-version.cluster.local. TXT 1.1.0");
    assertThat(ask(server, 56, "cluster.local.", DnsRecordType.SOA).answers())
        .containsExactly("cluster.local. SOA ns.dns.cluster.local.");
  }

  @Test
  void query_largeAnswerOverUdp_setsTcAndIsCompleteOverTcp() throws Exception {
    List<Ep> many = new ArrayList<>();
    for (int i = 1; i <= 60; i++) {
      many.add(new Ep("10.1.1." + i, "db-" + i, true));
    }
    DnsServer server =
        serve(
            options(List.of()),
            caches(
                NETWORKS,
                List.of(headless("demo", "db", "blue", false)),
                List.of(slice("demo", "db", "blue", many))));
    byte[] plain = WireClient.query(9, "db.demo.svc.cluster.local.", DnsRecordType.A, 0);
    byte[] edns = WireClient.query(9, "db.demo.svc.cluster.local.", DnsRecordType.A, 4096);

    WireClient.Answer udp;
    WireClient.Answer udpEdns;
    try (var c = new WireClient(LOOPBACK)) {
      udp = WireClient.decode(c.udp(at(server, 56), plain));
      udpEdns = WireClient.decode(c.udp(at(server, 56), edns));
    }
    var tcp = WireClient.decode(WireClient.tcp(at(server, 56), plain));

    // 60 A records are 12+31+60*16 = 1003 bytes: over 512, and within the 1232 EDNS0 allows.
    assertThat(udp.truncated()).isTrue();
    assertThat(udp.answers()).isEmpty();
    assertThat(udpEdns.truncated()).isFalse();
    assertThat(udpEdns.answers()).hasSize(60);
    assertThat(udpEdns.additional()).as("OPT echoed").isEqualTo(1);
    assertThat(tcp.truncated()).isFalse();
    assertThat(tcp.answers()).hasSize(60);
    assertThat(server.metrics().render())
        .contains("multinet_dns_truncated_total{network=\"blue\"} 1");
  }

  @Test
  void query_outsideTheDomain_isForwardedThenAnsweredFromTheCache() throws Exception {
    var upstream = closing(new TestUpstream(LOOPBACK));
    DnsServer server =
        serve(options(List.of(upstream.address())), caches(NETWORKS, List.of(), List.of()));

    var first = ask(server, 56, "Host.Example.Test.", DnsRecordType.A);
    var second = ask(server, 56, "host.example.test.", DnsRecordType.A);
    var nx = ask(server, 56, "nothing.test.", DnsRecordType.A);

    assertThat(first.rcode()).isZero();
    assertThat(first.authoritative()).isFalse();
    // The upstream's records keep its spelling of the name; the question keeps the client's.
    assertThat(first.question()).isEqualTo("Host.Example.Test.");
    assertThat(first.answers()).containsExactly("host.example.test. A 192.0.2.7");
    assertThat(second.answers()).containsExactly("host.example.test. A 192.0.2.7");
    assertThat(nx.rcode()).isEqualTo(3);
    assertThat(upstream.udpQuestions).containsExactly("host.example.test.", "nothing.test.");
    String metrics = server.metrics().render();
    assertThat(metrics).contains("multinet_dns_forwarded_total{network=\"blue\"} 2");
    assertThat(metrics).contains("multinet_dns_cache_hits_total{network=\"blue\"} 1");
  }

  @Test
  void query_truncatedUpstreamAnswer_isRetriedOverTcp() throws Exception {
    var upstream = closing(new TestUpstream(LOOPBACK));
    DnsServer server =
        serve(options(List.of(upstream.address())), caches(NETWORKS, List.of(), List.of()));

    var udp = ask(server, 56, "big.example.test.", DnsRecordType.A);
    var tcp =
        WireClient.decode(
            WireClient.tcp(
                at(server, 56), WireClient.query(3, "big.example.test.", DnsRecordType.A, 0)));

    // The upstream writes 40 A records with names uncompressed: 12+22+40*32 = 1314 bytes, over
    // the 1232 EDNS0 allows; the client's TCP retry is answered from the cache.
    assertThat(upstream.tcpQuestions).containsExactly("big.example.test.");
    assertThat(udp.truncated()).isTrue();
    assertThat(tcp.truncated()).isFalse();
    assertThat(tcp.answers()).hasSize(40);
  }

  @Test
  void query_searchPathExpansionInsideTheDomain_isAnsweredLocallyNeverForwarded() throws Exception {
    var upstream = closing(new TestUpstream(LOOPBACK));
    DnsServer server =
        serve(options(List.of(upstream.address())), caches(NETWORKS, overlapping(), List.of()));

    var r = ask(server, 56, "web.demo.svc.cluster.local.demo.svc.cluster.local.", DnsRecordType.A);

    assertThat(r.rcode()).isEqualTo(3);
    assertThat(r.authoritative()).isTrue();
    assertThat(upstream.udpQuestions).isEmpty();
  }

  @Test
  void query_noUpstreamAnswers_servfailAfterTheTimeout() throws Exception {
    // A port where nothing listens: the query times out.
    InetSocketAddress silent;
    try (var s = new java.net.DatagramSocket(new InetSocketAddress(LOOPBACK, 0))) {
      silent = (InetSocketAddress) s.getLocalSocketAddress();
    }
    DnsOptions options = options(List.of(silent)).withUpstreamTimeout(Duration.ofMillis(200));
    DnsServer server = serve(options, caches(NETWORKS, List.of(), List.of()));

    assertThat(ask(server, 56, "host.example.test.", DnsRecordType.A).rcode()).isEqualTo(2);
  }

  @Test
  void update_networkGoneAndServiceDeleted_closesItsListenerAndAnswersNxdomain() throws Exception {
    DnsOptions options = options(List.of());
    DnsServer server = closing(new DnsServer(options));
    var records = new DnsRecords(options);
    server.update(records.update(caches(NETWORKS, overlapping(), List.of()), null));
    InetSocketAddress red = at(server, 57);

    server.update(
        records.update(
            caches(List.of(network("blue", 56)), List.of(overlapping().getFirst()), List.of()),
            null));
    assertThat(server.ports()).containsOnlyKeys(56);
    try (var c = new WireClient(LOOPBACK)) {
      assertThat(c.udp(red, WireClient.query(1, "cluster.local.", DnsRecordType.SOA, 0)))
          .as("red's listener is closed")
          .isNull();
    }
    server.update(
        records.update(
            caches(List.of(network("blue", 56)), List.of(), List.of()), Set.of("demo/web")));
    assertThat(ask(server, 56, "web.demo.svc.cluster.local.", DnsRecordType.A).rcode())
        .isEqualTo(3);
  }

  @Test
  void query_fromADefaultNetworkListener_isNotServedUnlessOptedIn() throws Exception {
    List<Service> services =
        List.of(service("default", "kubernetes", null, "172.30.0.1"), overlapping().getFirst());

    DnsServer off = serve(options(List.of()), caches(NETWORKS, services, List.of()));
    DnsServer on =
        serve(options(List.of()).withDefaultNetwork(true), caches(NETWORKS, services, List.of()));

    assertThat(off.ports()).doesNotContainKey(0);
    assertThat(on.ports()).containsKey(0);
    assertThat(ask(on, 0, "kubernetes.default.svc.cluster.local.", DnsRecordType.A).answers())
        .containsExactly("kubernetes.default.svc.cluster.local. A 172.30.0.1");
    assertThat(ask(on, 0, "web.demo.svc.cluster.local.", DnsRecordType.A).rcode()).isEqualTo(3);
    assertThat(ask(on, 56, "kubernetes.default.svc.cluster.local.", DnsRecordType.A).rcode())
        .isEqualTo(3);
  }

  @Test
  void metrics_afterQueries_countQueriesRcodesAndLatencyPerNetwork() throws Exception {
    DnsServer server = serve(options(List.of()), caches(NETWORKS, overlapping(), List.of()));

    ask(server, 56, "web.demo.svc.cluster.local.", DnsRecordType.A);
    ask(server, 57, "web.demo.svc.cluster.local.", DnsRecordType.A);

    String m = server.metrics().render();
    assertThat(m).contains("multinet_dns_queries_total{network=\"blue\"} 1");
    assertThat(m).contains("multinet_dns_queries_total{network=\"red\"} 1");
    assertThat(m).contains("multinet_dns_responses_total{network=\"blue\",rcode=\"NOERROR\"} 1");
    assertThat(m).contains("multinet_dns_responses_total{network=\"red\",rcode=\"NXDOMAIN\"} 1");
    assertThat(m).contains("multinet_dns_request_duration_seconds_count{network=\"red\"} 1");
    assertThat(m).contains("# TYPE multinet_dns_request_duration_seconds histogram");
  }

  @Test
  void query_rateLimitedSource_isDroppedWhileOthersAreAnswered() throws Exception {
    DnsOptions options = options(List.of()).withRateLimit(1, 5);
    DnsServer server = serve(options, caches(NETWORKS, overlapping(), List.of()));
    byte[] q = WireClient.query(5, "web.demo.svc.cluster.local.", DnsRecordType.A, 0);

    int answered = 0;
    try (var flood = new WireClient(InetAddress.getByName("127.0.0.2"));
        var other = new WireClient(InetAddress.getByName("127.0.0.3"))) {
      for (int i = 0; i < 20; i++) {
        flood.send(at(server, 56), q);
      }
      await()
          .atMost(Duration.ofSeconds(5))
          .until(
              () ->
                  server
                      .metrics()
                      .render()
                      .contains("multinet_dns_rate_limited_total{network=\"blue\"} 15"));
      while (flood.receive() != null) {
        answered++;
      }
      assertThat(other.udp(at(server, 56), q)).as("another source is answered").isNotNull();
    }
    assertThat(answered).isEqualTo(5);
  }
}
