package io.multinet.dataplane;

import static java.util.Objects.requireNonNull;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.util.JsonFormat;
import io.multinet.dataplane.v1.Backend;
import io.multinet.dataplane.v1.Delta;
import io.multinet.dataplane.v1.DesiredState;
import io.multinet.dataplane.v1.LoadBalancing;
import io.multinet.dataplane.v1.NetworkSpec;
import io.multinet.dataplane.v1.NodeFacts;
import io.multinet.dataplane.v1.Protocol;
import io.multinet.dataplane.v1.ServicePort;
import io.multinet.network.IpAddress;
import io.multinet.network.Network;
import io.multinet.service.Endpoint;
import io.multinet.service.NodeInfo;
import io.multinet.table.ServiceEntry;
import io.multinet.table.ServiceTable;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import org.jspecify.annotations.Nullable;

/**
 * Converts proxy-core's per-node {@link ServiceTable} into the dataplane API's {@link
 * DesiredState}, and desired states to and from their documented JSON form.
 */
public final class DesiredStates {

  private static final JsonFormat.Printer PRINTER =
      JsonFormat.printer().omittingInsignificantWhitespace();
  private static final JsonFormat.Printer PRETTY = JsonFormat.printer();
  private static final JsonFormat.Parser PARSER = JsonFormat.parser();

  private DesiredStates() {}

  /**
   * The desired state of {@code table}'s node.
   *
   * @param hints each network's dataplane hints by id; a network without hints gets only its name
   */
  public static DesiredState from(
      ServiceTable table, Map<Integer, NetworkSpec> hints, NodeFacts node) {
    return new Converter().convert(table, hints, node).state();
  }

  /**
   * One conversion: the state, and the delta from the converter's previous state ({@code base},
   * null when there is none to start from).
   */
  public record Conversion(DesiredState state, @Nullable DesiredState base, Delta delta) {}

  /**
   * Converts one table after another, as a node proxy does at each sync: a service port equal to
   * the one last converted, with entries of the same Maglev sizes, keeps its proto (a port the
   * table reused, see {@code ServiceTable.Builder#previous}, compares in a few identity checks),
   * and the ports stay sorted between syncs, so a sync that changed one Service converts one port
   * and yields the delta at once, with no diff of the whole state. Not thread-safe: one sync thread
   * owns it.
   */
  public static final class Converter {

    /**
     * What a port's proto is made of besides the node: the accepted port (its entries' backends
     * follow from it and the node) and the entries' Maglev table sizes (which follow history).
     */
    private record Converted(
        io.multinet.service.ServicePort port,
        int internalMaglev,
        int externalMaglev,
        ServicePort proto) {}

    private Map<io.multinet.service.ServicePortKey, Converted> converted = new HashMap<>();
    private final TreeMap<io.multinet.service.ServicePortKey, ServicePort> sorted = new TreeMap<>();
    private @Nullable NodeInfo node;
    private @Nullable DesiredState last;

    /** The desired state of {@code table}'s node; see {@link DesiredStates#from}. */
    public Conversion convert(
        ServiceTable table, Map<Integer, NetworkSpec> hints, NodeFacts facts) {
      requireNonNull(table, "table");
      requireNonNull(hints, "hints");
      requireNonNull(facts, "facts");
      NodeInfo nodeInfo = table.node();
      if (!nodeInfo.equals(node)) {
        // A backend's "local" depends on the node: convert everything, and no delta.
        converted = new HashMap<>();
        sorted.clear();
        last = null;
        node = nodeInfo;
      }
      var networks = new TreeMap<Integer, NetworkSpec>();
      for (Network n : table.networks().values()) {
        NetworkSpec spec = hints.get(n.id());
        networks.put(
            n.id(),
            spec != null ? spec : NetworkSpec.newBuilder().setId(n.id()).setName(n.name()).build());
      }
      var upserts = new TreeMap<io.multinet.service.ServicePortKey, ServicePort>();
      var next = new HashMap<io.multinet.service.ServicePortKey, Converted>(table.size() * 2);
      table.forEachPort(
          (sp, internal, external) -> {
            var key = sp.key();
            Converted c = converted.remove(key); // what is left at the end was removed
            int externalMaglev = external == null ? -1 : external.maglevTableSize();
            // A port the table reused is the same object: its record equals is a few identity
            // checks, so an unchanged port costs no conversion.
            if (c == null
                || !c.port.equals(sp)
                || c.internalMaglev != internal.maglevTableSize()
                || c.externalMaglev != externalMaglev) {
              ServicePort proto = port(sp, internal, external, nodeInfo);
              if (c == null || !c.proto.equals(proto)) {
                upserts.put(key, proto);
                sorted.put(key, proto);
              } else {
                proto = c.proto; // rebuilt but equal: keep the object the programmer has seen
              }
              c = new Converted(sp, internal.maglevTableSize(), externalMaglev, proto);
            }
            next.put(key, c);
          });
      var removed = new TreeMap<io.multinet.service.ServicePortKey, ServicePort>();
      for (var e : converted.entrySet()) {
        sorted.remove(e.getKey());
        removed.put(e.getKey(), e.getValue().proto);
      }
      converted = next;
      DesiredState state =
          DesiredState.newBuilder()
              .setNode(facts)
              .addAllNetworks(networks.values())
              .addAllServicePorts(sorted.values())
              .build();
      DesiredState base = last;
      last = state;
      return new Conversion(
          state,
          base,
          base == null ? Delta.getDefaultInstance() : delta(base, state, upserts, removed));
    }

    /** What {@link StateModel#diff} would find, from what the conversion already knows. */
    private static Delta delta(
        DesiredState base,
        DesiredState state,
        Map<io.multinet.service.ServicePortKey, ServicePort> upserts,
        Map<io.multinet.service.ServicePortKey, ServicePort> removed) {
      var d = Delta.newBuilder();
      var before = new TreeMap<Integer, NetworkSpec>();
      base.getNetworksList().forEach(n -> before.put(n.getId(), n));
      var after = new TreeMap<Integer, NetworkSpec>();
      state.getNetworksList().forEach(n -> after.put(n.getId(), n));
      after.forEach(
          (id, spec) -> {
            if (!spec.equals(before.get(id))) {
              d.addUpsertNetworks(spec);
            }
          });
      for (int id : before.keySet()) {
        if (!after.containsKey(id)) {
          d.addRemoveNetworks(id);
        }
      }
      d.addAllUpsertServicePorts(upserts.values());
      for (ServicePort sp : removed.values()) {
        if (after.containsKey(sp.getNetworkId())) { // a removed network takes its ports along
          d.addRemoveServicePorts(
              io.multinet.dataplane.v1.ServicePortKey.newBuilder()
                  .setNetworkId(sp.getNetworkId())
                  .setAddress(sp.getAddress())
                  .setProtocol(sp.getProtocol())
                  .setPort(sp.getPort()));
        }
      }
      if (!base.getNode().equals(state.getNode())) {
        d.setNode(state.getNode());
      }
      return d.build();
    }
  }

  private static ServicePort port(
      io.multinet.service.ServicePort sp,
      ServiceEntry internal,
      @Nullable ServiceEntry external,
      NodeInfo nodeInfo) {
    var b =
        ServicePort.newBuilder()
            .setNetworkId(sp.key().networkId())
            .setAddress(sp.key().address().toString())
            .setProtocol(Protocol.valueOf(sp.key().protocol().name()))
            .setPort(sp.key().port())
            .setName(sp.name().toString())
            .setHasAnyEndpoints(internal.hasAnyEndpoints())
            .setLoadBalancing(
                internal.maglevTableSize() > 0 ? LoadBalancing.MAGLEV : LoadBalancing.RANDOM)
            .setMaglevTableSize(internal.maglevTableSize())
            .setAffinityTimeoutSeconds(sp.policy().sessionAffinity().timeoutSeconds())
            .setNodePort(sp.nodePort())
            .setExternalTrafficLocal(
                sp.policy().externalTrafficPolicy() == io.multinet.service.TrafficPolicy.LOCAL);
    internal.backends().forEach(e -> b.addBackends(backend(e, nodeInfo)));
    for (IpAddress a : sp.externalAddresses()) {
      b.addExternalAddresses(a.toString());
    }
    if (external != null) {
      external.backends().forEach(e -> b.addExternalBackends(backend(e, nodeInfo)));
    }
    return b.build();
  }

  private static Backend backend(Endpoint e, NodeInfo node) {
    return Backend.newBuilder()
        .setAddress(e.address().toString())
        .setPort(e.port())
        .setLocal(e.isLocalTo(node.name()))
        .setInterface(Objects.requireNonNullElse(e.interfaceName(), ""))
        .setNode(Objects.requireNonNullElse(e.nodeName(), ""))
        .build();
  }

  /** The proto3 JSON mapping, indented. */
  public static String toJson(DesiredState state) {
    try {
      return PRETTY.print(state);
    } catch (InvalidProtocolBufferException e) {
      throw new IllegalStateException("a DesiredState always prints", e);
    }
  }

  /** The proto3 JSON mapping on one line. */
  public static String toCompactJson(DesiredState state) {
    try {
      return PRINTER.print(state);
    } catch (InvalidProtocolBufferException e) {
      throw new IllegalStateException("a DesiredState always prints", e);
    }
  }

  /** Parses the proto3 JSON mapping; unknown fields are an error, so typos do not pass silently. */
  public static DesiredState fromJson(String json) {
    var b = DesiredState.newBuilder();
    try {
      PARSER.merge(json, b);
    } catch (InvalidProtocolBufferException e) {
      throw new IllegalArgumentException(
          "state: " + e.getMessage() + " (expected: a DesiredState in proto3 JSON)", e);
    }
    return b.build();
  }
}
