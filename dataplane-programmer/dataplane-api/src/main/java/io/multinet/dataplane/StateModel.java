package io.multinet.dataplane;

import static java.util.Objects.requireNonNull;

import io.multinet.dataplane.v1.Delta;
import io.multinet.dataplane.v1.DesiredState;
import io.multinet.dataplane.v1.NetworkSpec;
import io.multinet.dataplane.v1.NodeFacts;
import io.multinet.dataplane.v1.ServicePort;
import io.multinet.dataplane.v1.ServicePortKey;
import java.util.Map;
import java.util.TreeMap;

/**
 * A desired state indexed by network id and service port key, so deltas can be applied to it and
 * two states compared. Immutable; {@link #apply} returns a new model.
 */
public final class StateModel {

  private final Map<Integer, NetworkSpec> networks;
  private final Map<String, ServicePort> ports;
  private final NodeFacts node;

  private StateModel(
      Map<Integer, NetworkSpec> networks, Map<String, ServicePort> ports, NodeFacts node) {
    this.networks = networks;
    this.ports = ports;
    this.node = node;
  }

  public static StateModel of(DesiredState state) {
    requireNonNull(state, "state");
    var networks = new TreeMap<Integer, NetworkSpec>();
    for (NetworkSpec n : state.getNetworksList()) {
      networks.put(n.getId(), n);
    }
    var ports = new TreeMap<String, ServicePort>();
    for (ServicePort p : state.getServicePortsList()) {
      if (ports.put(key(p), p) != null) {
        throw new IllegalArgumentException(
            "servicePorts: " + key(p) + " appears twice (expected: unique keys)");
      }
    }
    return new StateModel(networks, ports, state.getNode());
  }

  /** This state with {@code delta} applied. */
  public StateModel apply(Delta delta) {
    requireNonNull(delta, "delta");
    var n = new TreeMap<>(networks);
    var p = new TreeMap<>(ports);
    for (NetworkSpec spec : delta.getUpsertNetworksList()) {
      n.put(spec.getId(), spec);
    }
    for (int id : delta.getRemoveNetworksList()) {
      n.remove(id);
      p.values().removeIf(sp -> sp.getNetworkId() == id);
    }
    for (ServicePortKey k : delta.getRemoveServicePortsList()) {
      p.remove(key(k));
    }
    for (ServicePort sp : delta.getUpsertServicePortsList()) {
      p.put(key(sp), sp);
    }
    return new StateModel(n, p, delta.hasNode() ? delta.getNode() : node);
  }

  public DesiredState toState() {
    return DesiredState.newBuilder()
        .addAllNetworks(networks.values())
        .addAllServicePorts(ports.values())
        .setNode(node)
        .build();
  }

  public Map<Integer, NetworkSpec> networks() {
    return networks;
  }

  public Map<String, ServicePort> ports() {
    return ports;
  }

  public NodeFacts node() {
    return node;
  }

  /** The delta that takes {@code from} to {@code to}; empty when they are equal. */
  public static Delta diff(StateModel from, StateModel to) {
    var d = Delta.newBuilder();
    to.networks.forEach(
        (id, spec) -> {
          if (!spec.equals(from.networks.get(id))) {
            d.addUpsertNetworks(spec);
          }
        });
    for (int id : from.networks.keySet()) {
      if (!to.networks.containsKey(id)) {
        d.addRemoveNetworks(id);
      }
    }
    to.ports.forEach(
        (k, sp) -> {
          if (!sp.equals(from.ports.get(k))) {
            d.addUpsertServicePorts(sp);
          }
        });
    for (var e : from.ports.entrySet()) {
      if (!to.ports.containsKey(e.getKey())
          && to.networks.containsKey(e.getValue().getNetworkId())) {
        ServicePort sp = e.getValue();
        d.addRemoveServicePorts(
            ServicePortKey.newBuilder()
                .setNetworkId(sp.getNetworkId())
                .setAddress(sp.getAddress())
                .setProtocol(sp.getProtocol())
                .setPort(sp.getPort()));
      }
    }
    if (!from.node.equals(to.node)) {
      d.setNode(to.node);
    }
    return d.build();
  }

  public int backends() {
    int n = 0;
    for (ServicePort p : ports.values()) {
      n += p.getBackendsCount() + p.getExternalBackendsCount();
    }
    return n;
  }

  static String key(ServicePort p) {
    return p.getNetworkId() + "/" + p.getAddress() + "/" + p.getProtocol() + "/" + p.getPort();
  }

  static String key(ServicePortKey k) {
    return k.getNetworkId() + "/" + k.getAddress() + "/" + k.getProtocol() + "/" + k.getPort();
  }
}
