package io.multinet.network;

import static java.util.Objects.requireNonNull;

import java.util.List;
import java.util.regex.Pattern;

/**
 * An isolated network whose pods get their own Services. Pod and service ranges may overlap those
 * of other networks; the numeric {@link #id} is what dataplanes key on (conntrack zone, VNI, VRF).
 *
 * <p>The default network ({@link #DEFAULT}, id 0) is Kubernetes' own: its ranges are Kubernetes'
 * business, so empty range lists mean "not checked".
 *
 * @param name a DNS-1123 label, unique across networks
 * @param id 1-65535 for additional networks, 0 for the default network only
 * @param serviceCidrs where this network's cluster IPs come from; empty means unchecked
 * @param podCidrs where this network's endpoints must live; empty means unchecked
 */
public record Network(String name, int id, List<Cidr> serviceCidrs, List<Cidr> podCidrs) {

  // Declared before DEFAULT: the constructor needs it while the class initializes.
  private static final Pattern DNS1123_LABEL =
      Pattern.compile("[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?");

  public static final int DEFAULT_ID = 0;
  public static final String DEFAULT_NAME = "default";
  public static final int MAX_ID = 65535;

  /** Kubernetes' own network: its service CIDR and EndpointSlices are taken as they are. */
  public static final Network DEFAULT = new Network(DEFAULT_NAME, DEFAULT_ID, List.of(), List.of());

  public Network {
    requireNonNull(name, "name");
    serviceCidrs = List.copyOf(requireNonNull(serviceCidrs, "serviceCidrs"));
    podCidrs = List.copyOf(requireNonNull(podCidrs, "podCidrs"));
    if (!DNS1123_LABEL.matcher(name).matches()) {
      throw new IllegalArgumentException(
          "name: " + name + " (expected: a DNS-1123 label, e.g. blue or tenant-a)");
    }
    if (id == DEFAULT_ID) {
      if (!name.equals(DEFAULT_NAME)) {
        throw new IllegalArgumentException(
            "id: 0 (expected: 1-" + MAX_ID + "; 0 is reserved for the default network)");
      }
    } else if (id < 1 || id > MAX_ID) {
      throw new IllegalArgumentException("id: " + id + " (expected: 1-" + MAX_ID + ")");
    } else if (name.equals(DEFAULT_NAME)) {
      throw new IllegalArgumentException(
          "name: default with id " + id + " (expected: id 0; the default network is implicit)");
    }
    checkNoOverlap("serviceCidrs", serviceCidrs);
    checkNoOverlap("podCidrs", podCidrs);
  }

  public static Network of(String name, int id, List<Cidr> serviceCidrs, List<Cidr> podCidrs) {
    return new Network(name, id, serviceCidrs, podCidrs);
  }

  public boolean isDefault() {
    return id == DEFAULT_ID;
  }

  /** Whether {@code address} may be a cluster IP of this network. */
  public boolean isServiceAddress(IpAddress address) {
    return serviceCidrs.isEmpty() || anyContains(serviceCidrs, address);
  }

  /** Whether {@code address} may be a pod (endpoint) address of this network. */
  public boolean isPodAddress(IpAddress address) {
    return podCidrs.isEmpty() || anyContains(podCidrs, address);
  }

  private static boolean anyContains(List<Cidr> cidrs, IpAddress address) {
    for (Cidr c : cidrs) {
      if (c.contains(address)) {
        return true;
      }
    }
    return false;
  }

  private static void checkNoOverlap(String field, List<Cidr> cidrs) {
    for (int i = 0; i < cidrs.size(); i++) {
      for (int j = i + 1; j < cidrs.size(); j++) {
        if (cidrs.get(i).overlaps(cidrs.get(j))) {
          throw new IllegalArgumentException(
              field
                  + ": "
                  + cidrs.get(i)
                  + " and "
                  + cidrs.get(j)
                  + " overlap (expected: disjoint ranges within one network)");
        }
      }
    }
  }
}
