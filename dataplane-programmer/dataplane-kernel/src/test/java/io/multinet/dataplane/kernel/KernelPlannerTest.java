package io.multinet.dataplane.kernel;

import static io.multinet.dataplane.States.backend;
import static io.multinet.dataplane.States.network;
import static io.multinet.dataplane.States.port;
import static org.assertj.core.api.Assertions.assertThat;

import io.multinet.dataplane.kernel.KernelPlan.Balance;
import io.multinet.dataplane.kernel.KernelPlan.Drop;
import io.multinet.dataplane.kernel.KernelPlan.Goto;
import io.multinet.dataplane.kernel.KernelPlan.Instance;
import io.multinet.dataplane.kernel.KernelPlan.NoEndpoints;
import io.multinet.dataplane.kernel.KernelPlan.OwnAffinityMap;
import io.multinet.dataplane.kernel.KernelPlan.OwnLookup;
import io.multinet.dataplane.kernel.KernelPlan.OwnRecord;
import io.multinet.dataplane.kernel.KernelPlan.Pick;
import io.multinet.dataplane.kernel.KernelPlan.SharedLookup;
import io.multinet.dataplane.kernel.KernelPlan.SharedRecord;
import io.multinet.dataplane.v1.Backend;
import io.multinet.dataplane.v1.DesiredState;
import io.multinet.dataplane.v1.LoadBalancing;
import io.multinet.dataplane.v1.NodeFacts;
import io.multinet.dataplane.v1.Protocol;
import io.multinet.table.Maglev;
import java.util.HashSet;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The typed plan on its own: no text, no kernel. */
class KernelPlannerTest {

  @Test
  void instances_maglevService_hashesOverATableOfItsSize() {
    var sp =
        port(
                56,
                "10.96.0.10",
                Protocol.TCP,
                80,
                backend("10.1.0.13", 8080, false),
                backend("10.1.0.11", 8080, true),
                backend("10.1.0.12", 8080, false))
            .setLoadBalancing(LoadBalancing.MAGLEV)
            .build();

    Instance i = KernelPlanner.instances(sp).getFirst();

    int m = Maglev.tableSize(3);
    var lb = new Balance(Pick.MAGLEV, m);
    assertThat(i.verdict()).isEqualTo(new Goto(lb));
    assertThat(i.balance()).isEqualTo(lb);
    assertThat(i.sharedChains()).containsExactly(lb);
    assertThat(i.slots()).hasSize(m);
    assertThat(new HashSet<>(i.slots().stream().map(Backend::getAddress).toList()))
        .containsExactlyInAnyOrder("10.1.0.11", "10.1.0.12", "10.1.0.13");
    assertThat(i.hairpin()).extracting(Object::toString).containsExactly("10.1.0.11");
    assertThat(i.affinityTimeout()).isZero();

    Instance larger =
        KernelPlanner.instances(sp.toBuilder().setMaglevTableSize(32749).build()).getFirst();
    assertThat(larger.verdict()).isEqualTo(new Goto(new Balance(Pick.MAGLEV, 32749)));
    assertThat(larger.slots()).hasSize(32749);
  }

  @Test
  void instances_affinityService_looksUpThenRecordsWithItsTimeout() {
    var v4 =
        port(
                56,
                "10.96.0.11",
                Protocol.UDP,
                53,
                backend("10.1.0.11", 53, false),
                backend("10.1.0.12", 53, false))
            .setAffinityTimeoutSeconds(30)
            .build();

    Instance shared = KernelPlanner.instances(v4).getFirst();

    var lb = new Balance(Pick.RANDOM, 2);
    assertThat(shared.verdict()).isEqualTo(new Goto(new SharedLookup(lb)));
    assertThat(shared.ownAffinity()).isFalse();
    assertThat(shared.recorder()).isEqualTo(new SharedRecord(30));
    assertThat(shared.sharedChains())
        .containsExactlyInAnyOrder(new SharedLookup(lb), lb, new SharedRecord(30));

    // IPv6: the instance owns its map and chains; only the balance chain is shared.
    var v6 =
        DesiredState.newBuilder()
            .addServicePorts(
                port(56, "fd00:96::11", Protocol.TCP, 80, backend("fd00:1::11", 8080, false))
                    .setAffinityTimeoutSeconds(60))
            .build();
    KernelPlan plan = KernelPlanner.plan(v6);
    Instance own = plan.instances().getFirst();

    assertThat(own.verdict()).isEqualTo(new Goto(new OwnLookup(own.key())));
    assertThat(own.recorder()).isEqualTo(new OwnRecord(own.key(), 60));
    assertThat(plan.sharedChains()).containsExactly(new Balance(Pick.RANDOM, 1));
    assertThat(plan.chains())
        .contains(new OwnLookup(own.key()), new OwnRecord(own.key(), 60))
        .doesNotContain(new SharedRecord(60));
    assertThat(plan.allSets()).contains(new OwnAffinityMap(own.key()));
  }

  @Test
  void instances_noEndpoints_rejectsOrDropsWithoutSlotsOrChains() {
    var none = port(56, "10.96.0.40", Protocol.TCP, 80).build();

    Instance reject = KernelPlanner.instances(none).getFirst();
    Instance drop =
        KernelPlanner.instances(none.toBuilder().setHasAnyEndpoints(true).build()).getFirst();

    assertThat(reject.verdict()).isEqualTo(new Goto(NoEndpoints.CHAIN));
    assertThat(drop.verdict()).isEqualTo(Drop.DROP);
    for (Instance i : List.of(reject, drop)) {
      assertThat(i.balance()).isNull();
      assertThat(i.slots()).isEmpty();
      assertThat(i.sharedChains()).isEmpty();
    }
  }

  @Test
  void plan_portOfMixedFamilies_isLeftOutAndTheOthersPlanned() {
    var s =
        DesiredState.newBuilder()
            .addServicePorts(
                port(56, "10.96.0.10", Protocol.TCP, 80, backend("fd00:1::11", 8080, false)))
            .addServicePorts(
                port(56, "10.96.0.11", Protocol.TCP, 80, backend("10.1.0.11", 8080, false)))
            .build();

    KernelPlan plan = KernelPlanner.plan(s);

    assertThat(plan.ports()).containsOnlyKeys("56/10.96.0.11/tcp/80");
  }

  @Test
  void shape_isWhatTheRenderedOverlayDeclares() {
    var s =
        DesiredState.newBuilder()
            .addNetworks(network(56, "blue", "bl-*", 1056))
            .addServicePorts(
                port(56, "10.96.0.11", Protocol.UDP, 53, backend("10.1.0.11", 53, true))
                    .setAffinityTimeoutSeconds(30))
            .addServicePorts(
                port(56, "fd00:96::11", Protocol.TCP, 80, backend("fd00:1::11", 8080, false))
                    .setAffinityTimeoutSeconds(60))
            .addServicePorts(
                port(0, "172.30.0.5", Protocol.TCP, 443, backend("10.0.0.5", 8443, false))
                    .addExternalBackends(backend("10.0.0.5", 8443, false))
                    .setNodePort(30443)
                    .setLoadBalancing(LoadBalancing.MAGLEV))
            .setNode(NodeFacts.newBuilder().addNodePortAddresses("192.0.2.0/24"))
            .build();
    KernelPlan plan = KernelPlanner.plan(s);

    TableShape declared = DeclaredShape.of(NftRenderer.overlay(plan));
    TableShape planned = TableShape.of(plan);

    assertThat(planned.chains()).containsExactlyInAnyOrderElementsOf(declared.chains());
    assertThat(planned.sets()).isEqualTo(declared.sets());
    assertThat(planned.chains()).contains("aff6_56_fd00-96--11_tcp_80", "np4_tcp_30443");
  }

  @Test
  void change_samePort_isNoOperationText() {
    var sp =
        port(56, "10.96.0.10", Protocol.TCP, 80, backend("10.1.0.11", 8080, true))
            .setAffinityTimeoutSeconds(10)
            .build();

    assertThat(
            NftRenderer.render(
                ElementOps.change(KernelPlanner.instances(sp), KernelPlanner.instances(sp))))
        .isEmpty();
  }
}
