package io.multinet.watcher.slice;

import static java.util.Objects.requireNonNull;

/**
 * One EndpointSlice port: the Service port's name and protocol, with the target port resolved for a
 * pod.
 */
public record PortRef(String name, String protocol, int port) implements Comparable<PortRef> {

  public PortRef {
    requireNonNull(name, "name");
    requireNonNull(protocol, "protocol");
  }

  @Override
  public int compareTo(PortRef o) {
    int c = name.compareTo(o.name);
    if (c != 0) {
      return c;
    }
    c = protocol.compareTo(o.protocol);
    return c != 0 ? c : Integer.compare(port, o.port);
  }
}
