package io.multinet.network;

import static java.util.Objects.requireNonNull;

import java.util.Locale;

/** The transport protocols a Service port can name. */
public enum Protocol {
  TCP(6),
  UDP(17),
  SCTP(132);

  private static final Protocol[] VALUES = values();

  private final int number;

  Protocol(int number) {
    this.number = number;
  }

  /** The IP protocol number (6, 17, 132), as packets and dataplanes carry it. */
  public int number() {
    return number;
  }

  /** Parses Kubernetes' spelling ({@code "TCP"}), in any case. */
  public static Protocol parse(String name) {
    requireNonNull(name, "name");
    for (Protocol p : VALUES) {
      if (p.name().equals(name.toUpperCase(Locale.ROOT))) {
        return p;
      }
    }
    throw new IllegalArgumentException("protocol: " + name + " (expected: TCP, UDP or SCTP)");
  }
}
