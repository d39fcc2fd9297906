package io.multinet.nodeproxy.dns;

import static java.util.Objects.requireNonNull;

import io.multinet.network.IpAddress;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * The answer a network's DNS gives to one question, as {@link DnsSnapshot#query} reads it from the
 * records the server sends. Names are fully qualified, with the trailing dot.
 *
 * @param network the network's name
 * @param name the question's name, lowercase
 * @param type the question's type ({@code A}, {@code SRV}, ...)
 * @param rcode {@code NOERROR}, {@code NXDOMAIN}, {@code REFUSED}, or {@code SERVFAIL} for a name
 *     to forward when there is no upstream; null when the name is forwarded (the upstream's answer
 *     decides)
 * @param authoritative whether the node answers from its own records (AA)
 * @param answer the answer section
 * @param authority the authority section: the SOA of a negative answer
 * @param forwarded whether the name lies outside the cluster domain and the network's ranges, so
 *     the node asks {@code upstreams} (after its cache)
 * @param upstreams where a forwarded name goes, in order; empty when not forwarded
 * @param ownUpstreams whether those are the network's {@code spec.dns.upstreams} rather than the
 *     node's resolvers
 */
public record DnsAnswer(
    String network,
    String name,
    String type,
    @Nullable String rcode,
    boolean authoritative,
    List<ResourceRecord> answer,
    List<ResourceRecord> authority,
    boolean forwarded,
    List<InetSocketAddress> upstreams,
    boolean ownUpstreams) {

  public DnsAnswer {
    requireNonNull(network, "network");
    requireNonNull(name, "name");
    requireNonNull(type, "type");
    answer = List.copyOf(answer);
    authority = List.copyOf(authority);
    upstreams = List.copyOf(upstreams);
  }

  /**
   * One resource record in presentation form.
   *
   * @param data the record's data as zone files write it ({@code 10.96.0.10}, {@code 0 50 80
   *     web.demo.svc.cluster.local.})
   */
  public record ResourceRecord(String name, String type, int ttl, String data) {
    public ResourceRecord {
      requireNonNull(name, "name");
      requireNonNull(type, "type");
      requireNonNull(data, "data");
    }

    /** {@code name TTL IN TYPE data}, as dig prints it. */
    @Override
    public String toString() {
      return name + " " + ttl + " IN " + type + " " + data;
    }
  }

  /** The name a PTR query asks for {@code address}: {@code d.c.b.a.in-addr.arpa} or ip6.arpa. */
  public static String reverseName(IpAddress address) {
    return Wire.reverse(requireNonNull(address, "address"));
  }

  /** The types a query may ask for, by name. */
  static final List<String> TYPES =
      List.of("A", "AAAA", "CNAME", "PTR", "SRV", "TXT", "SOA", "ANY");

  static int typeCode(String type) {
    return switch (type) {
      case "A" -> Wire.A;
      case "AAAA" -> Wire.AAAA;
      case "CNAME" -> Wire.CNAME;
      case "PTR" -> Wire.PTR;
      case "SRV" -> Wire.SRV;
      case "TXT" -> Wire.TXT;
      case "SOA" -> Wire.SOA;
      case "ANY" -> Wire.ANY;
      default ->
          throw new IllegalArgumentException(
              "type: " + type + " (expected: one of " + String.join(", ", TYPES) + ")");
    };
  }

  static String typeName(int type) {
    return switch (type) {
      case Wire.A -> "A";
      case Wire.NS -> "NS";
      case Wire.CNAME -> "CNAME";
      case Wire.SOA -> "SOA";
      case Wire.PTR -> "PTR";
      case Wire.TXT -> "TXT";
      case Wire.AAAA -> "AAAA";
      case Wire.SRV -> "SRV";
      default -> "TYPE" + type;
    };
  }

  /**
   * The records of an answer section as the server encodes them: owners are a pointer to the
   * question's name ({@code owner}).
   */
  static List<ResourceRecord> answers(RrSet set, String owner) {
    var in = new Reader(set.bytes());
    List<ResourceRecord> out = new ArrayList<>(set.count());
    for (int i = 0; i < set.count(); i++) {
      out.add(in.record(owner));
    }
    return out;
  }

  /** The one record of an authority section (its owner written out). */
  static ResourceRecord authority(byte[] bytes) {
    return new Reader(bytes).record("");
  }

  /** Reads the server's own encoding: uncompressed names, or a pointer to the question. */
  private static final class Reader {
    private final byte[] b;
    private int p;

    Reader(byte[] bytes) {
      this.b = bytes;
    }

    ResourceRecord record(String question) {
      String owner;
      if ((b[p] & 0xc0) == 0xc0) {
        owner = question; // the pointer to offset 12 Wire.record writes
        p += 2;
      } else {
        owner = name();
      }
      int type = u16();
      p += 2; // class IN
      int ttl = (u16() << 16) | u16();
      int end = u16() + p;
      String data =
          switch (type) {
            case Wire.A, Wire.AAAA -> {
              byte[] a = new byte[end - p];
              System.arraycopy(b, p, a, 0, a.length);
              yield IpAddress.of(a).toString();
            }
            case Wire.CNAME, Wire.PTR, Wire.NS -> name();
            case Wire.SRV -> u16() + " " + u16() + " " + u16() + " " + name();
            case Wire.TXT -> {
              int len = b[p] & 0xff;
              yield "\"" + new String(b, p + 1, len, StandardCharsets.UTF_8) + "\"";
            }
            case Wire.SOA ->
                name() + " " + name() + " " + u32() + " " + u32() + " " + u32() + " " + u32() + " "
                    + u32();
            default -> "\\# " + (end - p);
          };
      p = end;
      return new ResourceRecord(owner, typeName(type), ttl, data);
    }

    private String name() {
      var sb = new StringBuilder();
      while (true) {
        int len = b[p++] & 0xff;
        if (len == 0) {
          return sb.isEmpty() ? "." : sb.toString();
        }
        sb.append(new String(b, p, len, StandardCharsets.US_ASCII)).append('.');
        p += len;
      }
    }

    private int u16() {
      int v = ((b[p] & 0xff) << 8) | (b[p + 1] & 0xff);
      p += 2;
      return v;
    }

    private long u32() {
      long v = ((long) u16() << 16) | u16();
      return v;
    }
  }
}
