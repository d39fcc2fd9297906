package io.multinet.dataplane.kernel;

import io.multinet.dataplane.DataplaneBackendContract;
import io.multinet.dataplane.lab.LabAssumptions;
import io.multinet.dataplane.lab.LabNamespaces;
import io.multinet.dataplane.v1.DesiredState;
import java.util.concurrent.TimeUnit;

/** The contract against real nftables, in a network namespace each test creates and deletes. */
class KernelBackendContractTest extends DataplaneBackendContract {

  private String netns = "";

  @Override
  protected KernelBackend newBackend() throws Exception {
    LabAssumptions.assumeKernelDataplane();
    return LabNamespaces.createWith(
        "mpk",
        ns -> {
          netns = ns;
          return new KernelBackend(ns);
        });
  }

  @Override
  protected DesiredState expected(DesiredState desired) {
    return KernelObserver.expected(desired);
  }

  @Override
  protected void destroyDataplane() throws Exception {
    if (!netns.isEmpty()) {
      LabNamespaces.delete(netns);
    }
  }

  @org.junit.jupiter.api.Test
  void nodePort_isDispatchedToItsChain_andChangesInPlace() throws Exception {
    var s = io.multinet.dataplane.States.twoNetworks();
    int i = 0; // the default-network port with an external address
    while (!s.getServicePorts(i).getAddress().equals("172.30.0.5")) {
      i++;
    }
    var np = s.getServicePorts(i).toBuilder().setNodePort(30443).build();
    backend.applyFull(s.toBuilder().setServicePorts(i, np).build());
    String chain = list("list", "chain", "inet", "multinet", "np4_tcp_30443");
    org.assertj.core.api.Assertions.assertThat(chain)
        .contains("meta mark set meta mark | 0x00004000")
        .contains("dnat ip to numgen random mod 1 map { 0 : 10.0.0.5 . 8443 }");
    org.assertj.core.api.Assertions.assertThat(
            list("list", "map", "inet", "multinet", "nodeports4"))
        .contains("tcp . 30443 : goto np4_tcp_30443");

    var local =
        np.toBuilder()
            .setExternalTrafficLocal(true)
            .clearExternalBackends()
            .addExternalBackends(io.multinet.dataplane.States.backend("10.0.0.7", 8443, true))
            .build();
    backend.applyDelta(
        io.multinet.dataplane.v1.Delta.newBuilder().addUpsertServicePorts(local).build());
    chain = list("list", "chain", "inet", "multinet", "np4_tcp_30443");
    org.assertj.core.api.Assertions.assertThat(chain)
        .doesNotContain("0x00004000")
        .contains("10.0.0.7 . 8443");

    backend.applyDelta(
        io.multinet.dataplane.v1.Delta.newBuilder()
            .addUpsertServicePorts(local.toBuilder().setNodePort(0))
            .build());
    org.assertj.core.api.Assertions.assertThat(
            list("list", "map", "inet", "multinet", "nodeports4"))
        .doesNotContain("30443");
  }

  @org.junit.jupiter.api.Test
  void applyFull_coldStartThroughNetlink_holdsWhatTheTextPathHolds() throws Exception {
    var s = io.multinet.dataplane.States.twoNetworks();
    backend.applyFull(s); // empty namespace: skeleton, then elements through netlink
    String cold = sortedElements(list("list", "table", "inet", "multinet"));
    org.assertj.core.api.Assertions.assertThat(((KernelBackend) backend).lastBatch())
        .as("the text the same state renders to")
        .contains("add element inet multinet svc4");

    backend.applyFull(s.toBuilder().clearServicePorts().build());
    backend.applyFull(s); // the table exists: resynced in place
    String text = sortedElements(list("list", "table", "inet", "multinet"));

    org.assertj.core.api.Assertions.assertThat(cold).isEqualTo(text).contains("goto lb_rand_3");
  }

  @org.junit.jupiter.api.Test
  void applyDelta_pastTheMapSizes_growsThemThroughAFullSync() throws Exception {
    var s = io.multinet.dataplane.States.twoNetworks();
    backend.applyFull(s); // endpoint maps sized for a few slots: the 65,536 floor
    // 70,000 backends in 10.2.0.0/15 behind one VIP: more slots than the maps allow
    var big =
        io.multinet.dataplane.States.port(
            56, "10.96.7.7", io.multinet.dataplane.v1.Protocol.TCP, 80);
    for (int i = 0; i < 70_000; i++) {
      big.addBackends(
          io.multinet.dataplane.States.backend(
              "10." + (2 + i / 65_536) + "." + (i / 256 % 256) + "." + (i % 256), 8080, false));
    }
    var delta =
        io.multinet.dataplane.v1.Delta.newBuilder()
            .addUpsertServicePorts(big.setHasAnyEndpoints(true))
            .build();

    backend.applyDelta(delta);

    org.assertj.core.api.Assertions.assertThat(list("list", "map", "inet", "multinet", "ep4_tcp"))
        .contains("size 262144");
    var observed = backend.observe();
    org.assertj.core.api.Assertions.assertThat(
            observed.getServicePortsList().stream()
                .filter(sp -> sp.getAddress().equals("10.96.7.7"))
                .findFirst()
                .orElseThrow()
                .getBackendsCount())
        .isEqualTo(70_000);
  }

  @org.junit.jupiter.api.Test
  void applyFull_moreLocalEndpointsThanTheServiceMapHolds_fitsTheHairpinSet() throws Exception {
    // 70,000 local backends in 10.2.0.0/15 behind one VIP: one hairpin element each.
    var big =
        io.multinet.dataplane.States.port(
            56, "10.96.7.8", io.multinet.dataplane.v1.Protocol.TCP, 80);
    for (int i = 0; i < 70_000; i++) {
      big.addBackends(
          io.multinet.dataplane.States.backend(
              "10." + (2 + i / 65_536) + "." + (i / 256 % 256) + "." + (i % 256), 8080, true));
    }
    var s = io.multinet.dataplane.States.twoNetworks().toBuilder().addServicePorts(big).build();

    backend.applyFull(s);

    org.assertj.core.api.Assertions.assertThat(list("list", "set", "inet", "multinet", "hairpin4"))
        .contains("size 262144")
        .contains("56 . 10.3.17.111 . 10.3.17.111");
  }

  @org.junit.jupiter.api.Test
  void applyDelta_ofLocalBackends_addsAndRemovesOnlyTheirHairpinElements() throws Exception {
    var s = io.multinet.dataplane.States.twoNetworks();
    backend.applyFull(s);
    // A new port with a local backend shared with nothing else, and one more for a port that
    // stays: the first delta adds both elements, the second removes only the first.
    var port =
        io.multinet.dataplane.States.port(
                56,
                "10.96.7.9",
                io.multinet.dataplane.v1.Protocol.TCP,
                80,
                io.multinet.dataplane.States.backend("10.1.0.77", 8080, true),
                io.multinet.dataplane.States.backend("10.1.0.78", 8080, true))
            .build();

    backend.applyDelta(
        io.multinet.dataplane.v1.Delta.newBuilder().addUpsertServicePorts(port).build());

    org.assertj.core.api.Assertions.assertThat(list("list", "set", "inet", "multinet", "hairpin4"))
        .contains("56 . 10.1.0.77 . 10.1.0.77")
        .contains("56 . 10.1.0.78 . 10.1.0.78");

    backend.applyDelta(
        io.multinet.dataplane.v1.Delta.newBuilder()
            .addUpsertServicePorts(port.toBuilder().removeBackends(0))
            .build());

    org.assertj.core.api.Assertions.assertThat(list("list", "set", "inet", "multinet", "hairpin4"))
        .doesNotContain("10.1.0.77")
        .contains("56 . 10.1.0.78 . 10.1.0.78");
  }

  @org.junit.jupiter.api.Test
  void applyDelta_failingPartWay_leavesTheBackendAsBefore_forTheNextDelta() throws Exception {
    var s = io.multinet.dataplane.States.twoNetworks();
    backend.applyFull(s);
    var removed = s.getServicePorts(io.multinet.dataplane.States.indexOf(s, "10.96.0.30"));
    // A port with a shared chain's worth of local backends, only in this delta.
    var added =
        io.multinet.dataplane.States.port(
                56,
                "10.96.7.9",
                io.multinet.dataplane.v1.Protocol.TCP,
                80,
                io.multinet.dataplane.States.backend("10.1.0.77", 8080, true))
            .build();
    // Last in the delta, after the removal and the addition were planned: an IPv6 backend for an
    // IPv4 VIP cannot be programmed.
    var bad =
        s.getServicePorts(io.multinet.dataplane.States.indexOf(s, "10.96.0.20")).toBuilder()
            .addBackends(io.multinet.dataplane.States.backend("fd00:1::99", 80, false))
            .build();
    var failing =
        io.multinet.dataplane.v1.Delta.newBuilder()
            .addRemoveServicePorts(key(removed))
            .addUpsertServicePorts(added)
            .addUpsertServicePorts(bad)
            .build();
    org.assertj.core.api.Assertions.assertThatThrownBy(() -> backend.applyDelta(failing))
        .hasMessageContaining("fd00:1::99");

    // As if the failed delta never came: the added port is not there to take out, the removed one
    // is there to change, and 10.1.0.77's hairpin element was never counted.
    var next =
        io.multinet.dataplane.v1.Delta.newBuilder()
            .addRemoveServicePorts(key(added))
            .addUpsertServicePorts(removed.toBuilder().removeBackends(1))
            .build();
    backend.applyDelta(next);

    org.assertj.core.api.Assertions.assertThat(backend.observe())
        .isEqualTo(expected(io.multinet.dataplane.StateModel.of(s).apply(next).toState()));
    org.assertj.core.api.Assertions.assertThat(list("list", "set", "inet", "multinet", "hairpin4"))
        .doesNotContain("10.1.0.77")
        .contains("56 . 10.1.0.11 . 10.1.0.11");
  }

  private static io.multinet.dataplane.v1.ServicePortKey key(
      io.multinet.dataplane.v1.ServicePort p) {
    return io.multinet.dataplane.v1.ServicePortKey.newBuilder()
        .setNetworkId(p.getNetworkId())
        .setAddress(p.getAddress())
        .setProtocol(p.getProtocol())
        .setPort(p.getPort())
        .build();
  }

  @org.junit.jupiter.api.Test
  void applyFull_byARestartedBackendOverTheOldTable_resyncsInPlace() throws Exception {
    var before = io.multinet.dataplane.States.twoNetworks().toBuilder();
    int ext = io.multinet.dataplane.States.indexOf(before.build(), "172.30.0.5");
    before.setServicePorts(ext, before.getServicePorts(ext).toBuilder().setNodePort(30443));
    backend.applyFull(before.build());
    // A client the datapath recorded for the affinity service (10.96.0.30 in network 56).
    String client = "56 . 10.9.9.9 . 10.96.0.30 . 80";
    nft("add element inet multinet aff4_tcp { " + client + " timeout 1h : 10.1.0.12 . 8080 }");
    // The proxy restarts: the kernel keeps the table, the new backend knows nothing.
    backend.close();

    // The new state drops the IPv6 affinity port (its own chains and map) and the NodePort (its
    // chain), and gives 10.96.0.10/56 a third backend (another balancing chain).
    var after = before.build().toBuilder();
    after.removeServicePorts(io.multinet.dataplane.States.indexOf(after.build(), "fd00:96::30"));
    ext = io.multinet.dataplane.States.indexOf(after.build(), "172.30.0.5");
    after.setServicePorts(ext, after.getServicePorts(ext).toBuilder().setNodePort(0));
    int grown = io.multinet.dataplane.States.indexOf(after.build(), "10.96.0.10");
    after.setServicePorts(
        grown,
        after.getServicePorts(grown).toBuilder()
            .addBackends(io.multinet.dataplane.States.backend("10.1.0.13", 8080, false)));
    DesiredState s = after.build();
    backend = new KernelBackend(netns);
    backend.applyFull(s);

    org.assertj.core.api.Assertions.assertThat(backend.observe()).isEqualTo(expected(s));
    // Replacing the table would have dropped the recorded client: the resync kept it.
    org.assertj.core.api.Assertions.assertThat(list("list", "map", "inet", "multinet", "aff4_tcp"))
        .contains("10.9.9.9");
    nft("delete element inet multinet aff4_tcp { " + client + " }");
    // Apart from it, the table is what a cold start of the new state writes: no stale chain or
    // map is left, no element is missing.
    String resynced = sortedElements(list("list", "table", "inet", "multinet"));
    org.assertj.core.api.Assertions.assertThat(resynced)
        .doesNotContain("np4_tcp_30443")
        .doesNotContain("fd00:96::30")
        .contains("goto lb_rand_3");
    String fresh = netns + "-c";
    run("ip", "netns", "add", fresh); // netns-c: a leftover goes with netns's own
    try (var cold = new KernelBackend(fresh)) {
      cold.applyFull(s);
      String coldNetns = netns;
      netns = fresh;
      try {
        org.assertj.core.api.Assertions.assertThat(resynced)
            .isEqualTo(sortedElements(list("list", "table", "inet", "multinet")));
      } finally {
        netns = coldNetns;
      }
    } finally {
      run("ip", "netns", "del", fresh);
    }
  }

  /** A listing with every element on a line of its own, sorted: element order is hash order. */
  private static String sortedElements(String listing) {
    var lines = new java.util.ArrayList<String>();
    for (String l : listing.replace("{", "{\n").replace(",", "\n").split("\n", -1)) {
      if (!l.isBlank()) {
        lines.add(l.strip());
      }
    }
    java.util.Collections.sort(lines);
    return String.join("\n", lines);
  }

  private String list(String... args) throws Exception {
    var cmd = new java.util.ArrayList<>(java.util.List.of("ip", "netns", "exec", netns, "nft"));
    cmd.addAll(java.util.List.of(args));
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    String out =
        new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
    p.waitFor(30, TimeUnit.SECONDS);
    return out;
  }

  private void nft(String command) throws Exception {
    run("ip", "netns", "exec", netns, "nft", command);
  }

  static void run(String... cmd) throws Exception {
    Process p = new ProcessBuilder(cmd).redirectErrorStream(true).start();
    String out =
        new String(p.getInputStream().readAllBytes(), java.nio.charset.StandardCharsets.UTF_8);
    if (!p.waitFor(30, TimeUnit.SECONDS) || p.exitValue() != 0) {
      throw new IllegalStateException(String.join(" ", cmd) + ": " + out);
    }
  }
}
