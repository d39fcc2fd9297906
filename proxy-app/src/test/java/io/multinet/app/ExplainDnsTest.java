package io.multinet.app;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.ObjectMapper;

/**
 * explain and per-network DNS: the report's {@code dns} per network and {@code --trace
 * network=N,name=NAME}. examples/dns: blue (56) and red (57) overlap in every range (VIPs
 * 10.96.0.0/16, pods 10.1.0.0/16) and both request DNS at 10.96.0.53; blue's upstream is 192.0.2.53
 * (TEST-NET-1, never contacted: a trace sends nothing).
 */
class ExplainDnsTest {

  private static final ObjectMapper JSON = new ObjectMapper();

  /** One run of the CLI: exit code, stdout, stderr. */
  private record Run(int exit, String out, String err) {}

  private static Run run(String... args) {
    var out = new StringWriter();
    var err = new StringWriter();
    var cli = MultinetProxy.newCommandLine();
    cli.setOut(new PrintWriter(out));
    cli.setErr(new PrintWriter(err));
    List<String> full = new ArrayList<>(List.of("explain"));
    full.addAll(List.of(args));
    int exit = cli.execute(full.toArray(String[]::new));
    return new Run(exit, out.toString(), err.toString());
  }

  private static JsonNode network(JsonNode report, String name) {
    for (JsonNode n : report.path("networks")) {
      if (n.path("name").asString().equals(name)) {
        return n;
      }
    }
    throw new AssertionError("no network " + name + " in " + report);
  }

  @Test
  void explain_dnsExample_loadsCleanlyAndReportsEachNetworksDns() throws Exception {
    Run r = run("--manifests", "../examples/dns", "-o", "json");

    assertThat(r.exit()).as("stderr: %s", r.err()).isZero();
    JsonNode report = JSON.readTree(r.out());
    // The example stays loadable: no manifest refused, no Warning from the controller.
    assertThat(report.path("events")).as("%s", report.path("events")).isEmpty();
    assertThat(network(report, "blue").path("dns").toString())
        .isEqualTo(
            "{\"clusterIPs\":[\"10.96.0.53\"],\"clusterDomain\":\"cluster.local\","
                + "\"upstreams\":[\"192.0.2.53:53\"]}");
    assertThat(network(report, "red").path("dns").toString())
        .isEqualTo("{\"clusterIPs\":[\"10.96.0.53\"],\"clusterDomain\":\"cluster.local\"}");
  }

  @Test
  void explain_dnsAddressNotRequested_isPending(@TempDir Path dir) throws Exception {
    Files.writeString(
        dir.resolve("networks.yaml"),
        """
        apiVersion: multinet.io/v1alpha1
        kind: Network
        metadata: {name: fresh}
        spec: {id: 60, serviceCIDRs: ["10.96.0.0/16"]}
        ---
        apiVersion: multinet.io/v1alpha1
        kind: Network
        metadata: {name: dumped, uid: 7d1e}
        spec: {id: 61, serviceCIDRs: ["10.97.0.0/16"], dns: {clusterDomain: Tenant.Example.}}
        status: {dns: {clusterIPs: ["10.97.33.4"]}}
        ---
        apiVersion: multinet.io/v1alpha1
        kind: Network
        metadata: {name: flat}
        spec: {id: 62, podCIDRs: ["10.1.0.0/16"]}
        """);

    Run r = run("--manifests", dir.toString(), "--cluster-domain", "corp.internal");

    assertThat(r.exit()).as("stderr: %s", r.err()).isZero();
    JsonNode report = JSON.readTree(r.out());
    assertThat(network(report, "fresh").path("dns").toString())
        .isEqualTo("{\"clusterIPs\":[],\"clusterDomain\":\"corp.internal\",\"pending\":true}");
    // The API server drops status on create, as a real one does: a dump's status.dns is not
    // loaded, so its address is pending too.
    assertThat(network(report, "dumped").path("dns").toString())
        .isEqualTo("{\"clusterIPs\":[],\"clusterDomain\":\"tenant.example\",\"pending\":true}");
    assertThat(network(report, "flat").has("dns")).as("no serviceCIDRs: no DNS").isFalse();
  }

  @Test
  void explainTrace_dnsQuestions_printTheNodesAnswerPerNetwork() {
    Run r =
        run(
            "--manifests",
            "../examples/dns",
            "--trace",
            "network=blue,name=web.shop.svc.cluster.local",
            "--trace",
            "network=red,name=web.shop.svc.cluster.local",
            "--trace",
            "network=red,name=WEB.shop-red.svc.cluster.local.,type=a",
            "--trace",
            "network=blue,name=_pg._tcp.db.shop.svc.cluster.local,type=SRV",
            "--trace",
            "network=red,name=10.96.0.10",
            "--trace",
            "network=blue,name=search.shop.svc.cluster.local,type=AAAA",
            "--trace",
            "network=blue,name=www.example.org",
            "--trace",
            "network=default,name=kubernetes.default.svc.cluster.local");

    assertThat(r.exit()).as("stderr: %s", r.err()).isZero();
    List<String> blocks = List.of(r.out().strip().split("\n\n", -1));
    assertThat(blocks).hasSize(8);
    assertThat(blocks.get(0))
        .isEqualTo(
            """
            dns web.shop.svc.cluster.local. A from network blue (id 56) on node node-1
            NOERROR, authoritative
            answer:
              web.shop.svc.cluster.local. 5 IN A 10.96.0.10""");
    // blue's name asked from red: red knows nothing about it.
    assertThat(blocks.get(1))
        .contains("from network red (id 57)")
        .contains("NXDOMAIN, authoritative")
        .containsPattern(
            "authority:\n  cluster.local. 5 IN SOA ns.dns.cluster.local. hostmaster.cluster.local."
                + " \\d+ 7200 1800 86400 5");
    assertThat(blocks.get(2)).contains("  web.shop-red.svc.cluster.local. 5 IN A 10.96.0.10");
    assertThat(blocks.get(3))
        .contains(
            "  _pg._tcp.db.shop.svc.cluster.local. 5 IN SRV 0 100 5432"
                + " 10-1-0-12.db.shop.svc.cluster.local.");
    // An address asks for its PTR: the same VIP is red's own Service in red.
    assertThat(blocks.get(4))
        .contains("dns 10.0.96.10.in-addr.arpa. PTR from network red")
        .contains("  10.0.96.10.in-addr.arpa. 5 IN PTR web.shop-red.svc.cluster.local.");
    assertThat(blocks.get(5))
        .contains("  search.shop.svc.cluster.local. 5 IN CNAME search.example.com.");
    assertThat(blocks.get(6))
        .endsWith(
            "outside cluster.local: forwarded to 192.0.2.53:53 (the network's"
                + " spec.dns.upstreams) unless the node's cache has the answer; the upstream's"
                + " answer decides (nothing was sent)");
    assertThat(blocks.get(7)).contains("the default network's names are the cluster's own DNS");
  }

  @Test
  void explainTrace_dnsJson_oneObjectPerTraceBesideConnections() throws Exception {
    Run r =
        run(
            "--manifests",
            "../examples/dns",
            "-o",
            "json",
            "--dns-upstream",
            "[2001:db8::53]:5353",
            "--trace",
            "network=blue,name=db.shop.svc.cluster.local",
            "--trace",
            "network=red,name=nothing.shop.svc.cluster.local",
            "--trace",
            "network=red,name=www.example.org,type=TXT",
            "--trace",
            "network=blue,dst=10.96.0.10:80/TCP");

    assertThat(r.exit()).as("stderr: %s", r.err()).isZero();
    JsonNode list = JSON.readTree(r.out());
    assertThat(list).hasSize(4);
    JsonNode db = list.get(0);
    assertThat(db.path("trace").asString())
        .isEqualTo("network=blue,name=db.shop.svc.cluster.local");
    assertThat(db.path("network").asString()).isEqualTo("blue");
    assertThat(db.path("name").asString()).isEqualTo("db.shop.svc.cluster.local.");
    assertThat(db.path("type").asString()).isEqualTo("A");
    assertThat(db.path("rcode").asString()).isEqualTo("NOERROR");
    assertThat(db.path("authoritative").asBoolean()).isTrue();
    assertThat(db.path("answer").toString())
        .isEqualTo(
            "[{\"name\":\"db.shop.svc.cluster.local.\",\"type\":\"A\",\"ttl\":5,"
                + "\"data\":\"10.1.0.12\"}]");
    assertThat(db.path("authority")).isEmpty();
    assertThat(db.path("forwardedTo").isNull()).isTrue();
    JsonNode nx = list.get(1);
    assertThat(nx.path("rcode").asString()).isEqualTo("NXDOMAIN");
    assertThat(nx.path("authority").get(0).path("type").asString()).isEqualTo("SOA");
    JsonNode out = list.get(2);
    assertThat(out.path("rcode").isNull()).as("the upstream decides").isTrue();
    assertThat(out.path("authoritative").asBoolean()).isFalse();
    // red names no upstreams of its own: the node's, here --dns-upstream.
    assertThat(out.path("forwardedTo").toString()).isEqualTo("[\"[2001:db8::53]:5353\"]");
    assertThat(list.get(3).path("choice").asString()).isEqualTo("random");
  }

  @Test
  void explainTrace_badDnsQuestion_isAOneLineErrorExit2() {
    for (var c :
        List.of(
            List.of(
                "--trace",
                "network=blue,name=web.shop.svc.cluster.local,type=MX",
                "explain: type: MX (expected: one of A, AAAA, CNAME, PTR, SRV, TXT, SOA, ANY)"),
            List.of(
                "--trace",
                "network=blue,name=web..cluster.local",
                "explain: name: web..cluster.local (expected: a DNS name, labels of 1-63 printable"
                    + " ASCII characters)"),
            List.of(
                "--trace",
                "network=nowhere,name=x.cluster.local,type=SPF",
                "explain: type: SPF (expected: one of A, AAAA, CNAME, PTR, SRV, TXT, SOA, ANY)"),
            List.of(
                "--trace",
                "network=blue,name=web,dst=10.96.0.10:80",
                "explain: --trace: network=blue,name=web,dst=10.96.0.10:80 (expected:"
                    + " network=NAME,name=NAME[,type=A|AAAA|CNAME|PTR|SRV|TXT|SOA|ANY]; name may"
                    + " be an address for PTR)"),
            List.of(
                "--trace",
                "network=blue",
                "explain: --trace: network=blue (expected: dst=ADDR:PORT/PROTO, or name=NAME for a"
                    + " DNS question)"),
            List.of(
                "--cluster-domain",
                "bad..domain",
                "explain: --cluster-domain: bad..domain (expected: a DNS name such as"
                    + " cluster.local)"),
            List.of(
                "--dns-upstream",
                "192.0.2.1:0",
                "explain: --dns-upstream: 192.0.2.1:0 (expected: ADDR, ADDR:PORT or"
                    + " [IPv6]:PORT, port 1-65535)"))) {
      Run r = run("--manifests", "../examples/dns", c.get(0), c.get(1));

      assertThat(r.exit()).as("%s", c).isEqualTo(2);
      assertThat(r.err().strip()).as("%s", c).isEqualTo(c.get(2));
      assertThat(r.out()).as("%s", c).isEmpty();
    }
  }
}
