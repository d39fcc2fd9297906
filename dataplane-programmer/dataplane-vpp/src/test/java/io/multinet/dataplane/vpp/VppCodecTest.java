package io.multinet.dataplane.vpp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.multinet.network.IpAddress;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.ByteBufUtil;
import io.netty.buffer.Unpooled;
import io.netty.channel.embedded.EmbeddedChannel;
import io.netty.handler.codec.DecoderException;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Byte-exact frames derived by hand from the .api.json layouts (offsets in the comments are into
 * the payload, after the 16-byte frame header), and encode/decode round trips. Addresses: VIPs
 * 10.96.0.0/16 and fd00:96::/112, pods 10.1.0.0/24 and fd00:1::/64, documentation ranges for SNAT.
 */
class VppCodecTest {

  private static final int HANDLE = 0x8000_0001;

  private static String frame(int id, int context, VppMessages.Request<?> r) {
    ByteBuf b = Unpooled.buffer();
    VppApiClient.writeRequest(b, id, HANDLE, context, r);
    return ByteBufUtil.hexDump(b);
  }

  private static String hex(String spaced) {
    return spaced.replaceAll("[\\s|]", "");
  }

  @Test
  void translationUpdate_ipv4OnePath_isByteExact() {
    var t =
        new CnatTranslation(
            CnatTranslation.Endpoint.of(IpAddress.parse("10.96.0.10"), 80),
            0,
            CnatTranslation.TCP,
            false,
            0,
            CnatTranslation.LB_MAGLEV,
            0,
            List.of(CnatTranslation.Path.to(IpAddress.parse("10.1.0.11"), 8080)));
    String expected =
        hex(
            // header: q (8 bytes 0), length 99 = 50 + 49·1, gc_mark_timestamp 0
            "0000000000000000 00000063 00000000"
                // @0 _vl_msg_id 0x0123, @2 client_index, @6 context 7
                + "0123 80000001 00000007"
                // @10 vip.addr: af 0 (IPv4), union = 10.96.0.10 then 12 zero bytes
                + "00 0a60000a 000000000000000000000000"
                // @27 vip.sw_if_index ~0 (use addr), @31 if_af 0, @32 port 80
                + "ffffffff 00 0050"
                // @34 id 0, @38 ip_proto 6, @39 is_real_ip 0, @40 flags 0, @41 lb_type 1 (maglev)
                + "00000000 06 00 00 01"
                // @42 n_paths 1, @46 flow_hash_config 0 (VPP's default hash)
                + "00000001 00000000"
                // @50 paths[0].dst_ep: 10.1.0.11, sw_if_index ~0, if_af 0, port 8080
                + "00 0a01000b 000000000000000000000000 ffffffff 00 1f90"
                // @74 paths[0].src_ep: 0.0.0.0, sw_if_index ~0, if_af 0, port 0
                + "00 00000000 000000000000000000000000 ffffffff 00 0000"
                // @98 paths[0].flags 0
                + "00");
    assertThat(frame(0x0123, 7, new VppMessages.TranslationUpdate(t))).isEqualTo(expected);
  }

  @Test
  void translationUpdateV2_ipv4OnePathInTable1056_isByteExact() {
    // cnat_translation_update_v2 (vpp-patches/0001): cnat_translation_v2 has u32 table_id @38.
    var t =
        new CnatTranslation(
            CnatTranslation.Endpoint.of(IpAddress.parse("10.96.0.10"), 80),
            0,
            CnatTranslation.TCP,
            false,
            0,
            CnatTranslation.LB_DEFAULT,
            0,
            List.of(CnatTranslation.Path.to(IpAddress.parse("10.1.0.11"), 8080)));
    String expected =
        hex(
            // header: length 103 = 54 + 49·1
            "0000000000000000 00000067 00000000"
                + "0124 80000001 00000008"
                // @10 vip 10.96.0.10 port 80
                + "00 0a60000a 000000000000000000000000 ffffffff 00 0050"
                // @34 id 0, @38 table_id 1056, @42 ip_proto 6, @43 is_real_ip, @44 flags, @45 lb
                + "00000000 00000420 06 00 00 00"
                // @46 n_paths 1, @50 flow_hash_config 0
                + "00000001 00000000"
                // @54 paths[0]: dst 10.1.0.11:8080, src any, flags 0
                + "00 0a01000b 000000000000000000000000 ffffffff 00 1f90"
                + "00 00000000 000000000000000000000000 ffffffff 00 0000"
                + "00");
    assertThat(frame(0x0124, 8, new VppMessages.TranslationUpdateV2(t, 1056))).isEqualTo(expected);
  }

  @Test
  void translationV2Details_decodeTheTableAndTheTranslation() {
    String vip = "00 0a60000a 000000000000000000000000 ffffffff 00 0050";
    String path =
        "00 0a01000b 000000000000000000000000 ffffffff 00 1f90"
            + "00 00000000 000000000000000000000000 ffffffff 00 0000 00";
    // id 4, table_id 0x80000001 (a u32 above 2^31), TCP, lb maglev, 1 path, no flow hash
    byte[] bytes =
        HexFormat.of()
            .parseHex(hex(vip + "00000004 80000001 06 00 00 01 00000001 00000000" + path));
    var d = CnatTranslation.decodeV2(Unpooled.wrappedBuffer(bytes));
    assertThat(Integer.toUnsignedLong(d.tableId())).isEqualTo(0x8000_0001L);
    assertThat(d.translation().id()).isEqualTo(4);
    assertThat(d.translation().lbType()).isEqualTo(CnatTranslation.LB_MAGLEV);
    assertThat(d.translation().paths()).hasSize(1);
    assertThat(bytes).hasSize(CnatTranslation.FIXED_V2 + CnatTranslation.PATH);
  }

  @Test
  void translationDel_isByteExact() {
    // cnat_translation_del: 14 bytes; @10 u32 id 5.
    assertThat(frame(0x0200, 9, new VppMessages.TranslationDel(5)))
        .isEqualTo(hex("0000000000000000 0000000e 00000000 | 0200 80000001 00000009 | 00000005"));
  }

  @Test
  void ipTableAddDel_isByteExact() {
    // ip_table_add_del: 80 bytes; @10 is_add, @11 table_id 1056 (0x420), @15 is_ip6, @16 name[64].
    String name =
        HexFormat.of()
            .formatHex("multinet-56-blue".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
    assertThat(
            frame(0x0042, 1, new VppMessages.IpTableAddDel(true, 1056, false, "multinet-56-blue")))
        .isEqualTo(
            hex(
                "0000000000000000 00000050 00000000 | 0042 80000001 00000001 | 01 00000420 00 "
                    + name
                    + "00".repeat(48)));
  }

  @Test
  void swInterfaceSetTable_isByteExact() {
    // sw_interface_set_table: 19 bytes; @10 sw_if_index 3, @14 is_ipv6 1, @15 vrf_id 1056.
    assertThat(frame(0x0007, 2, new VppMessages.SwInterfaceSetTable(3, true, 1056)))
        .isEqualTo(
            hex(
                "0000000000000000 00000013 00000000 | 0007 80000001 00000002 | 00000003 01 00000420"));
  }

  @Test
  void setSnatAddresses_v1AndV2_areByteExact() {
    var ip4 = IpAddress.parse("192.0.2.1");
    var ip6 = IpAddress.parse("2001:db8::1");
    String ip6Hex = "20010db8000000000000000000000001";
    // v1: 34 bytes; @10 snat_ip4[4], @14 snat_ip6[16], @30 sw_if_index ~0.
    assertThat(frame(0x0300, 3, new VppMessages.SetSnatAddresses(ip4, ip6, -1)))
        .isEqualTo(
            hex(
                "0000000000000000 00000022 00000000 | 0300 80000001 00000003 | c0000201 "
                    + ip6Hex
                    + " ffffffff"));
    // v2: 43 bytes; @10 fwd_fib_index, @14 ret_fib_index, @18 ip4, @22 ip6, @38 sw_if_index, @42
    // flags.
    assertThat(frame(0x0301, 4, new VppMessages.SetSnatAddressesV2(1056, 1056, ip4, ip6, -1, 4)))
        .isEqualTo(
            hex(
                "0000000000000000 0000002b 00000000 | 0301 80000001 00000004 | 00000420 00000420 c0000201 "
                    + ip6Hex
                    + " ffffffff 04"));
  }

  @Test
  void snatPolicyMessages_areByteExact() {
    // cnat_set_snat_policy: 11 bytes; @10 policy 2 (k8s).
    assertThat(frame(0x0400, 5, new VppMessages.SetSnatPolicy(2)))
        .isEqualTo(hex("0000000000000000 0000000b 00000000 | 0400 80000001 00000005 | 02"));
    // cnat_snat_policy_add_del_if: 16 bytes; @10 sw_if_index 1, @14 is_add 1, @15 table 2 (pod).
    assertThat(frame(0x0401, 6, new VppMessages.SnatPolicyAddDelIf(1, true, 2)))
        .isEqualTo(
            hex("0000000000000000 00000010 00000000 | 0401 80000001 00000006 | 00000001 01 02"));
    // cnat_snat_policy_add_del_exclude_pfx: 29 bytes; @10 is_add, @11 prefix.address, @28 len 16.
    assertThat(
            frame(
                0x0402,
                7,
                new VppMessages.SnatPolicyAddDelExcludePfx(true, IpAddress.parse("10.0.0.0"), 16)))
        .isEqualTo(
            hex(
                "0000000000000000 0000001d 00000000 | 0402 80000001 00000007 | 01 00 0a000000 000000000000000000000000 10"));
  }

  @Test
  void translationDetails_ipv6_decodesFromHandBuiltBytes() {
    // cnat_translation_details after its context: a translation of fd00:96::10 UDP 53, id 3,
    // lb_type 0, two paths, as cnat_translation_send_details fills it (flags and hash 0).
    String vip = "01 fd000096000000000000000000000010 ffffffff 01 0035";
    String p1 =
        "01 fd000001000000000000000000000011 ffffffff 01 14e9" // dst fd00:1::11 5353
            + "01 00000000000000000000000000000000 ffffffff 01 0000 00"; // src any, flags 0
    String p2 =
        "01 fd000001000000000000000000000012 ffffffff 01 14e9"
            + "01 00000000000000000000000000000000 ffffffff 01 0000 02"; // flags NO_NAT
    byte[] bytes =
        HexFormat.of().parseHex(hex(vip + "00000003 11 00 00 00 00000002 00000000" + p1 + p2));
    CnatTranslation t = CnatTranslation.decode(Unpooled.wrappedBuffer(bytes));

    assertThat(t.vip().address()).isEqualTo(IpAddress.parse("fd00:96::10"));
    assertThat(t.vip().port()).isEqualTo(53);
    assertThat(t.id()).isEqualTo(3);
    assertThat(t.ipProto()).isEqualTo(CnatTranslation.UDP);
    assertThat(t.paths()).hasSize(2);
    assertThat(t.paths().get(1).dst().address()).isEqualTo(IpAddress.parse("fd00:1::12"));
    assertThat(t.paths().get(1).dst().port()).isEqualTo(5353);
    assertThat(t.paths().get(1).flags()).isEqualTo(2);
    assertThat(bytes).hasSize(CnatTranslation.FIXED + 2 * CnatTranslation.PATH);
  }

  @Test
  void translation_roundTrips_bothFamilies() {
    for (String[] vb :
        new String[][] {{"10.96.0.10", "10.1.0.11"}, {"fd00:96::10", "fd00:1::11"}}) {
      var t =
          new CnatTranslation(
              CnatTranslation.Endpoint.of(IpAddress.parse(vb[0]), 443),
              42,
              CnatTranslation.UDP,
              true,
              1,
              CnatTranslation.LB_DEFAULT,
              19,
              List.of(
                  CnatTranslation.Path.to(IpAddress.parse(vb[1]), 8443),
                  CnatTranslation.Path.to(IpAddress.parse(vb[1]), 8444)));
      ByteBuf b = Unpooled.buffer();
      t.encode(b);
      assertThat(b.readableBytes()).isEqualTo(t.size()).isEqualTo(40 + 2 * 49);
      assertThat(CnatTranslation.decode(b)).isEqualTo(t);
      assertThat(b.readableBytes()).isZero();
    }
  }

  @Test
  void translation_truncated_isRefusedWithItsSizes() {
    var t =
        new CnatTranslation(
            CnatTranslation.Endpoint.of(IpAddress.parse("10.96.0.10"), 80),
            0,
            CnatTranslation.TCP,
            false,
            0,
            0,
            0,
            List.of(CnatTranslation.Path.to(IpAddress.parse("10.1.0.11"), 80)));
    ByteBuf b = Unpooled.buffer();
    t.encode(b);
    ByteBuf cut = b.slice(0, b.readableBytes() - 1);
    assertThatThrownBy(() -> CnatTranslation.decode(cut))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("n_paths 1")
        .hasMessageContaining("48 bytes left (expected: at least 49)");
  }

  @Test
  void ipTableAddDel_nameTooLong_isRefused() {
    var r = new VppMessages.IpTableAddDel(true, 1, false, "x".repeat(64));
    assertThatThrownBy(() -> frame(1, 1, r))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("expected: at most 63");
  }

  @Test
  void nameCrc_keepsLeadingZeros() {
    assertThat(VppMessages.IP_TABLE_ADD_DEL.nameCrc()).isEqualTo("ip_table_add_del_0ffdaec0");
    assertThat(VppMessages.CNAT_TRANSLATION_UPDATE.nameCrc())
        .isEqualTo("cnat_translation_update_f8d40bc5");
  }

  @Test
  void frameDecoder_splitsAndJoinsFrames() {
    byte[] two =
        HexFormat.of()
            .parseHex(
                hex(
                    "0000000000000000 00000003 00000000 aabbcc 0000000000000000 00000002 00000000 ddee"));
    var ch = new EmbeddedChannel(new VppFrameDecoder());
    // Arrives in three pieces, cut inside a header and inside a payload.
    ch.writeInbound(Unpooled.wrappedBuffer(two, 0, 10));
    ch.writeInbound(Unpooled.wrappedBuffer(two, 10, 8));
    Object none = ch.readInbound();
    assertThat(none).isNull();
    ch.writeInbound(Unpooled.wrappedBuffer(two, 18, two.length - 18));
    ByteBuf a = ch.readInbound();
    ByteBuf b = ch.readInbound();
    assertThat(ByteBufUtil.hexDump(a)).isEqualTo("aabbcc");
    assertThat(ByteBufUtil.hexDump(b)).isEqualTo("ddee");
    a.release();
    b.release();
    assertThat(ch.finish()).isFalse();
  }

  @Test
  void frameDecoder_absurdLength_fails() {
    var ch = new EmbeddedChannel(new VppFrameDecoder());
    byte[] bad = HexFormat.of().parseHex(hex("0000000000000000 7fffffff 00000000"));
    assertThatThrownBy(() -> ch.writeInbound(Unpooled.wrappedBuffer(bad)))
        .isInstanceOf(DecoderException.class)
        .hasMessageContaining("VPP frame length: 2147483647");
  }
}
