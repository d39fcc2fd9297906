package io.multinet.dataplane.kernel;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** Parsing only, no kernel: the JSON is nft 1.0.6's {@code -j -t list table} of a small table. */
class TableShapeTest {

  private static final String LISTING =
      """
      {"nftables": [{"metainfo": {"version": "1.0.6", "json_schema_version": 1}},
       {"table": {"family": "inet", "name": "multinet", "handle": 1}},
       {"map": {"family": "inet", "name": "svc4", "table": "multinet",
         "type": ["integer", "ipv4_addr", "inet_proto", "inet_service"], "handle": 4,
         "map": "verdict", "size": 65536}},
       {"map": {"family": "inet", "name": "aff4_tcp", "table": "multinet",
         "type": ["integer", "ipv4_addr", "ipv4_addr", "inet_service"], "handle": 5,
         "map": "ipv4_addr . inet_service", "size": 1048576, "flags": ["timeout"]}},
       {"set": {"family": "inet", "name": "cluster4", "table": "multinet", "type": "ipv4_addr",
         "handle": 6, "flags": ["interval"]}},
       {"chain": {"family": "inet", "table": "multinet", "name": "lb1", "handle": 1}},
       {"chain": {"family": "inet", "table": "multinet", "name": "a", "handle": 2}},
       {"chain": {"family": "inet", "table": "multinet", "name": "nat_pre", "handle": 3,
         "type": "nat", "hook": "prerouting", "prio": -100, "policy": "accept"}},
       {"rule": {"family": "inet", "table": "multinet", "chain": "lb1", "handle": 7,
         "expr": [{"mangle": {"key": {"meta": {"key": "mark"}}, "value": 1}}]}},
       {"rule": {"family": "inet", "table": "multinet", "chain": "a", "handle": 8,
         "expr": [{"goto": {"target": "lb1"}}]}}]}
      """;

  @Test
  void fromTerseJson_readsChainsTheirTargetsAndSetShapes() {
    TableShape t = TableShape.fromTerseJson(LISTING);

    assertThat(t.chains()).containsOnlyKeys("lb1", "a", "nat_pre");
    assertThat(t.chains().get("a")).containsExactly("lb1");
    assertThat(t.sets())
        .containsEntry("svc4", new TableShape.SetShape(true, 65536, false))
        .containsEntry("aff4_tcp", new TableShape.SetShape(true, 1048576, true))
        .containsEntry("cluster4", new TableShape.SetShape(false, 0, false));
  }

  @Test
  void declaredBy_readsBlockAndAddDeclarations() {
    TableShape t =
        TableShape.declaredBy(
            """
            table inet multinet {
              map svc4 { typeof ct zone . ip daddr . meta l4proto . th dport : verdict; size 131072; }
              set cluster4 { type ipv4_addr; flags interval; auto-merge; }
              chain nat_pre {
                type nat hook prerouting priority dstnat; policy accept;
              }
            }
            add element inet multinet cluster4 { 10.0.0.0/16 }
            add map inet multinet aff6_x { typeof ip6 saddr : ip6 daddr; flags dynamic, timeout; size 65536; }
            add chain inet multinet aff6_x_lookup
            """);

    assertThat(t.chains()).containsOnlyKeys("nat_pre", "aff6_x_lookup");
    assertThat(t.sets())
        .containsEntry("svc4", new TableShape.SetShape(true, 131072, false))
        .containsEntry("cluster4", new TableShape.SetShape(false, 0, false))
        .containsEntry("aff6_x", new TableShape.SetShape(true, 65536, true));
  }

  @Test
  void staleChains_referrersComeBeforeTheChainsTheyJumpTo() {
    TableShape kernel = TableShape.fromTerseJson(LISTING);
    TableShape wanted = TableShape.declaredBy("table inet multinet {\n  chain nat_pre {\n  }\n}\n");

    // lb1 is listed first, but a jumps to it: the kernel refuses to delete lb1 while a exists.
    assertThat(kernel.staleChains(wanted)).containsExactly("a", "lb1");
    assertThat(kernel.staleSets(wanted)).containsOnlyKeys("svc4", "aff4_tcp", "cluster4");
  }
}
