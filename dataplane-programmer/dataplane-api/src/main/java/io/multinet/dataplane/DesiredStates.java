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
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.function.Supplier;
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
   * One conversion: the state ({@link State}, built when first read), the state it started from
   * ({@code baseState}, null when there is none to start from) and the delta between them.
   */
  public record Conversion(State snapshot, @Nullable State baseSnapshot, Delta delta) {

    /** The desired state; see {@link State#get}. */
    public DesiredState state() {
      return snapshot.get();
    }

    /** The state the delta starts from, or null. */
    public @Nullable DesiredState base() {
      State b = baseSnapshot;
      return b == null ? null : b.get();
    }
  }

  /**
   * The desired state of one conversion, built on its first {@link #get} from that conversion's
   * immutable inputs: a sync that only sends a delta never builds the whole state, which is
   * O(ports). Read before the converter's next conversion, it reuses the converter's protos; later
   * (or from another thread meanwhile) it converts the table again. Either way the same state, and
   * the same object at every read.
   */
  public static final class State implements Supplier<DesiredState> {
    private final Converter converter;
    private final long epoch;
    private final ServiceTable table;
    private final List<NetworkSpec> networks;
    private final NodeFacts facts;
    private @Nullable DesiredState state;

    private State(
        Converter converter,
        long epoch,
        ServiceTable table,
        List<NetworkSpec> networks,
        NodeFacts facts) {
      this.converter = converter;
      this.epoch = epoch;
      this.table = table;
      this.networks = networks;
      this.facts = facts;
    }

    @Override
    public synchronized DesiredState get() {
      DesiredState s = state;
      if (s == null) {
        s = converter.materialize(this);
        state = s;
      }
      return s;
    }
  }

  /**
   * Converts one table after another, as a node proxy does at each sync: a service port equal to
   * the one last converted, with entries of the same Maglev sizes, keeps its proto (a port the
   * table reused, see {@code ServiceTable.Builder#previous}, compares in a few identity checks),
   * and the ports stay sorted between syncs, so a sync that changed one Service converts one port
   * and yields the delta at once, with no diff of the whole state. When the table was patched from
   * the one converted last ({@link ServiceTable#touchedSince}), only the ports it touched are
   * looked at: a conversion of k changed ports costs O(k log n), whatever the number of ports n.
   * One sync thread converts; {@link State}s may be read from any thread.
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
    private @Nullable ServiceTable lastTable;
    private @Nullable State last;
    private Map<Integer, NetworkSpec> lastNetworks = Map.of();
    private long epoch;

    /** The desired state of {@code table}'s node; see {@link DesiredStates#from}. */
    public synchronized Conversion convert(
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
        lastTable = null;
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
      var removed = new TreeMap<io.multinet.service.ServicePortKey, ServicePort>();
      ServiceTable previousTable = lastTable;
      List<io.multinet.service.ServicePortKey> touched =
          previousTable == null ? null : table.touchedSince(previousTable);
      if (touched != null) {
        // Every other port has the previous table's entries: its proto stands.
        for (var key : touched) {
          ServiceEntry internal = table.entry(key);
          if (internal == null) {
            Converted c = converted.remove(key);
            if (c != null) {
              sorted.remove(key);
              removed.put(key, c.proto);
            }
          } else {
            Converted c =
                convert(
                    converted.get(key),
                    internal.servicePort(),
                    internal,
                    table.externalEntry(key),
                    nodeInfo,
                    upserts);
            converted.put(key, c);
          }
        }
      } else {
        var before = converted;
        var next = new HashMap<io.multinet.service.ServicePortKey, Converted>(table.size() * 2);
        table.forEachPort(
            (sp, internal, external) -> {
              // What is left in before at the end was removed.
              Converted c =
                  convert(before.remove(sp.key()), sp, internal, external, nodeInfo, upserts);
              next.put(sp.key(), c);
            });
        for (var e : before.entrySet()) {
          sorted.remove(e.getKey());
          removed.put(e.getKey(), e.getValue().proto);
        }
        converted = next;
      }
      epoch++;
      State state = new State(this, epoch, table, List.copyOf(networks.values()), facts);
      State base = last;
      Delta delta =
          base == null
              ? Delta.getDefaultInstance()
              : delta(lastNetworks, base.facts, networks, facts, upserts, removed);
      last = state;
      lastTable = table;
      lastNetworks = networks;
      return new Conversion(state, base, delta);
    }

    /** {@code c} if it still stands for {@code sp}'s entries, else the port converted again. */
    private Converted convert(
        @Nullable Converted c,
        io.multinet.service.ServicePort sp,
        ServiceEntry internal,
        @Nullable ServiceEntry external,
        NodeInfo nodeInfo,
        Map<io.multinet.service.ServicePortKey, ServicePort> upserts) {
      int externalMaglev = external == null ? -1 : external.maglevTableSize();
      // A port the table reused is the same object: its record equals is a few identity checks,
      // so an unchanged port costs no conversion.
      if (c != null
          && c.port.equals(sp)
          && c.internalMaglev == internal.maglevTableSize()
          && c.externalMaglev == externalMaglev) {
        return c;
      }
      ServicePort proto = port(sp, internal, external, nodeInfo);
      if (c == null || !c.proto.equals(proto)) {
        upserts.put(sp.key(), proto);
        sorted.put(sp.key(), proto);
      } else {
        proto = c.proto; // rebuilt but equal: keep the object the programmer has seen
      }
      return new Converted(sp, internal.maglevTableSize(), externalMaglev, proto);
    }

    /**
     * {@code state}'s whole desired state: from the converter's protos while it is still the last
     * conversion, else by converting its table again.
     */
    private synchronized DesiredState materialize(State state) {
      var b = DesiredState.newBuilder().setNode(state.facts).addAllNetworks(state.networks);
      if (state.epoch == epoch) {
        b.addAllServicePorts(sorted.values());
      } else {
        var ports = new TreeMap<io.multinet.service.ServicePortKey, ServicePort>();
        NodeInfo nodeInfo = state.table.node();
        state.table.forEachPort(
            (sp, internal, external) ->
                ports.put(sp.key(), port(sp, internal, external, nodeInfo)));
        b.addAllServicePorts(ports.values());
      }
      return b.build();
    }

    /** What {@link StateModel#diff} would find, from what the conversion already knows. */
    private static Delta delta(
        Map<Integer, NetworkSpec> before,
        NodeFacts beforeFacts,
        Map<Integer, NetworkSpec> after,
        NodeFacts facts,
        Map<io.multinet.service.ServicePortKey, ServicePort> upserts,
        Map<io.multinet.service.ServicePortKey, ServicePort> removed) {
      var d = Delta.newBuilder();
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
      if (!beforeFacts.equals(facts)) {
        d.setNode(facts);
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
