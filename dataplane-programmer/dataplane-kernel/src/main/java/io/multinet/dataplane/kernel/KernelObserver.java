package io.multinet.dataplane.kernel;

import com.google.gson.JsonArray;
import com.google.gson.JsonElement;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.multinet.dataplane.v1.Backend;
import io.multinet.dataplane.v1.DesiredState;
import io.multinet.dataplane.v1.KernelHints;
import io.multinet.dataplane.v1.LoadBalancing;
import io.multinet.dataplane.v1.NetworkSpec;
import io.multinet.dataplane.v1.Protocol;
import io.multinet.dataplane.v1.ServicePort;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.TreeSet;
import org.jspecify.annotations.Nullable;

/**
 * Reads the {@code inet multinet} table back from the kernel ({@code nft -j list table}) into the
 * shape of a desired state, and normalizes a desired state to what the kernel can show: each
 * external address becomes its own port, backends are sorted and reduced to address and port, and
 * names are dropped. Tests compare the two.
 */
final class KernelObserver {

  private KernelObserver() {}

  static DesiredState read(String json) {
    JsonArray items = JsonParser.parseString(json).getAsJsonObject().getAsJsonArray("nftables");
    Map<String, JsonObject> maps = new TreeMap<>();
    List<Integer> networks = new ArrayList<>();
    Map<String, String> lbOf = new TreeMap<>();
    for (JsonElement e : items) {
      JsonObject o = e.getAsJsonObject();
      if (o.has("map")) {
        JsonObject m = o.getAsJsonObject("map");
        maps.put(m.get("name").getAsString(), m);
      } else if (o.has("chain")) {
        String name = o.getAsJsonObject("chain").get("name").getAsString();
        if (name.startsWith("net_")) {
          networks.add(Integer.parseInt(name.substring(4)));
        }
      } else if (o.has("rule")) {
        // An IPv6 affinity lookup chain ends in a goto to the shared chain that balances.
        JsonObject r = o.getAsJsonObject("rule");
        String chain = r.get("chain").getAsString();
        if (chain.startsWith("aff6_")) {
          for (JsonElement x : r.getAsJsonArray("expr")) {
            if (x.isJsonObject() && x.getAsJsonObject().has("goto")) {
              lbOf.put(
                  chain, x.getAsJsonObject().getAsJsonObject("goto").get("target").getAsString());
            }
          }
        }
      }
    }
    Map<Integer, List<String>> interfaces = new TreeMap<>();
    for (JsonArray el : elements(maps.get("if_net"))) {
      String target =
          el.get(1).getAsJsonObject().getAsJsonObject("goto").get("target").getAsString();
      interfaces
          .computeIfAbsent(Integer.parseInt(target.substring(4)), k -> new ArrayList<>())
          .add(string(el.get(0)));
    }
    var state = DesiredState.newBuilder();
    networks.sort(null);
    for (int id : networks) {
      state.addNetworks(
          NetworkSpec.newBuilder()
              .setId(id)
              .setKernel(
                  KernelHints.newBuilder()
                      .addAllInterfaces(new TreeSet<>(interfaces.getOrDefault(id, List.of())))));
    }
    Map<String, Integer> affinity = new TreeMap<>();
    for (String map : List.of("affsvc4", "affsvc6")) {
      for (JsonArray el : elements(maps.get(map))) {
        String target =
            el.get(1).getAsJsonObject().getAsJsonObject("goto").get("target").getAsString();
        // aff_rec_T (shared, IPv4) or aff6rT_ID (an IPv6 service's own recorder)
        String timeout =
            target.startsWith("aff_rec_")
                ? target.substring("aff_rec_".length())
                : target.substring("aff6r".length(), target.indexOf('_'));
        affinity.put(keyText(el.get(0)), Integer.parseInt(timeout));
      }
    }
    // ep elements: zone . vip . port . slot -> address . port
    Map<String, Map<Integer, String>> slots = new TreeMap<>();
    for (String family : List.of("4", "6")) {
      for (Protocol p : KernelPlan.PROTOCOLS) {
        String proto = KernelPlan.proto(p);
        String map = "ep" + family + "_" + proto;
        for (JsonArray el : elements(maps.get(map))) {
          JsonArray k = el.get(0).getAsJsonObject().getAsJsonArray("concat");
          String key =
              k.get(0).getAsInt()
                  + " "
                  + k.get(1).getAsString()
                  + " "
                  + proto
                  + " "
                  + k.get(2).getAsInt();
          JsonArray v = el.get(1).getAsJsonObject().getAsJsonArray("concat");
          slots
              .computeIfAbsent(key, x -> new TreeMap<>())
              .put(k.get(3).getAsInt(), v.get(0).getAsString() + " " + v.get(1).getAsInt());
        }
      }
    }

    List<ServicePort> ports = new ArrayList<>();
    for (String map : List.of("svc4", "svc6")) {
      for (JsonArray el : elements(maps.get(map))) {
        JsonArray k = el.get(0).getAsJsonObject().getAsJsonArray("concat");
        int zone = k.get(0).getAsInt();
        String vip = k.get(1).getAsString();
        String proto = k.get(2).getAsString();
        int port = k.get(3).getAsInt();
        JsonObject verdict = el.get(1).getAsJsonObject();
        var sp =
            ServicePort.newBuilder()
                .setNetworkId(zone)
                .setAddress(vip)
                .setProtocol(Protocol.valueOf(proto.toUpperCase(Locale.ROOT)))
                .setPort(port);
        if (verdict.has("drop")) {
          sp.setHasAnyEndpoints(true);
        } else {
          String target = verdict.getAsJsonObject("goto").get("target").getAsString();
          target = lbOf.getOrDefault(target, target);
          if (!target.equals("no_endpoints")) {
            sp.setHasAnyEndpoints(true);
            boolean hash = target.contains("_hash_");
            sp.setLoadBalancing(hash ? LoadBalancing.MAGLEV : LoadBalancing.RANDOM);
            if (hash) {
              sp.setMaglevTableSize(
                  Integer.parseInt(target.substring(target.lastIndexOf('_') + 1)));
            }
            var backends =
                new TreeSet<String>(
                    slots
                        .getOrDefault(zone + " " + vip + " " + proto + " " + port, Map.of())
                        .values());
            for (String b : backends) {
              String[] ap = b.split(" ", 2);
              sp.addBackends(
                  Backend.newBuilder().setAddress(ap[0]).setPort(Integer.parseInt(ap[1])));
            }
          }
        }
        Integer timeout = affinity.get(zone + " " + vip + " " + proto + " " + port);
        if (timeout != null) {
          sp.setAffinityTimeoutSeconds(timeout);
        }
        ports.add(sp.build());
      }
    }
    ports.sort(Comparator.comparing(KernelPlanner::key));
    return state.addAllServicePorts(ports).build();
  }

  /** What {@link #read} should return once {@code desired} is applied. */
  static DesiredState expected(DesiredState desired) {
    var state = DesiredState.newBuilder();
    desired.getNetworksList().stream()
        .filter(n -> n.getId() != 0)
        .sorted(Comparator.comparingInt(NetworkSpec::getId))
        .forEach(
            n ->
                state.addNetworks(
                    NetworkSpec.newBuilder()
                        .setId(n.getId())
                        .setKernel(
                            KernelHints.newBuilder()
                                .addAllInterfaces(
                                    new TreeSet<>(n.getKernel().getInterfacesList())))));
    List<ServicePort> ports = new ArrayList<>();
    for (ServicePort sp : desired.getServicePortsList()) {
      if (!KernelPlan.PROTOCOLS.contains(sp.getProtocol())) {
        continue;
      }
      ports.add(normalize(sp, sp.getAddress(), sp.getBackendsList()));
      for (String ext : sp.getExternalAddressesList()) {
        ports.add(normalize(sp, ext, sp.getExternalBackendsList()));
      }
    }
    ports.sort(Comparator.comparing(KernelPlanner::key));
    return state.addAllServicePorts(ports).build();
  }

  private static ServicePort normalize(ServicePort sp, String address, List<Backend> backends) {
    var out =
        ServicePort.newBuilder()
            .setNetworkId(sp.getNetworkId())
            .setAddress(io.multinet.network.IpAddress.parse(address).toString())
            .setProtocol(sp.getProtocol())
            .setPort(sp.getPort());
    if (backends.isEmpty()) {
      out.setHasAnyEndpoints(sp.getHasAnyEndpoints());
    } else {
      out.setHasAnyEndpoints(true);
      boolean maglev = sp.getLoadBalancing() == LoadBalancing.MAGLEV;
      out.setLoadBalancing(maglev ? LoadBalancing.MAGLEV : LoadBalancing.RANDOM);
      if (maglev) {
        int m = sp.getMaglevTableSize();
        out.setMaglevTableSize(m == 0 ? io.multinet.table.Maglev.tableSize(backends.size()) : m);
      }
      var sorted = new TreeSet<String>();
      for (Backend b : backends) {
        sorted.add(io.multinet.network.IpAddress.parse(b.getAddress()) + " " + b.getPort());
      }
      for (String b : sorted) {
        String[] ap = b.split(" ", 2);
        out.addBackends(Backend.newBuilder().setAddress(ap[0]).setPort(Integer.parseInt(ap[1])));
      }
      if (sp.getAffinityTimeoutSeconds() > 0
          && KernelPlanner.sharesAffinity(io.multinet.network.IpAddress.parse(address), backends)) {
        out.setAffinityTimeoutSeconds(sp.getAffinityTimeoutSeconds());
      }
    }
    return out.build();
  }

  private static List<JsonArray> elements(@Nullable JsonObject map) {
    List<JsonArray> out = new ArrayList<>();
    if (map == null || !map.has("elem")) {
      return out;
    }
    for (JsonElement e : map.getAsJsonArray("elem")) {
      out.add(e.getAsJsonArray());
    }
    return out;
  }

  private static String keyText(JsonElement key) {
    JsonArray k = key.getAsJsonObject().getAsJsonArray("concat");
    return k.get(0).getAsInt()
        + " "
        + k.get(1).getAsString()
        + " "
        + k.get(2).getAsString()
        + " "
        + k.get(3).getAsInt();
  }

  private static String string(JsonElement e) {
    if (e.isJsonPrimitive()) {
      return e.getAsString();
    }
    return e.toString();
  }
}
