package io.multinet.dataplane.vpp;

import static java.util.Objects.requireNonNull;

import io.multinet.network.IpAddress;
import io.netty.buffer.ByteBuf;
import java.util.ArrayList;
import java.util.List;
import org.jspecify.annotations.Nullable;

/**
 * {@code vl_api_cnat_translation_t} (cnat.api.json): 40 bytes, then {@code n_paths} endpoint tuples
 * of 49 bytes each.
 *
 * <pre>
 *  0 vip              cnat_endpoint (24)
 * 24 id               u32
 * 28 ip_proto         u8  (TCP 6, UDP 17)
 * 29 is_real_ip       u8
 * 30 flags            u8  (cnat_translation_flags)
 * 31 lb_type          u8  (0 default, 1 maglev)
 * 32 n_paths          u32
 * 36 flow_hash_config u32 (ip_flow_hash_config_v2; 0 = VPP's default 5-tuple hash)
 * 40 paths[n_paths]   cnat_endpoint_tuple (49)
 * </pre>
 *
 * <p>{@code vl_api_cnat_translation_v2_t} (vpp-patches/0001) has {@code u32 table_id} after {@code
 * id}: 44 bytes, every later field 4 bytes further.
 */
record CnatTranslation(
    Endpoint vip,
    int id,
    int ipProto,
    boolean isRealIp,
    int flags,
    int lbType,
    int flowHashConfig,
    List<Path> paths) {

  static final int FIXED = 40;
  static final int FIXED_V2 = 44;
  static final int PATH = 49;
  static final int TCP = 6;
  static final int UDP = 17;
  static final int LB_DEFAULT = 0;
  static final int LB_MAGLEV = 1;

  /** CNAT_TRANSLATION_ALLOC_PORT: a source-NATed flow gets a source port from cnat's allocator. */
  static final int FLAG_ALLOC_PORT = 1;

  static final int FLOW_HASH_SRC_IP = 1;
  static final int FLOW_HASH_DST_IP = 2;
  static final int FLOW_HASH_PROTO = 16;

  /** VPP's limit on one API message's paths is memory; ours keeps one message under 1 MiB. */
  static final int MAX_PATHS = 20_000;

  CnatTranslation {
    requireNonNull(vip, "vip");
    paths = List.copyOf(paths);
  }

  int size() {
    return FIXED + PATH * paths.size();
  }

  /** The size of {@code vl_api_cnat_translation_v2_t} with these paths. */
  int sizeV2() {
    return FIXED_V2 + PATH * paths.size();
  }

  void encode(ByteBuf out) {
    encode(out, null);
  }

  /** Encodes {@code vl_api_cnat_translation_v2_t}, in FIB table {@code tableId}. */
  void encodeV2(ByteBuf out, int tableId) {
    encode(out, tableId);
  }

  private void encode(ByteBuf out, @Nullable Integer tableId) {
    vip.encode(out);
    out.writeInt(id);
    if (tableId != null) {
      out.writeInt(tableId);
    }
    out.writeByte(ipProto);
    out.writeByte(isRealIp ? 1 : 0);
    out.writeByte(flags);
    out.writeByte(lbType);
    out.writeInt(paths.size());
    out.writeInt(flowHashConfig);
    for (Path p : paths) {
      p.encode(out);
    }
  }

  /** A translation and the FIB table (table id, not index) it is in. */
  record InTable(int tableId, CnatTranslation translation) {
    InTable {
      requireNonNull(translation, "translation");
    }
  }

  static CnatTranslation decode(ByteBuf in) {
    Wire.need(in, FIXED, "cnat_translation");
    Endpoint vip = Endpoint.decode(in);
    int id = in.readInt();
    return decodeRest(in, vip, id);
  }

  /** Decodes {@code vl_api_cnat_translation_v2_t}. */
  static InTable decodeV2(ByteBuf in) {
    Wire.need(in, FIXED_V2, "cnat_translation_v2");
    Endpoint vip = Endpoint.decode(in);
    int id = in.readInt();
    int table = in.readInt();
    return new InTable(table, decodeRest(in, vip, id));
  }

  private static CnatTranslation decodeRest(ByteBuf in, Endpoint vip, int id) {
    int proto = in.readUnsignedByte();
    boolean real = in.readUnsignedByte() != 0;
    int flags = in.readUnsignedByte();
    int lb = in.readUnsignedByte();
    long n = in.readUnsignedInt();
    int fhc = in.readInt();
    if (n > MAX_PATHS) {
      throw new IllegalArgumentException(
          "cnat_translation: n_paths " + n + " (expected: at most " + MAX_PATHS + ")");
    }
    Wire.need(in, (int) n * PATH, "cnat_translation paths (n_paths " + n + ")");
    var paths = new ArrayList<Path>((int) n);
    for (int i = 0; i < n; i++) {
      paths.add(Path.decode(in));
    }
    return new CnatTranslation(vip, id, proto, real, flags, lb, fhc, paths);
  }

  /**
   * {@code vl_api_cnat_endpoint_t}: addr (17) @0, u32 sw_if_index @17, u8 if_af @21, u16 port @22.
   */
  record Endpoint(IpAddress address, int swIfIndex, int ifAf, int port) {

    static final int SIZE = 24;

    Endpoint {
      requireNonNull(address, "address");
    }

    /** An address endpoint (sw_if_index ~0: "use addr"). */
    static Endpoint of(IpAddress address, int port) {
      return new Endpoint(address, Wire.NO_INTERFACE, address.isV4() ? 0 : 1, port);
    }

    /** The "any" source of a path: the family's zero address, port 0, as VPP's tests send it. */
    static Endpoint anySource(boolean v4) {
      IpAddress zero = v4 ? IpAddress.ofV4(0) : IpAddress.of(0, 0);
      return of(zero, 0);
    }

    void encode(ByteBuf out) {
      Wire.writeAddress(out, address);
      out.writeInt(swIfIndex);
      out.writeByte(ifAf);
      out.writeShort(port);
    }

    static Endpoint decode(ByteBuf in) {
      IpAddress a = Wire.readAddress(in);
      return new Endpoint(a, in.readInt(), in.readUnsignedByte(), in.readUnsignedShort());
    }
  }

  /** {@code vl_api_cnat_endpoint_tuple_t}: dst_ep @0, src_ep @24, u8 flags @48. */
  record Path(Endpoint dst, Endpoint src, int flags) {

    Path {
      requireNonNull(dst, "dst");
      requireNonNull(src, "src");
    }

    static Path to(IpAddress address, int port) {
      return new Path(Endpoint.of(address, port), Endpoint.anySource(address.isV4()), 0);
    }

    void encode(ByteBuf out) {
      dst.encode(out);
      src.encode(out);
      out.writeByte(flags);
    }

    static Path decode(ByteBuf in) {
      Endpoint dst = Endpoint.decode(in);
      Endpoint src = Endpoint.decode(in);
      return new Path(dst, src, in.readUnsignedByte());
    }
  }
}
