package io.multinet.dataplane.kernel;

import static org.assertj.core.api.Assertions.assertThat;

import org.junit.jupiter.api.Test;

/** Parsing only, no kernel: the JSON is nft 1.0.6's terse listings of a small table. */
class TableShapeTest {

  private static final String CHAINS =
      """
      {"nftables": [{"metainfo": {"version": "1.0.6", "json_schema_version": 1}},
       {"chain": {"family": "inet", "table": "multinet", "name": "lb1", "handle": 1}},
       {"chain": {"family": "inet", "table": "other", "name": "mine", "handle": 1}},
       {"chain": {"family": "inet", "table": "multinet", "name": "nat_pre", "handle": 3,
         "type": "nat", "hook": "prerouting", "prio": -100, "policy": "accept"}}]}
      """;

  private static final String SETS =
      """
      {"nftables": [{"metainfo": {"version": "1.0.6", "json_schema_version": 1}},
       {"set": {"family": "inet", "name": "cluster4", "table": "multinet", "type": "ipv4_addr",
         "handle": 6, "flags": ["interval"]}}]}
      """;

  private static final String MAPS =
      """
      {"nftables": [{"metainfo": {"version": "1.0.6", "json_schema_version": 1}},
       {"map": {"family": "inet", "name": "svc4", "table": "multinet",
         "type": ["integer", "ipv4_addr", "inet_proto", "inet_service"], "handle": 4,
         "map": "verdict", "size": 65536}},
       {"map": {"family": "inet", "name": "aff4_tcp", "table": "multinet",
         "type": ["integer", "ipv4_addr", "ipv4_addr", "inet_service"], "handle": 5,
         "map": "ipv4_addr . inet_service", "size": 1048576, "flags": ["timeout"]}}]}
      """;

  @Test
  void fromTerseJson_readsOneTablesChainsAndSetShapes() {
    TableShape t = TableShape.fromTerseJson("multinet", CHAINS, SETS, MAPS, "");

    assertThat(t.chains()).containsExactly("lb1", "nat_pre");
    assertThat(t.sets())
        .containsEntry("svc4", new TableShape.SetShape(true, 65536, false))
        .containsEntry("aff4_tcp", new TableShape.SetShape(true, 1048576, true))
        .containsEntry("cluster4", new TableShape.SetShape(false, 0, false))
        .hasSize(3);
  }

  @Test
  void declaredBy_readsBlockAndAddDeclarations() {
    TableShape t =
        DeclaredShape.of(
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

    assertThat(t.chains()).containsExactly("nat_pre", "aff6_x_lookup");
    assertThat(t.sets())
        .containsEntry("svc4", new TableShape.SetShape(true, 131072, false))
        .containsEntry("cluster4", new TableShape.SetShape(false, 0, false))
        .containsEntry("aff6_x", new TableShape.SetShape(true, 65536, true))
        .hasSize(3);
  }

  @Test
  void stale_isWhatTheKernelHasAndTheStateDoesNotDeclare() {
    TableShape kernel = TableShape.fromTerseJson("multinet", CHAINS, SETS, MAPS);
    TableShape wanted =
        DeclaredShape.of(
            "table inet multinet {\n  chain nat_pre {\n  }\n  map svc4 { typeof x : verdict; }\n}\n");

    assertThat(kernel.staleChains(wanted)).containsExactly("lb1");
    assertThat(kernel.staleSets(wanted)).containsOnlyKeys("aff4_tcp", "cluster4");
  }
}
