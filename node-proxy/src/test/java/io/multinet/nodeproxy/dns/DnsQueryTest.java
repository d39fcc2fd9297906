package io.multinet.nodeproxy.dns;

import static io.multinet.nodeproxy.dns.DnsFixtures.caches;
import static io.multinet.nodeproxy.dns.DnsFixtures.externalName;
import static io.multinet.nodeproxy.dns.DnsFixtures.headless;
import static io.multinet.nodeproxy.dns.DnsFixtures.network;
import static io.multinet.nodeproxy.dns.DnsFixtures.service;
import static io.multinet.nodeproxy.dns.DnsFixtures.slice;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.fabric8.kubernetes.api.model.Service;
import io.multinet.kube.crd.NetworkResource;
import io.multinet.network.IpAddress;
import io.multinet.nodeproxy.Caches;
import io.multinet.nodeproxy.dns.DnsFixtures.Ep;
import io.netty.handler.codec.dns.DnsRecordType;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * {@link DnsSnapshot#query}, the answer {@code explain --trace network=N,name=NAME} prints, against
 * what the server sends for the same question over real UDP on loopback (read by netty's decoder,
 * {@link WireClient}). Networks blue (56) and red (57) overlap (see {@link DnsFixtures}).
 */
class DnsQueryTest {

  private static final InetAddress LOOPBACK = InetAddress.getLoopbackAddress();
  private static final List<NetworkResource> NETWORKS =
      List.of(network("blue", 56), network("red", 57));

  private final List<AutoCloseable> open = new ArrayList<>();

  @AfterEach
  void closeAll() throws Exception {
    for (AutoCloseable c : open.reversed()) {
      c.close();
    }
  }

  private DnsServer serve(DnsOptions options, Caches caches) {
    DnsServer server = new DnsServer(options);
    open.add(server);
    server.update(new DnsRecords(options).update(caches, null));
    return server;
  }

  private static DnsOptions options(List<InetSocketAddress> upstreams) {
    return DnsOptions.defaults()
        .withListenAddresses(List.of(LOOPBACK))
        .withNodeUpstreams(upstreams)
        .withRateLimit(0, 1);
  }

  private static Caches cluster() {
    List<Service> services =
        List.of(
            service("demo", "web", "blue", "10.96.0.10"),
            service("demo", "api", "red", "10.96.0.10"),
            headless("demo", "db", "blue", false),
            externalName("demo", "ext", "blue", "www.example.com"));
    return caches(
        NETWORKS,
        services,
        List.of(
            slice(
                "demo",
                "db",
                "blue",
                List.of(new Ep("10.1.0.5", "db-0", true), new Ep("10.1.0.6", null, true)))));
  }

  /** The question the server is asked and the snapshot is queried for. */
  private record Question(int network, String name, String type) {}

  @Test
  void query_everyKindOfLocalName_isWhatTheServerSends() throws Exception {
    DnsServer server = serve(options(List.of()), cluster());
    List<Question> questions =
        List.of(
            new Question(56, "web.demo.svc.cluster.local", "A"),
            new Question(57, "web.demo.svc.cluster.local", "A"), // blue's name, asked from red
            new Question(57, "api.demo.svc.cluster.local", "A"),
            new Question(56, "web.demo.svc.cluster.local", "AAAA"), // NODATA
            new Question(56, "demo.svc.cluster.local", "A"), // empty non-terminal
            new Question(56, "db.demo.svc.cluster.local", "A"), // headless
            new Question(56, "db-0.db.demo.svc.cluster.local", "A"),
            new Question(56, "_http._tcp.web.demo.svc.cluster.local", "SRV"),
            new Question(56, "_db._tcp.db.demo.svc.cluster.local", "SRV"),
            new Question(56, "10.0.96.10.in-addr.arpa", "PTR"),
            new Question(57, "10.0.96.10.in-addr.arpa", "PTR"),
            new Question(57, "99.0.96.10.in-addr.arpa", "PTR"), // in red's range, no record
            new Question(56, "10.0.96.10.in-addr.arpa", "A"), // reverse name, other type
            new Question(56, "ext.demo.svc.cluster.local", "CNAME"),
            new Question(56, "ext.demo.svc.cluster.local", "A"), // the alias answers every type
            new Question(56, "dns-version.cluster.local", "TXT"),
            new Question(56, "cluster.local", "SOA"),
            new Question(56, "cluster.local", "A"),
            new Question(56, "web.demo.svc.cluster.local.demo.svc.cluster.local", "A"),
            new Question(56, "nothing.example.test", "A")); // no upstreams: SERVFAIL

    try (var client = new WireClient(LOOPBACK)) {
      for (Question q : questions) {
        byte[] wire =
            client.udp(
                server.ports().get(q.network()).getFirst(),
                WireClient.query(1, q.name() + ".", DnsRecordType.valueOf(q.type()), 1232));
        assertThat(wire).as("server's answer to %s", q).isNotNull();
        WireClient.Answer sent = WireClient.decode(wire);
        DnsAnswer traced = server.snapshot().query(q.network(), q.name(), q.type());

        assertThat(traced.rcode()).as("rcode of %s", q).isEqualTo(Wire.rcodeName(sent.rcode()));
        assertThat(traced.authoritative()).as("AA of %s", q).isEqualTo(sent.authoritative());
        assertThat(traced.answer().stream().map(DnsQueryTest::asWireClient).toList())
            .as("answer to %s", q)
            .containsExactlyElementsOf(sent.answers());
        assertThat(traced.authority().stream().map(DnsQueryTest::asWireClient).toList())
            .as("authority of %s", q)
            .containsExactlyElementsOf(sent.authority());
      }
    }
  }

  /** {@link WireClient}'s text of a record: no TTL, TXT unquoted, SOA by its primary name only. */
  private static String asWireClient(DnsAnswer.ResourceRecord r) {
    String data =
        switch (r.type()) {
          case "TXT" -> r.data().substring(1, r.data().length() - 1);
          case "SOA" -> r.data().substring(0, r.data().indexOf(' '));
          default -> r.data();
        };
    return r.name() + " " + r.type() + " " + data;
  }

  @Test
  void query_records_readAsZoneFilesWriteThem() {
    DnsSnapshot snapshot =
        new DnsRecords(options(List.of()).withTtlSeconds(30)).update(cluster(), null);

    DnsAnswer web = snapshot.query(56, "Web.Demo.SVC.cluster.local.", "a");
    DnsAnswer srv = snapshot.query(56, "_db._tcp.db.demo.svc.cluster.local", "SRV");
    DnsAnswer nx = snapshot.query(57, "web.demo.svc.cluster.local", "A");
    DnsAnswer ptr = snapshot.query(57, DnsAnswer.reverseName(IpAddress.parse("10.96.0.10")), "PTR");

    assertThat(web.network()).isEqualTo("blue");
    assertThat(web.name()).isEqualTo("web.demo.svc.cluster.local.");
    assertThat(web.type()).isEqualTo("A");
    assertThat(web.answer())
        .containsExactly(
            new DnsAnswer.ResourceRecord("web.demo.svc.cluster.local.", "A", 30, "10.96.0.10"));
    assertThat(web.answer().getFirst())
        .hasToString("web.demo.svc.cluster.local. 30 IN A 10.96.0.10");
    assertThat(srv.answer())
        .extracting(DnsAnswer.ResourceRecord::data)
        .containsExactlyInAnyOrder(
            "0 50 5432 db-0.db.demo.svc.cluster.local.",
            "0 50 5432 10-1-0-6.db.demo.svc.cluster.local.");
    assertThat(nx.rcode()).isEqualTo("NXDOMAIN");
    assertThat(nx.answer()).isEmpty();
    assertThat(nx.authority())
        .containsExactly(
            new DnsAnswer.ResourceRecord(
                "cluster.local.",
                "SOA",
                30,
                "ns.dns.cluster.local. hostmaster.cluster.local. "
                    + snapshot.revision()
                    + " 7200 1800 86400 30"));
    assertThat(ptr.name()).isEqualTo("10.0.96.10.in-addr.arpa.");
    assertThat(ptr.answer())
        .extracting(DnsAnswer.ResourceRecord::data)
        .containsExactly("api.demo.svc.cluster.local.");
    assertThat(web.forwarded()).isFalse();
    assertThat(web.upstreams()).isEmpty();
  }

  @Test
  void query_outsideTheDomain_namesTheUpstreamsAndSendsNothing() throws Exception {
    var upstream = new TestUpstream(LOOPBACK);
    open.add(upstream);
    InetSocketAddress own = new InetSocketAddress(InetAddress.getByName("192.0.2.53"), 53);
    DnsSnapshot snapshot =
        new DnsRecords(options(List.of(upstream.address())))
            .update(
                caches(
                    List.of(network("blue", 56), network("red", 57, List.of("192.0.2.53"))),
                    List.of(),
                    List.of()),
                null);

    DnsAnswer blue = snapshot.query(56, "host.example.test", "A");
    DnsAnswer red = snapshot.query(57, "host.example.test", "A");

    assertThat(blue.forwarded()).isTrue();
    assertThat(blue.rcode()).as("the upstream's answer decides").isNull();
    assertThat(blue.authoritative()).isFalse();
    assertThat(blue.upstreams()).containsExactly(upstream.address());
    assertThat(blue.ownUpstreams()).isFalse();
    assertThat(red.upstreams()).containsExactly(own);
    assertThat(red.ownUpstreams()).isTrue();
    assertThat(upstream.udpQuestions).isEmpty();
    assertThat(upstream.tcpQuestions).isEmpty();
  }

  @Test
  void query_badQuestion_isRefusedWithTheExpectedValues() {
    DnsSnapshot snapshot = new DnsRecords(options(List.of())).update(cluster(), null);

    assertThatThrownBy(() -> snapshot.query(56, "web.demo.svc.cluster.local", "MX"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("type: MX (expected: one of A, AAAA, CNAME, PTR, SRV, TXT, SOA, ANY)");
    assertThatThrownBy(() -> snapshot.query(56, "web..cluster.local", "A"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage(
            "name: web..cluster.local (expected: a DNS name, labels of 1-63 printable ASCII"
                + " characters)");
    assertThatThrownBy(() -> snapshot.query(56, "wéb.cluster.local", "A"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageStartingWith("name: wéb.cluster.local");
    assertThatThrownBy(() -> snapshot.query(99, "web.demo.svc.cluster.local", "A"))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("network: 99 (expected: a network with DNS: {56=blue, 57=red})");
  }
}
