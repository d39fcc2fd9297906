package io.multinet.dataplane.kernel;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowableOfType;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.multinet.dataplane.lab.LabAssumptions;
import io.multinet.dataplane.lab.LabNamespaces;
import io.multinet.network.IpAddress;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * {@link NfNetlink} and {@link SetElementBatch} against the kernel, in a network namespace each
 * test creates and deletes. Every map has a twin ({@code X} and {@code X_text}, same type): the
 * same elements go into {@code X} through netlink and into the twin through nft text, and the two
 * must list identically. Address ranges: VIPs 10.96.0.0/16 and fd00:96::/64, endpoints 10.1.0.0/16
 * and fd00:1::/64, external 203.0.113.0/24 (TEST-NET-3), as the golden test's.
 */
class NfNetlinkTest {

  private static final int TCP = 6;
  private static final int UDP = 17;

  /** The maps as NftRenderer declares them, each with its nft-text twin, and verdict targets. */
  private static final String TABLE;

  static {
    String[][] maps = {
      {"svc4", "ct zone . ip daddr . meta l4proto . th dport : verdict; size 65536"},
      {"affsvc4", "ct zone . ip daddr . meta l4proto . th dport : verdict; size 65536"},
      {"svc6", "ct zone . ip6 daddr . meta l4proto . th dport : verdict; size 65536"},
      {
        "ep4_tcp",
        "ct zone . ip daddr . tcp dport . numgen random mod 1 : ip daddr . tcp dport; size 1048576"
      },
      {
        "ep4_udp",
        "ct zone . ip daddr . udp dport . numgen random mod 1 : ip daddr . udp dport; size 1048576"
      },
      {
        "ep6_tcp",
        "ct zone . ip6 daddr . tcp dport . numgen random mod 1 : ip6 daddr . tcp dport;"
            + " size 1048576"
      },
      {"hairpin4", null},
    };
    var sb = new StringBuilder("table inet multinet {\n");
    for (String chain : List.of("lb_rand_1", "lb_rand_2", "aff_rec_30", "no_endpoints")) {
      sb.append("  chain ").append(chain).append(" {\n  }\n");
    }
    for (String[] m : maps) {
      for (String name : List.of(m[0], m[0] + "_text")) {
        if (m[1] == null) {
          sb.append("  set ")
              .append(name)
              .append(" { typeof ct zone . ip saddr . ip daddr; size 65536; }\n");
        } else {
          sb.append("  map ").append(name).append(" { typeof ").append(m[1]).append("; }\n");
        }
      }
    }
    TABLE = sb.append("}\n").toString();
  }

  private String netns = "";
  private NftExecutor nft;
  private NfNetlink netlink;
  private SetElementBatch batch;

  @BeforeEach
  void setUp() throws Exception {
    LabAssumptions.assumeKernelDataplane();
    assumeTrue(Files.exists(Path.of("/usr/sbin/nft")), "needs nft (bin/test installs it)");
    netns = LabNamespaces.create("mpn");
    nft = new NftExecutor(netns);
    nft.run(TABLE);
    netlink = NfNetlink.open(netns);
    batch = new SetElementBatch("multinet");
  }

  @AfterEach
  void tearDown() throws Exception {
    try {
      if (netlink != null) {
        netlink.close();
      }
    } finally {
      try {
        if (nft != null) {
          nft.close();
        }
      } finally {
        if (!netns.isEmpty()) {
          LabNamespaces.delete(netns);
        }
      }
    }
  }

  @Test
  void commit_svc4Verdicts_listLikeNftText() throws Exception {
    String[] verdicts = {"goto lb_rand_2", "jump lb_rand_1", "drop", "accept", "goto no_endpoints"};
    var text = new ArrayList<String>();
    int i = 0;
    for (int zone : new int[] {0, 56, 65535}) {
      for (String vip : new String[] {"10.96.0.1", "10.96.255.254", "203.0.113.7"}) {
        for (int proto : new int[] {TCP, UDP}) {
          for (int port : new int[] {1, 80, 65535}) {
            String verdict = verdicts[i++ % verdicts.length];
            verdict(
                batch.add("svc4").zone(zone).ipv4(IpAddress.parse(vip)).proto(proto).port(port),
                verdict);
            text.add(
                zone + " . " + vip + " . " + protoName(proto) + " . " + port + " : " + verdict);
          }
        }
      }
    }
    addText("svc4_text", text);

    netlink.commit(batch);

    assertThat(elements("svc4")).hasSize(text.size()).isEqualTo(elements("svc4_text"));
  }

  @Test
  void commit_affinityAndIpv6Services_listLikeNftText() throws Exception {
    var aff = new ArrayList<String>();
    var svc6 = new ArrayList<String>();
    for (int n = 1; n <= 20; n++) {
      String vip4 = "10.96.1." + n;
      batch
          .add("affsvc4")
          .zone(n)
          .ipv4(IpAddress.parse(vip4))
          .proto(UDP)
          .port(53)
          .goTo("aff_rec_30");
      aff.add(n + " . " + vip4 + " . udp . 53 : goto aff_rec_30");
      String vip6 = "fd00:96::" + Integer.toHexString(n << 8 | n);
      batch.add("svc6").zone(n).ipv6(IpAddress.parse(vip6)).proto(TCP).port(443).goTo("lb_rand_2");
      svc6.add(n + " . " + vip6 + " . tcp . 443 : goto lb_rand_2");
    }
    addText("affsvc4_text", aff);
    addText("svc6_text", svc6);

    netlink.commit(batch);

    assertThat(elements("affsvc4")).hasSize(20).isEqualTo(elements("affsvc4_text"));
    assertThat(elements("svc6")).hasSize(20).isEqualTo(elements("svc6_text"));
  }

  @Test
  void commit_endpointSlots_listLikeNftText() throws Exception {
    // Slots up to a Maglev table's size (65537 and more: wider than 16 bits).
    int[] slots = {0, 1, 2, 255, 256, 65535, 65536, 65537, 131071, 1 << 20};
    var ep4 = new ArrayList<String>();
    var ep6 = new ArrayList<String>();
    var udp = new ArrayList<String>();
    for (int zone : new int[] {0, 56}) {
      for (int s = 0; s < slots.length; s++) {
        String vip = "10.96.0." + (s + 1);
        String ep = "10.1." + s + "." + (zone + 1);
        batch
            .add("ep4_tcp")
            .zone(zone)
            .ipv4(IpAddress.parse(vip))
            .port(80)
            .u32(slots[s])
            .data()
            .ipv4(IpAddress.parse(ep))
            .port(8080 + s)
            .end();
        ep4.add(zone + " . " + vip + " . 80 . " + slots[s] + " : " + ep + " . " + (8080 + s));
        batch
            .add("ep4_udp")
            .zone(zone)
            .ipv4(IpAddress.parse(vip))
            .port(53)
            .u32(slots[s])
            .data()
            .ipv4(IpAddress.parse(ep))
            .port(5353)
            .end();
        udp.add(zone + " . " + vip + " . 53 . " + slots[s] + " : " + ep + " . 5353");
        String vip6 = "fd00:96::" + Integer.toHexString(s + 1);
        String epAddr6 = "fd00:1::" + Integer.toHexString(s << 8 | zone);
        batch
            .add("ep6_tcp")
            .zone(zone)
            .ipv6(IpAddress.parse(vip6))
            .port(65535)
            .u32(slots[s])
            .data()
            .ipv6(IpAddress.parse(epAddr6))
            .port(1)
            .end();
        ep6.add(zone + " . " + vip6 + " . 65535 . " + slots[s] + " : " + epAddr6 + " . 1");
      }
    }
    addText("ep4_tcp_text", ep4);
    addText("ep4_udp_text", udp);
    addText("ep6_tcp_text", ep6);

    netlink.commit(batch);

    assertThat(elements("ep4_tcp")).hasSize(ep4.size()).isEqualTo(elements("ep4_tcp_text"));
    assertThat(elements("ep4_udp")).hasSize(udp.size()).isEqualTo(elements("ep4_udp_text"));
    assertThat(elements("ep6_tcp")).hasSize(ep6.size()).isEqualTo(elements("ep6_tcp_text"));
  }

  @Test
  void commit_setWithoutData_listsLikeNftText() throws Exception {
    batch
        .add("hairpin4")
        .zone(56)
        .ipv4(IpAddress.parse("10.1.0.11"))
        .ipv4(IpAddress.parse("10.1.0.11"))
        .end();
    batch
        .add("hairpin4")
        .zone(0)
        .ipv4(IpAddress.parse("10.1.0.6"))
        .ipv4(IpAddress.parse("10.1.0.6"))
        .end();
    addText("hairpin4_text", List.of("56 . 10.1.0.11 . 10.1.0.11", "0 . 10.1.0.6 . 10.1.0.6"));

    netlink.commit(batch);

    assertThat(elements("hairpin4")).hasSize(2).isEqualTo(elements("hairpin4_text"));
  }

  @Test
  void commit_deletes_removeExactlyThoseElements() throws Exception {
    var all = new ArrayList<String>();
    for (int s = 0; s < 10; s++) {
      ep4(batch.add("ep4_tcp"), 56, "10.96.0.10", 80, s, "10.1.0." + (10 + s), 8080);
      all.add("56 . 10.96.0.10 . 80 . " + s + " : 10.1.0." + (10 + s) + " . 8080");
      batch
          .add("svc4")
          .zone(56)
          .ipv4(IpAddress.parse("10.96.0." + (10 + s)))
          .proto(TCP)
          .port(80)
          .goTo("lb_rand_2");
    }
    addText("ep4_tcp_text", all);
    netlink.commit(batch);
    batch.reset();

    // Delete the odd slots and every svc4 element; the text twin loses the same slots.
    var deleted = new ArrayList<String>();
    for (int s = 1; s < 10; s += 2) {
      batch.delete("ep4_tcp").zone(56).ipv4(IpAddress.parse("10.96.0.10")).port(80).u32(s).end();
      deleted.add("56 . 10.96.0.10 . 80 . " + s);
    }
    for (int s = 0; s < 10; s++) {
      batch
          .delete("svc4")
          .zone(56)
          .ipv4(IpAddress.parse("10.96.0." + (10 + s)))
          .proto(TCP)
          .port(80)
          .end();
    }
    nft.run("delete element inet multinet ep4_tcp_text { " + String.join(", ", deleted) + " }");
    netlink.commit(batch);

    assertThat(elements("ep4_tcp")).hasSize(5).isEqualTo(elements("ep4_tcp_text"));
    assertThat(elements("svc4")).isEmpty();
  }

  @Test
  void commit_flushThenAdd_replacesTheSetsElements() throws Exception {
    for (int s = 0; s < 4; s++) {
      ep4(batch.add("ep4_tcp"), 56, "10.96.0.10", 80, s, "10.1.0." + (10 + s), 8080);
    }
    netlink.commit(batch);
    batch.reset();

    // Slot 0 is added again unchanged, slot 1 gets a new backend, slots 2 and 3 go.
    batch.flush("ep4_tcp");
    ep4(batch.add("ep4_tcp"), 56, "10.96.0.10", 80, 0, "10.1.0.10", 8080);
    ep4(batch.add("ep4_tcp"), 56, "10.96.0.10", 80, 1, "10.1.0.99", 8080);
    netlink.commit(batch);

    assertThat(elements("ep4_tcp"))
        .containsExactly(
            "56 . 10.96.0.10 . 80 . 0 : 10.1.0.10 . 8080",
            "56 . 10.96.0.10 . 80 . 1 : 10.1.0.99 . 8080");
  }

  @Test
  void commit_flushThenFailingAdd_keepsTheOldElements() throws Exception {
    ep4(batch.add("ep4_tcp"), 56, "10.96.0.10", 80, 0, "10.1.0.10", 8080);
    netlink.commit(batch);
    batch.reset();

    batch.flush("ep4_tcp");
    batch.add("svc4").zone(56).ipv4(IpAddress.parse("10.96.0.10")).proto(TCP).port(80).goTo("x");
    assertThat(catchThrowableOfType(NfNetlinkException.class, () -> netlink.commit(batch)))
        .hasMessageContaining("svc4");

    assertThat(elements("ep4_tcp")).containsExactly("56 . 10.96.0.10 . 80 . 0 : 10.1.0.10 . 8080");
  }

  @Test
  void commit_missingSet_abortsWholeBatch() throws Exception {
    addText("svc4", List.of("56 . 10.96.0.1 . tcp . 80 : goto lb_rand_1"));
    List<String> before = elements("svc4");
    for (int s = 0; s < 100; s++) {
      ep4(batch.add("ep4_tcp"), 56, "10.96.0.1", 80, s, "10.1.0.1", 8080);
    }
    batch
        .add("svc4")
        .zone(56)
        .ipv4(IpAddress.parse("10.96.0.2"))
        .proto(TCP)
        .port(80)
        .goTo("lb_rand_1");
    batch.delete("svc4").zone(56).ipv4(IpAddress.parse("10.96.0.1")).proto(TCP).port(80).end();
    batch.add("nosuchmap").zone(56).ipv4(IpAddress.parse("10.96.0.3")).proto(TCP).port(80).drop();

    var e = catchThrowableOfType(NfNetlinkException.class, () -> netlink.commit(batch));

    assertThat(e.errno()).isEqualTo(2);
    assertThat(e.set()).isEqualTo("nosuchmap");
    assertThat(e.message()).isEqualTo(3);
    assertThat(e.getMessage())
        .contains("No such file or directory (errno 2)")
        .contains("add element inet multinet nosuchmap (message 4 of 4");
    assertThat(elements("svc4")).isEqualTo(before);
    assertThat(elements("ep4_tcp")).isEmpty();
  }

  @Test
  void commit_duplicateCreate_abortsAndNamesTheElement() throws Exception {
    addText("ep4_tcp", List.of("56 . 10.96.0.1 . 80 . 40 : 10.1.0.40 . 8080"));
    List<String> before = elements("ep4_tcp");
    // Small messages, so that the duplicate sits in a later message than the first.
    {
      var small = new SetElementBatch("multinet", 1024);
      for (int s = 0; s < 100; s++) {
        ep4(small.create("ep4_tcp"), 56, "10.96.0.1", 80, s, "10.1.0." + s, 8080);
      }
      assertThat(small.messages()).isGreaterThan(2);

      var e = catchThrowableOfType(NfNetlinkException.class, () -> netlink.commit(small));

      assertThat(e.errno()).isEqualTo(17);
      assertThat(e.element()).isEqualTo(40);
      assertThat(e.message()).isPositive();
      assertThat(e.set()).isEqualTo("ep4_tcp");
      assertThat(e.getMessage())
          .contains("File exists (errno 17)")
          .contains("create element inet multinet ep4_tcp")
          .contains("element #40");
    }
    assertThat(elements("ep4_tcp")).isEqualTo(before);
  }

  @Test
  void commit_deleteOfMissingElement_abortsTheAdds() throws Exception {
    ep4(batch.add("ep4_tcp"), 56, "10.96.0.1", 80, 0, "10.1.0.1", 8080);
    batch.delete("ep4_tcp").zone(56).ipv4(IpAddress.parse("10.96.0.1")).port(80).u32(1).end();

    var e = catchThrowableOfType(NfNetlinkException.class, () -> netlink.commit(batch));

    assertThat(e.errno()).isEqualTo(2);
    assertThat(e.element()).isEqualTo(1);
    assertThat(elements("ep4_tcp")).isEmpty();
  }

  @Test
  void commit_afterFailure_socketStillWorks() throws Exception {
    batch.add("nosuchmap").zone(1).ipv4(1).proto(TCP).port(80).drop();
    assertThat(catchThrowableOfType(NfNetlinkException.class, () -> netlink.commit(batch)))
        .isNotNull();
    batch.reset();
    batch.add("svc4").zone(1).ipv4(IpAddress.parse("10.96.0.1")).proto(TCP).port(80).drop();

    netlink.commit(batch);

    assertThat(elements("svc4")).containsExactly("1 . 10.96.0.1 . tcp . 80 : drop");
  }

  @Test
  void commit_fullLoadOf110kElements_isOneTransaction() throws Exception {
    // 10k services x 10 endpoints: 10k svc4 verdicts and 100k ep4_tcp slots (several MB).
    var expectedSvc = new ArrayList<String>();
    var expectedEp = new ArrayList<String>();
    for (int n = 0; n < 10_000; n++) {
      int vip = 0x0a600000 | n; // 10.96.x.y
      String vipText = "10.96." + (n >> 8) + "." + (n & 0xff);
      batch.add("svc4").zone(56).ipv4(vip).proto(TCP).port(80).goTo("lb_rand_2");
      expectedSvc.add("56 . " + vipText + " . tcp . 80 : goto lb_rand_2");
      for (int s = 0; s < 10; s++) {
        batch
            .add("ep4_tcp")
            .zone(56)
            .ipv4(vip)
            .port(80)
            .u32(s)
            .data()
            .ipv4(0x0a010000 | ((n * 10 + s) & 0xffff))
            .port(8080)
            .end();
        int ep = (n * 10 + s) & 0xffff;
        expectedEp.add(
            "56 . "
                + vipText
                + " . 80 . "
                + s
                + " : 10.1."
                + (ep >> 8)
                + "."
                + (ep & 0xff)
                + " . 8080");
      }
    }
    assertThat(batch.elements()).isEqualTo(110_000);
    assertThat(batch.bytes()).isGreaterThan(4_000_000);

    netlink.commit(batch);

    expectedSvc.sort(null);
    expectedEp.sort(null);
    assertThat(elements("svc4")).isEqualTo(expectedSvc);
    assertThat(elements("ep4_tcp")).isEqualTo(expectedEp);
  }

  // ---- helpers ----

  private static void ep4(
      ElementKey e, int zone, String vip, int port, int slot, String ep, int epPort) {
    e.zone(zone)
        .ipv4(IpAddress.parse(vip))
        .port(port)
        .u32(slot)
        .data()
        .ipv4(IpAddress.parse(ep))
        .port(epPort)
        .end();
  }

  private static void verdict(ElementKey e, String verdict) {
    String[] v = verdict.split(" ");
    switch (v[0]) {
      case "goto" -> e.goTo(v[1]);
      case "jump" -> e.jump(v[1]);
      case "drop" -> e.drop();
      case "accept" -> e.accept();
      default -> throw new IllegalArgumentException("verdict: " + verdict);
    }
  }

  private static String protoName(int proto) {
    return proto == TCP ? "tcp" : "udp";
  }

  private void addText(String map, List<String> elements) throws NftException {
    nft.run("add element inet multinet " + map + " { " + String.join(", ", elements) + " }");
  }

  /** The elements {@code nft list} prints for a map, sorted (hash order differs per map). */
  private List<String> elements(String map) throws Exception {
    Process p =
        new ProcessBuilder(
                "ip",
                "netns",
                "exec",
                netns,
                "nft",
                "list",
                map.startsWith("hairpin") ? "set" : "map",
                "inet",
                "multinet",
                map)
            .redirectErrorStream(true)
            .start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(p.exitValue()).as(out).isZero();
    int from = out.indexOf("elements = {");
    if (from < 0) {
      return List.of();
    }
    String body = out.substring(from + "elements = {".length(), out.indexOf('}', from));
    List<String> list = new ArrayList<>(Arrays.stream(body.split(",")).map(String::strip).toList());
    list.sort(null);
    return list;
  }
}
