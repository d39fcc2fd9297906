package io.multinet.dataplane;

import static java.util.Objects.requireNonNull;

import com.google.protobuf.InvalidProtocolBufferException;
import com.google.protobuf.util.JsonFormat;
import io.multinet.dataplane.v1.Backend;
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
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
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
    return new Converter().convert(table, hints, node);
  }

  /**
   * Converts one table after another, as a node proxy does at each sync: a service port whose
   * entries the new table reused from the previous one (same objects, see {@code
   * ServiceTable.Builder#previous}) keeps its proto, so a sync that changed one Service converts
   * one port, not all of them. Not thread-safe: one sync thread owns it.
   */
  public static final class Converter {

    private record Converted(
        ServiceEntry internal, @Nullable ServiceEntry external, ServicePort proto) {}

    private Map<io.multinet.service.ServicePortKey, Converted> previous = new HashMap<>();
    private @Nullable NodeInfo node;

    /** The desired state of {@code table}'s node; see {@link DesiredStates#from}. */
    @SuppressWarnings("ReferenceEquality") // reused entries are the same objects: that is the test
    public DesiredState convert(
        ServiceTable table, Map<Integer, NetworkSpec> hints, NodeFacts facts) {
      requireNonNull(table, "table");
      requireNonNull(hints, "hints");
      requireNonNull(facts, "facts");
      NodeInfo nodeInfo = table.node();
      if (!nodeInfo.equals(node)) {
        previous = new HashMap<>(); // a backend's "local" depends on the node
        node = nodeInfo;
      }
      var out = DesiredState.newBuilder().setNode(facts);
      for (Network n : table.networks().values()) {
        NetworkSpec spec = hints.get(n.id());
        out.addNetworks(
            spec != null ? spec : NetworkSpec.newBuilder().setId(n.id()).setName(n.name()).build());
      }
      List<io.multinet.service.ServicePort> ports = new ArrayList<>(table.servicePorts());
      ports.sort((a, b) -> a.key().compareTo(b.key()));
      var next = new HashMap<io.multinet.service.ServicePortKey, Converted>(ports.size() * 2);
      for (io.multinet.service.ServicePort sp : ports) {
        ServiceEntry internal = Objects.requireNonNull(table.entry(sp.key()));
        ServiceEntry external = table.externalEntry(sp.key());
        Converted c = previous.get(sp.key());
        if (c == null || c.internal != internal || c.external != external) {
          c = new Converted(internal, external, port(sp, internal, external, nodeInfo));
        }
        next.put(sp.key(), c);
        out.addServicePorts(c.proto);
      }
      previous = next;
      return out.build();
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
