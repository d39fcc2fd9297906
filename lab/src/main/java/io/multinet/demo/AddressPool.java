package io.multinet.demo;

import static java.util.Objects.requireNonNull;

import io.multinet.network.Cidr;
import io.multinet.network.IpAddress;
import java.util.Collection;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import org.jspecify.annotations.Nullable;

/**
 * One network's pod addresses on the demo node, handed out like the host-local IPAM plugin does:
 * the next free address after the last one given, so an address just released is not reused at once
 * (a new pod does not inherit the old one's conntrack entries). Never the range's first or last
 * address, never a reserved one (the network's client), never one another pod holds. IPv4. Not
 * thread-safe: the demo's kubelet plumbs one pod at a time.
 */
final class AddressPool {

  private final String network;
  private final Cidr range;
  private final Set<IpAddress> reserved;
  private final Map<IpAddress, String> owners = new HashMap<>();
  private final int first;
  private final int size;
  private int next;

  AddressPool(String network, Cidr range, Collection<IpAddress> reserved) {
    this.network = requireNonNull(network, "network");
    this.range = requireNonNull(range, "range");
    if (!range.address().isV4() || range.prefixLength() > 30) {
      throw new IllegalArgumentException(
          "pod range of " + network + ": " + range + " (expected: IPv4, /30 or wider)");
    }
    this.reserved = Set.copyOf(reserved);
    this.first = range.address().v4Bits() + 1;
    this.size = (int) Math.min((1L << (32 - range.prefixLength())) - 2, Integer.MAX_VALUE);
    this.next = 0;
  }

  Cidr range() {
    return range;
  }

  /**
   * Gives {@code owner} the address it asked for (a request's {@code ips}).
   *
   * @throws IllegalArgumentException when it is outside the range, reserved or another pod's
   */
  IpAddress claim(String owner, IpAddress wanted) {
    String why = unavailable(owner, wanted);
    if (why != null) {
      throw new IllegalArgumentException(
          "ips: "
              + wanted
              + " on "
              + network
              + " (expected: a free address in "
              + range
              + "; "
              + why
              + ")");
    }
    owners.put(wanted, owner);
    return wanted;
  }

  /** Gives {@code owner} {@code preferred} when it is free, else the next free address. */
  IpAddress allocate(String owner, @Nullable IpAddress preferred) {
    requireNonNull(owner, "owner");
    if (preferred != null && unavailable(owner, preferred) == null) {
      owners.put(preferred, owner);
      return preferred;
    }
    for (int i = 0; i < size; i++) {
      IpAddress candidate = IpAddress.ofV4(first + (next + i) % size);
      if (unavailable(owner, candidate) == null) {
        next = (next + i + 1) % size;
        owners.put(candidate, owner);
        return candidate;
      }
    }
    throw new IllegalStateException("no free address in " + range + " on " + network);
  }

  /** Returns every address {@code owner} holds. */
  void release(String owner) {
    owners.values().removeIf(owner::equals);
  }

  /** How many addresses are held. */
  int used() {
    return owners.size();
  }

  private @Nullable String unavailable(String owner, IpAddress address) {
    if (!address.isV4() || !range.contains(address)) {
      return "outside the range";
    }
    int bits = address.v4Bits();
    if (bits == range.address().v4Bits() || bits == first + size) {
      return "the range's network or broadcast address";
    }
    if (reserved.contains(address)) {
      return "reserved for the network's client";
    }
    String holder = owners.get(address);
    if (holder != null && !holder.equals(owner)) {
      return "held by " + holder;
    }
    return null;
  }
}
