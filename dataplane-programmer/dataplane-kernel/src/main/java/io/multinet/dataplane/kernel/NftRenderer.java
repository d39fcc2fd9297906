package io.multinet.dataplane.kernel;

import static io.multinet.dataplane.kernel.KernelPlan.TABLE;
import static io.multinet.dataplane.kernel.KernelPlan.proto;

import io.multinet.dataplane.kernel.ElementOps.AddOwnAffinity;
import io.multinet.dataplane.kernel.ElementOps.DefineNodePort;
import io.multinet.dataplane.kernel.ElementOps.DefineShared;
import io.multinet.dataplane.kernel.ElementOps.DeleteNodePort;
import io.multinet.dataplane.kernel.ElementOps.DeleteOwnAffinity;
import io.multinet.dataplane.kernel.ElementOps.Elements;
import io.multinet.dataplane.kernel.ElementOps.Op;
import io.multinet.dataplane.kernel.ElementOps.RedefineNodePort;
import io.multinet.dataplane.kernel.ElementOps.RepointOwnAffinity;
import io.multinet.dataplane.kernel.ElementOps.Verb;
import io.multinet.dataplane.kernel.KernelPlan.AffinityMap;
import io.multinet.dataplane.kernel.KernelPlan.Balance;
import io.multinet.dataplane.kernel.KernelPlan.ClusterSet;
import io.multinet.dataplane.kernel.KernelPlan.Drop;
import io.multinet.dataplane.kernel.KernelPlan.Element;
import io.multinet.dataplane.kernel.KernelPlan.EndpointMap;
import io.multinet.dataplane.kernel.KernelPlan.Goto;
import io.multinet.dataplane.kernel.KernelPlan.Hairpin;
import io.multinet.dataplane.kernel.KernelPlan.HairpinSet;
import io.multinet.dataplane.kernel.KernelPlan.Instance;
import io.multinet.dataplane.kernel.KernelPlan.Interface;
import io.multinet.dataplane.kernel.KernelPlan.InterfaceMap;
import io.multinet.dataplane.kernel.KernelPlan.Listener;
import io.multinet.dataplane.kernel.KernelPlan.ListenerSet;
import io.multinet.dataplane.kernel.KernelPlan.MarkEntry;
import io.multinet.dataplane.kernel.KernelPlan.MarkMap;
import io.multinet.dataplane.kernel.KernelPlan.Network;
import io.multinet.dataplane.kernel.KernelPlan.NodePort;
import io.multinet.dataplane.kernel.KernelPlan.NodePortAddressSet;
import io.multinet.dataplane.kernel.KernelPlan.NodePortEntry;
import io.multinet.dataplane.kernel.KernelPlan.NodePortMap;
import io.multinet.dataplane.kernel.KernelPlan.OwnAffinityMap;
import io.multinet.dataplane.kernel.KernelPlan.Pick;
import io.multinet.dataplane.kernel.KernelPlan.Prefix;
import io.multinet.dataplane.kernel.KernelPlan.Service;
import io.multinet.dataplane.kernel.KernelPlan.ServiceMap;
import io.multinet.dataplane.kernel.KernelPlan.SharedChain;
import io.multinet.dataplane.kernel.KernelPlan.SharedLookup;
import io.multinet.dataplane.kernel.KernelPlan.SharedRecord;
import io.multinet.dataplane.kernel.KernelPlan.Slot;
import io.multinet.dataplane.kernel.KernelPlan.TableSet;
import io.multinet.dataplane.kernel.KernelPlan.Verdict;
import io.multinet.dataplane.v1.Backend;
import io.multinet.dataplane.v1.Protocol;
import io.multinet.network.Cidr;
import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Map;

/**
 * Writes a {@link KernelPlan}, or {@link ElementOps} operations, as nft text for libnftables. Map
 * types name {@code tcp dport}/{@code udp dport} and keys stay at four fields: nft 1.0.6 mis-lists
 * longer keys and rejects {@code th dport} data maps in later transactions.
 */
final class NftRenderer {

  /** Bounded command lines: libnftables parses each one whole. */
  private static final int ELEMENTS_PER_COMMAND = 512;

  private NftRenderer() {}

  /** The whole table, replacing whatever is there, as one transaction. */
  static String full(KernelPlan plan) {
    return render(plan, true, true);
  }

  /**
   * The whole table replacing whatever is there, but without the {@code svc} and endpoint-map
   * elements, which a cold start writes through netlink ({@link ElementOps#bulk}).
   */
  static String skeleton(KernelPlan plan) {
    return render(plan, false, true);
  }

  /**
   * The table without the {@code svc} and endpoint-map elements, declared over whatever is there:
   * existing maps and chains are declared again, which adds what is missing and keeps what is
   * there, so the caller flushes first what must not keep its old contents.
   */
  static String overlay(KernelPlan plan) {
    return render(plan, false, false);
  }

  /**
   * Declares {@code set} alone in the table (created if absent): a map with a large element limit
   * costs the kernel about 0.1 s per 2^20 elements to create, so a cold start creates each such map
   * in a transaction of its own before {@link #overlay} declares the rest.
   */
  static String declareAlone(TableSet set) {
    var sb = new StringBuilder("table ").append(TABLE).append(" {\n");
    declare(sb, set);
    return sb.append("}\n").toString();
  }

  /** Deletes the table if it exists. */
  static String deleteTable() {
    return "table " + TABLE + " {}\ndelete table " + TABLE + "\n";
  }

  /**
   * Empties chains and sets or maps of the kernel's table, by their names in its listing; sets
   * whose elements expire (filled by the datapath) are left alone.
   */
  static String flush(Collection<String> chains, Map<String, TableShape.SetShape> sets) {
    var sb = new StringBuilder();
    for (String c : chains) {
      sb.append("flush chain ").append(TABLE).append(' ').append(c).append('\n');
    }
    sets.forEach(
        (name, s) ->
            sb.append(s.map() ? "flush map " : "flush set ")
                .append(TABLE)
                .append(' ')
                .append(name)
                .append('\n'));
    return sb.toString();
  }

  /**
   * Deletes chains (flushed first: they may jump to each other, and then none is referenced) and
   * then sets or maps of the kernel's table, by their names in its listing.
   */
  static String delete(Collection<String> chains, Map<String, TableShape.SetShape> sets) {
    var sb = new StringBuilder();
    for (String verb : List.of("flush chain ", "delete chain ")) {
      for (String c : chains) {
        sb.append(verb).append(TABLE).append(' ').append(c).append('\n');
      }
    }
    sets.forEach(
        (name, s) ->
            sb.append(s.map() ? "delete map " : "delete set ")
                .append(TABLE)
                .append(' ')
                .append(name)
                .append('\n'));
    return sb.toString();
  }

  private static String render(KernelPlan plan, boolean bulk, boolean replace) {
    var sb = new StringBuilder(64 * 1024);
    if (replace) {
      // Create-then-delete makes the batch valid whether or not the table exists; the new table
      // is committed in the same transaction, so traffic never sees an empty ruleset.
      sb.append(deleteTable());
    }
    sb.append("table ").append(TABLE).append(" {\n");
    for (Network n : plan.networks()) {
      sb.append("  chain ")
          .append(n.name())
          .append(" {\n    ct zone set ")
          .append(n.id())
          .append("\n    meta mark set meta mark & 0x")
          .append(Long.toHexString(~KernelPlan.MARK_MASK & 0xffff_ffffL))
          .append(" | 0x")
          .append(Long.toHexString(KernelPlan.mark(n.id())))
          .append("\n  }\n");
    }
    List<TableSet> sets = plan.sets();
    for (TableSet s : sets) {
      if (s instanceof InterfaceMap || s instanceof MarkMap) {
        declare(sb, s); // with the chains that use them
      }
    }
    sb.append(
        "  chain raw_pre {\n    type filter hook prerouting priority raw; policy accept;\n    iifname vmap @if_net\n  }\n");
    // A local socket's mark names its network: its packets take the network's zone, so replies
    // of connections DNATed to it in that zone are un-NATed there.
    sb.append("  chain raw_out {\n    type filter hook output priority raw; policy accept;\n")
        .append("    meta mark & 0x")
        .append(Long.toHexString(KernelPlan.MARK_MASK))
        .append(" vmap @mark_net\n  }\n");
    sb.append("}\n");
    List<Element> ifaces = new ArrayList<>();
    plan.interfaces().forEach((name, net) -> ifaces.add(new Interface(name, net)));
    elements(sb, Verb.ADD, new InterfaceMap(), ifaces);
    List<Element> marks = new ArrayList<>();
    plan.networks().forEach(n -> marks.add(new MarkEntry(n)));
    elements(sb, Verb.ADD, new MarkMap(), marks);
    sb.append("table ").append(TABLE).append(" {\n");
    for (TableSet s : sets) {
      if (!(s instanceof InterfaceMap || s instanceof MarkMap)) {
        declare(sb, s);
      }
    }
    sb.append(
        "  chain no_endpoints {\n    meta l4proto tcp reject with tcp reset\n    reject\n  }\n");
    for (SharedChain c : plan.sharedChains()) {
      sb.append(chain(c));
    }
    hooks(sb, plan.node());
    sb.append("}\n");
    // Elements, in the same transaction.
    for (boolean v4 : List.of(true, false)) {
      elements(sb, Verb.ADD, new ClusterSet(v4), prefixes(plan.node().clusterCidrs(v4)));
    }
    for (boolean v4 : List.of(true, false)) {
      elements(
          sb, Verb.ADD, new NodePortAddressSet(v4), prefixes(plan.node().nodePortAddresses(v4)));
    }
    for (boolean v4 : List.of(true, false)) {
      for (boolean zoned : List.of(false, true)) {
        elements(sb, Verb.ADD, new ListenerSet(v4, zoned), listeners(plan.listeners(), v4));
      }
    }
    List<Op> ops = new ArrayList<>();
    for (NodePort np : plan.nodePorts()) {
      ops.add(new DefineNodePort(np));
    }
    for (Instance i : plan.instances()) {
      ops.addAll(ElementOps.add(i, bulk));
    }
    ops.addAll(ElementOps.hairpin(List.of(), plan.hairpins()));
    sb.append(render(ops));
    return sb.toString();
  }

  /** The listeners of one family, as elements of either {@link ListenerSet} of it. */
  static List<Element> listeners(Collection<Listener> listeners, boolean v4) {
    List<Element> out = new ArrayList<>();
    for (Listener l : listeners) {
      if (l.address().isV4() == v4) {
        out.add(l);
      }
    }
    return out;
  }

  private static List<Element> prefixes(List<Cidr> cidrs) {
    List<Element> out = new ArrayList<>();
    cidrs.forEach(c -> out.add(new Prefix(c)));
    return out;
  }

  /** A set or map declaration inside the table block. */
  private static void declare(StringBuilder sb, TableSet set) {
    sb.append("  ").append(set.map() ? "map " : "set ").append(set.name()).append(" { ");
    sb.append(
        switch (set) {
          case InterfaceMap m -> "typeof iifname : verdict; flags interval;";
          case MarkMap m -> "typeof meta mark : verdict;";
          case ListenerSet l ->
              (l.zoned() ? "typeof ct zone . " : "typeof ")
                  + ip(l.v4())
                  + " daddr . meta l4proto . th dport;";
          case ServiceMap m ->
              "typeof ct zone . " + ip(m.v4()) + " daddr . meta l4proto . th dport : verdict;";
          case EndpointMap m -> {
            String ip = ip(m.v4());
            String p = proto(m.protocol());
            yield "typeof ct zone . "
                + ip
                + " daddr . "
                + p
                + " dport . numgen random mod 1 : "
                + ip
                + " daddr . "
                + p
                + " dport;";
          }
          case AffinityMap m -> {
            String p = proto(m.protocol());
            yield "typeof ct zone . ip saddr . ip daddr . "
                + p
                + " dport : ip daddr . "
                + p
                + " dport; flags dynamic, timeout;";
          }
          case HairpinSet h ->
              "typeof ct zone . " + ip(h.v4()) + " saddr . " + ip(h.v4()) + " daddr;";
          case ClusterSet c ->
              "type " + (c.v4() ? "ipv4_addr" : "ipv6_addr") + "; flags interval; auto-merge;";
          case NodePortMap n -> "typeof meta l4proto . th dport : verdict;";
          // auto-merge: overlapping entries (10.0.0.0/8 and 10.1.0.0/16) are fine, as in
          // kube-proxy.
          case NodePortAddressSet n ->
              "type " + (n.v4() ? "ipv4_addr" : "ipv6_addr") + "; flags interval; auto-merge;";
          case OwnAffinityMap o -> "typeof ip6 saddr : ip6 daddr; flags dynamic, timeout;";
        });
    if (set.size() > 0) {
      sb.append(" size ").append(set.size()).append(';');
    }
    sb.append(" }\n");
  }

  /**
   * {@code nodePortAddresses}: every local address when none are given; otherwise the local
   * addresses inside a family's set (none of a family: that family has no NodePorts, as in
   * kube-proxy).
   */
  private static void hooks(StringBuilder sb, KernelPlan.Node node) {
    sb.append("  chain nat_pre {\n    type nat hook prerouting priority dstnat; policy accept;\n")
        .append("    ct zone . ip daddr . meta l4proto . th dport vmap @svc4\n")
        .append("    ct zone . ip6 daddr . meta l4proto . th dport vmap @svc6\n");
    if (node.allLocal()) {
      sb.append(
              "    ct zone 0 fib daddr type local meta nfproto ipv4 meta l4proto . th dport vmap @nodeports4\n")
          .append(
              "    ct zone 0 fib daddr type local meta nfproto ipv6 meta l4proto . th dport vmap @nodeports6\n");
    } else {
      for (boolean v4 : List.of(true, false)) {
        if (!node.nodePortAddresses(v4).isEmpty()) {
          sb.append("    ct zone 0 fib daddr type local ")
              .append(ip(v4))
              .append(" daddr @")
              .append(new NodePortAddressSet(v4).name())
              .append(" meta l4proto . th dport vmap @")
              .append(new NodePortMap(v4).name())
              .append('\n');
        }
      }
    }
    sb.append("  }\n");
    // Host-originated traffic (zone 0) reaches the default network's VIPs too.
    sb.append("  chain nat_out {\n    type nat hook output priority -100; policy accept;\n")
        .append("    ct zone . ip daddr . meta l4proto . th dport vmap @svc4\n")
        .append("    ct zone . ip6 daddr . meta l4proto . th dport vmap @svc6\n  }\n");
    sb.append(
            "  chain aff_record {\n    type filter hook prerouting priority dstnat + 10; policy accept;\n")
        .append(
            "    ct state new ct status dnat meta l4proto { tcp, udp, sctp } ct zone . ct original ip daddr . meta l4proto . ct original proto-dst vmap @affsvc4\n")
        .append(
            "    ct state new ct status dnat meta l4proto { tcp, udp, sctp } ct zone . ct original ip6 daddr . meta l4proto . ct original proto-dst vmap @affsvc6\n  }\n");
    // A node-local listener takes only what was DNATed to it in its own network's zone.
    sb.append("  chain local_in {\n    type filter hook input priority filter; policy accept;\n")
        .append(
            "    ct status dnat ct zone . ip daddr . meta l4proto . th dport @listener_zones4 accept\n")
        .append(
            "    ct status dnat ct zone . ip6 daddr . meta l4proto . th dport @listener_zones6 accept\n")
        .append("    ip daddr . meta l4proto . th dport @listeners4 drop\n")
        .append("    ip6 daddr . meta l4proto . th dport @listeners6 drop\n  }\n");
    sb.append("  chain nat_post {\n    type nat hook postrouting priority srcnat; policy accept;\n")
        .append("    ct status dnat ct zone . ip saddr . ip daddr @hairpin4 masquerade\n")
        .append("    ct status dnat ct zone . ip6 saddr . ip6 daddr @hairpin6 masquerade\n")
        .append("    meta mark & 0x4000 == 0x4000 masquerade fully-random\n");
    if (node.masqueradeAll()) {
      sb.append("    ct status dnat masquerade fully-random\n");
    } else if (!node.clusterCidrs().isEmpty()) {
      // kube-proxy's rule: default-network traffic to a VIP from outside the cluster is
      // masqueraded.
      sb.append("    ct status dnat ct zone 0 ip saddr != @cluster4 masquerade fully-random\n")
          .append("    ct status dnat ct zone 0 ip6 saddr != @cluster6 masquerade fully-random\n");
    }
    sb.append("  }\n");
  }

  /** A shared chain's definition inside a table block. */
  static String chain(SharedChain chain) {
    var sb = new StringBuilder("  chain ").append(chain.name()).append(" {\n");
    switch (chain) {
      case Balance(Pick pick, int n) -> {
        for (boolean v4 : List.of(true, false)) {
          String ip = ip(v4);
          for (Protocol proto : KernelPlan.PROTOCOLS) {
            String p = proto(proto);
            String choice =
                pick == Pick.MAGLEV
                    ? "jhash "
                        + ip
                        + " saddr . "
                        + p
                        + " sport mod "
                        + n
                        + " seed 0x"
                        + Integer.toHexString(KernelPlan.SEED)
                    : "numgen random mod " + n;
            sb.append("    meta nfproto ")
                .append(nfproto(v4))
                .append(" meta l4proto ")
                .append(p)
                .append(" dnat ")
                .append(ip)
                .append(" to ct zone . ")
                .append(ip)
                .append(" daddr . ")
                .append(p)
                .append(" dport . ")
                .append(choice)
                .append(" map @")
                .append(new EndpointMap(v4, proto, 0).name())
                .append('\n');
          }
        }
      }
      case SharedRecord(int timeout) -> {
        for (Protocol proto : KernelPlan.PROTOCOLS) {
          String p = proto(proto);
          sb.append("    meta nfproto ipv4 meta l4proto ")
              .append(p)
              .append(" update @")
              .append(new AffinityMap(proto).name())
              .append(
                  " { ct zone . ip saddr . ct original ip daddr . ct original proto-dst timeout ")
              .append(timeout)
              .append("s : ip daddr . ")
              .append(p)
              .append(" dport }\n");
        }
      }
      case SharedLookup(Balance balance) -> {
        for (Protocol proto : KernelPlan.PROTOCOLS) {
          String p = proto(proto);
          sb.append("    meta nfproto ipv4 meta l4proto ")
              .append(p)
              .append(" dnat ip to ct zone . ip saddr . ip daddr . ")
              .append(p)
              .append(" dport map @")
              .append(new AffinityMap(proto).name())
              .append('\n');
        }
        sb.append("    goto ").append(balance.name()).append('\n');
      }
    }
    return sb.append("  }\n").toString();
  }

  /** A NodePort's chain, defined in a table block of its own. */
  private static void define(StringBuilder sb, NodePort np) {
    sb.append("table ").append(TABLE).append(" {\n  chain ").append(np.name()).append(" {\n");
    if (np.backends().isEmpty()) {
      sb.append("    ").append(verdict(np.none())).append('\n');
    } else {
      if (np.masquerade()) {
        sb.append("    meta mark set meta mark | 0x")
            .append(Long.toHexString(KernelPlan.MASQUERADE_MARK))
            .append('\n');
      }
      List<String> map = new ArrayList<>();
      List<Backend> backends = np.backends();
      for (int i = 0; i < backends.size(); i++) {
        map.add(i + " : " + backends.get(i).getAddress() + " . " + backends.get(i).getPort());
      }
      sb.append("    meta l4proto ")
          .append(proto(np.protocol()))
          .append(" dnat ")
          .append(ip(np.v4()))
          .append(" to numgen random mod ")
          .append(backends.size())
          .append(" map { ")
          .append(String.join(", ", map))
          .append(" }\n");
    }
    sb.append("  }\n}\n");
  }

  /** Operations as nft commands, in order. */
  static String render(List<Op> ops) {
    var sb = new StringBuilder();
    for (Op op : ops) {
      switch (op) {
        case Elements(Verb verb, TableSet set, List<Element> elements) ->
            elements(sb, verb, set, elements);
        case DefineShared(SharedChain c) -> {
          sb.append("add chain ").append(TABLE).append(' ').append(c.name()).append('\n');
          sb.append("table ").append(TABLE).append(" {\n").append(chain(c)).append("}\n");
        }
        case DefineNodePort(NodePort np) -> {
          define(sb, np);
          elements(sb, Verb.ADD, np.map(), List.of(new NodePortEntry(np)));
        }
        case RedefineNodePort(NodePort np) -> {
          sb.append("flush chain ").append(TABLE).append(' ').append(np.name()).append('\n');
          define(sb, np);
        }
        case DeleteNodePort(NodePort np) -> {
          elements(sb, Verb.DELETE, np.map(), List.of(new NodePortEntry(np)));
          sb.append("delete chain ").append(TABLE).append(' ').append(np.name()).append('\n');
        }
        case AddOwnAffinity(Instance i) -> {
          sb.append("add map ").append(TABLE).append(' ').append(i.ownMap().name());
          sb.append(" { typeof ip6 saddr : ip6 daddr; flags dynamic, timeout; size ");
          sb.append(i.ownMap().size()).append("; }\n");
          sb.append("add chain ").append(TABLE).append(' ').append(i.lookup().name()).append('\n');
          lookupRules(sb, i);
          String rec = i.recorder().name();
          sb.append("add chain ").append(TABLE).append(' ').append(rec).append('\n');
          sb.append("add rule ")
              .append(TABLE)
              .append(' ')
              .append(rec)
              .append(" update @")
              .append(i.ownMap().name())
              .append(" { ip6 saddr timeout ")
              .append(i.affinityTimeout())
              .append("s : ip6 daddr }\n");
        }
        case RepointOwnAffinity(Instance i) -> {
          sb.append("flush chain ").append(TABLE).append(' ').append(i.lookup().name());
          sb.append('\n');
          lookupRules(sb, i);
        }
        case DeleteOwnAffinity(Instance i) -> {
          sb.append("delete chain ").append(TABLE).append(' ').append(i.lookup().name());
          sb.append('\n');
          sb.append("delete chain ").append(TABLE).append(' ').append(i.recorder().name());
          sb.append('\n');
          sb.append("delete map ").append(TABLE).append(' ').append(i.ownMap().name());
          sb.append('\n');
        }
      }
    }
    return sb.toString();
  }

  /** The rules of an IPv6 affinity lookup chain: a known client's backend, else balance. */
  private static void lookupRules(StringBuilder sb, Instance i) {
    String chain = i.lookup().name();
    sb.append("add rule ")
        .append(TABLE)
        .append(' ')
        .append(chain)
        .append(" meta l4proto ")
        .append(proto(i.key().protocol()))
        .append(" dnat ip6 to ip6 saddr map @")
        .append(i.ownMap().name())
        .append(" : ")
        .append(i.targetPort())
        .append('\n');
    Balance balance = java.util.Objects.requireNonNull(i.balance(), "balance");
    sb.append("add rule ")
        .append(TABLE)
        .append(' ')
        .append(chain)
        .append(" goto ")
        .append(balance.name())
        .append('\n');
  }

  private static void elements(StringBuilder sb, Verb verb, TableSet set, List<Element> elements) {
    for (int from = 0; from < elements.size(); from += ELEMENTS_PER_COMMAND) {
      sb.append(verb == Verb.ADD ? "add" : "delete").append(" element ").append(TABLE);
      sb.append(' ').append(set.name()).append(" { ");
      int to = Math.min(elements.size(), from + ELEMENTS_PER_COMMAND);
      for (int e = from; e < to; e++) {
        if (e > from) {
          sb.append(", ");
        }
        element(sb, set, elements.get(e), verb == Verb.ADD);
      }
      sb.append(" }\n");
    }
  }

  /** One element: its key, and with {@code data} its data or verdict. */
  private static void element(StringBuilder sb, TableSet set, Element e, boolean data) {
    switch (e) {
      case Service(KernelPlan.InstanceKey k, Verdict v) -> {
        sb.append(k.zone()).append(" . ").append(k.address()).append(" . ");
        sb.append(proto(k.protocol())).append(" . ").append(k.port());
        if (data) {
          sb.append(" : ").append(verdict(v));
        }
      }
      case Slot(KernelPlan.InstanceKey k, int slot, Backend b) -> {
        sb.append(k.zone()).append(" . ").append(k.address()).append(" . ").append(k.port());
        sb.append(" . ").append(slot);
        if (data) {
          sb.append(" : ").append(b.getAddress()).append(" . ").append(b.getPort());
        }
      }
      case Hairpin(int zone, io.multinet.network.IpAddress a) ->
          sb.append(zone).append(" . ").append(a).append(" . ").append(a);
      case Prefix(Cidr c) -> sb.append(c);
      case Interface(String name, Network net) -> {
        sb.append('"').append(name).append('"');
        if (data) {
          sb.append(" : goto ").append(net.name());
        }
      }
      case NodePortEntry(NodePort np) -> {
        sb.append(proto(np.protocol())).append(" . ").append(np.port());
        if (data) {
          sb.append(" : goto ").append(np.name());
        }
      }
      case MarkEntry(Network net) -> {
        sb.append("0x").append(Long.toHexString(KernelPlan.mark(net.id())));
        if (data) {
          sb.append(" : goto ").append(net.name());
        }
      }
      case Listener(int zone, io.multinet.network.IpAddress a, Protocol p, int port) -> {
        if (set instanceof ListenerSet ls && ls.zoned()) {
          sb.append(zone).append(" . ");
        }
        sb.append(a).append(" . ").append(proto(p)).append(" . ").append(port);
      }
    }
  }

  /** A verdict as nft writes it: {@code goto CHAIN} or {@code drop}. */
  static String verdict(Verdict v) {
    return switch (v) {
      case Goto(KernelPlan.Chain target) -> "goto " + target.name();
      case Drop d -> "drop";
    };
  }

  private static String ip(boolean v4) {
    return v4 ? "ip" : "ip6";
  }

  private static String nfproto(boolean v4) {
    return v4 ? "ipv4" : "ipv6";
  }
}
