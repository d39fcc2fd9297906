package io.multinet.dataplane.vpp;

import static java.util.Objects.requireNonNull;

import io.multinet.network.IpAddress;
import io.netty.buffer.ByteBuf;
import java.util.List;

/**
 * The messages this build speaks, each with the CRC it was written for (memclnt, cnat, ip and
 * interface .api.json of VPP v26.10-rc0) and its packed layout. Requests start with {@code u16
 * _vl_msg_id, u32 client_index, u32 context} (10 bytes, written by the client); replies with {@code
 * u16 _vl_msg_id, u32 context, i32 retval}, details with {@code u16 _vl_msg_id, u32 context}.
 */
final class VppMessages {

  private VppMessages() {}

  static final int REQUEST_HEADER = 10;

  // memclnt.api.json; these have fixed ids (15/16, 17/18, 23/24).
  static final MessageType SOCKCLNT_CREATE = MessageType.of("sockclnt_create", 0x455fb9c4);
  static final MessageType SOCKCLNT_CREATE_REPLY =
      MessageType.of("sockclnt_create_reply", 0x35166268);
  static final MessageType SOCKCLNT_DELETE = MessageType.of("sockclnt_delete", 0x8ac76db6);
  static final MessageType SOCKCLNT_DELETE_REPLY =
      MessageType.of("sockclnt_delete_reply", 0x8f38b1ee);
  static final MessageType CONTROL_PING = MessageType.of("control_ping", 0x51077d14);
  static final MessageType CONTROL_PING_REPLY = MessageType.of("control_ping_reply", 0xf6b0b8ca);
  static final int SOCKCLNT_CREATE_ID = 15;
  static final int SOCKCLNT_CREATE_REPLY_ID = 16;

  // cnat.api.json
  static final MessageType CNAT_TRANSLATION_UPDATE =
      MessageType.of("cnat_translation_update", 0xf8d40bc5);
  static final MessageType CNAT_TRANSLATION_UPDATE_REPLY =
      MessageType.of("cnat_translation_update_reply", 0xe2fc8294);
  static final MessageType CNAT_TRANSLATION_DEL =
      MessageType.of("cnat_translation_del", 0x3a91bde5);
  static final MessageType CNAT_TRANSLATION_DEL_REPLY =
      MessageType.of("cnat_translation_del_reply", 0xe8d4e804);
  static final MessageType CNAT_TRANSLATION_DUMP =
      MessageType.of("cnat_translation_dump", 0x51077d14);
  static final MessageType CNAT_TRANSLATION_DETAILS =
      MessageType.of("cnat_translation_details", 0x1a5140b7);
  // cnat.api.json with vpp-patches/0001 (translations in a FIB table); absent from stock VPP
  static final MessageType CNAT_TRANSLATION_UPDATE_V2 =
      MessageType.of("cnat_translation_update_v2", 0x38c76223);
  static final MessageType CNAT_TRANSLATION_UPDATE_V2_REPLY =
      MessageType.of("cnat_translation_update_v2_reply", 0xe2fc8294);
  static final MessageType CNAT_TRANSLATION_V2_DUMP =
      MessageType.of("cnat_translation_v2_dump", 0x51077d14);
  static final MessageType CNAT_TRANSLATION_V2_DETAILS =
      MessageType.of("cnat_translation_v2_details", 0x8431f40d);
  static final MessageType CNAT_SESSION_PURGE = MessageType.of("cnat_session_purge", 0x51077d14);
  static final MessageType CNAT_SESSION_PURGE_REPLY =
      MessageType.of("cnat_session_purge_reply", 0xe8d4e804);
  static final MessageType CNAT_SET_SNAT_ADDRESSES =
      MessageType.of("cnat_set_snat_addresses", 0xd997e96c);
  static final MessageType CNAT_SET_SNAT_ADDRESSES_REPLY =
      MessageType.of("cnat_set_snat_addresses_reply", 0xe8d4e804);
  static final MessageType CNAT_SET_SNAT_ADDRESSES_V2 =
      MessageType.of("cnat_set_snat_addresses_v2", 0xc0125c26);
  static final MessageType CNAT_SET_SNAT_ADDRESSES_V2_REPLY =
      MessageType.of("cnat_set_snat_addresses_v2_reply", 0xe8d4e804);
  static final MessageType CNAT_SET_SNAT_POLICY =
      MessageType.of("cnat_set_snat_policy", 0x37a3ce23);
  static final MessageType CNAT_SET_SNAT_POLICY_REPLY =
      MessageType.of("cnat_set_snat_policy_reply", 0xe8d4e804);
  static final MessageType CNAT_SNAT_POLICY_ADD_DEL_IF =
      MessageType.of("cnat_snat_policy_add_del_if", 0x4ebb8d02);
  static final MessageType CNAT_SNAT_POLICY_ADD_DEL_IF_REPLY =
      MessageType.of("cnat_snat_policy_add_del_if_reply", 0xe8d4e804);
  static final MessageType CNAT_SNAT_POLICY_ADD_DEL_EXCLUDE_PFX =
      MessageType.of("cnat_snat_policy_add_del_exclude_pfx", 0xe26dd79a);
  static final MessageType CNAT_SNAT_POLICY_ADD_DEL_EXCLUDE_PFX_REPLY =
      MessageType.of("cnat_snat_policy_add_del_exclude_pfx_reply", 0xe8d4e804);

  // ip.api.json
  static final MessageType IP_TABLE_ADD_DEL = MessageType.of("ip_table_add_del", 0x0ffdaec0);
  static final MessageType IP_TABLE_ADD_DEL_REPLY =
      MessageType.of("ip_table_add_del_reply", 0xe8d4e804);
  static final MessageType IP_TABLE_DUMP = MessageType.of("ip_table_dump", 0x51077d14);
  static final MessageType IP_TABLE_DETAILS = MessageType.of("ip_table_details", 0xc79fca0f);

  // vlib.api.json (vlibmemory): the CLI over the API, for operators' views (dataplane status)
  static final MessageType CLI_INBAND = MessageType.of("cli_inband", 0xf8377302);
  static final MessageType CLI_INBAND_REPLY = MessageType.of("cli_inband_reply", 0x05879051);

  // interface.api.json
  static final MessageType SW_INTERFACE_SET_TABLE =
      MessageType.of("sw_interface_set_table", 0xdf42a577);
  static final MessageType SW_INTERFACE_SET_TABLE_REPLY =
      MessageType.of("sw_interface_set_table_reply", 0xe8d4e804);
  static final MessageType SW_INTERFACE_DUMP = MessageType.of("sw_interface_dump", 0xaa610c27);
  static final MessageType SW_INTERFACE_DETAILS =
      MessageType.of("sw_interface_details", 0x6c221fc7);

  // ip.api.json: the node's own addresses (NodePorts, masquerade)
  static final MessageType IP_ADDRESS_DUMP = MessageType.of("ip_address_dump", 0x2d033de4);
  static final MessageType IP_ADDRESS_DETAILS = MessageType.of("ip_address_details", 0xee29b797);

  /** Every message the backend needs: connecting fails unless VPP has each with this CRC. */
  static final List<MessageType> REQUIRED =
      List.of(
          CONTROL_PING,
          CONTROL_PING_REPLY,
          CNAT_TRANSLATION_UPDATE,
          CNAT_TRANSLATION_UPDATE_REPLY,
          CNAT_TRANSLATION_DEL,
          CNAT_TRANSLATION_DEL_REPLY,
          CNAT_TRANSLATION_DUMP,
          CNAT_TRANSLATION_DETAILS,
          CNAT_SESSION_PURGE,
          CNAT_SESSION_PURGE_REPLY,
          IP_TABLE_ADD_DEL,
          IP_TABLE_ADD_DEL_REPLY,
          IP_TABLE_DUMP,
          IP_TABLE_DETAILS);

  /**
   * Messages used when VPP has them (cnat_set_snat_addresses_v2 is newer than v1). A message VPP
   * has under another CRC is refused all the same: its layout is not the one written here.
   */
  static final List<MessageType> OPTIONAL =
      List.of(
          SOCKCLNT_DELETE,
          SOCKCLNT_DELETE_REPLY,
          CNAT_SET_SNAT_ADDRESSES,
          CNAT_SET_SNAT_ADDRESSES_REPLY,
          CNAT_SET_SNAT_ADDRESSES_V2,
          CNAT_SET_SNAT_ADDRESSES_V2_REPLY,
          CNAT_SET_SNAT_POLICY,
          CNAT_SET_SNAT_POLICY_REPLY,
          CNAT_SNAT_POLICY_ADD_DEL_IF,
          CNAT_SNAT_POLICY_ADD_DEL_IF_REPLY,
          CNAT_SNAT_POLICY_ADD_DEL_EXCLUDE_PFX,
          CNAT_SNAT_POLICY_ADD_DEL_EXCLUDE_PFX_REPLY,
          SW_INTERFACE_SET_TABLE,
          SW_INTERFACE_SET_TABLE_REPLY,
          CLI_INBAND,
          CLI_INBAND_REPLY,
          CNAT_TRANSLATION_UPDATE_V2,
          CNAT_TRANSLATION_UPDATE_V2_REPLY,
          CNAT_TRANSLATION_V2_DUMP,
          CNAT_TRANSLATION_V2_DETAILS,
          SW_INTERFACE_DUMP,
          SW_INTERFACE_DETAILS,
          IP_ADDRESS_DUMP,
          IP_ADDRESS_DETAILS);

  /** The messages that list VPP's interface addresses: the node's addresses, to VPP. */
  static final List<MessageType> ADDRESSES =
      List.of(SW_INTERFACE_DUMP, SW_INTERFACE_DETAILS, IP_ADDRESS_DUMP, IP_ADDRESS_DETAILS);

  /** cnat_set_snat_addresses_v2 and its reply: how the backend frees a deleted VIP's client. */
  static final List<MessageType> SNAT_V2 =
      List.of(CNAT_SET_SNAT_ADDRESSES_V2, CNAT_SET_SNAT_ADDRESSES_V2_REPLY);

  /**
   * The messages of translations in a FIB table (vpp-patches/0001): with all of them the backend
   * programs each network's translations in its VRF.
   */
  static final List<MessageType> TABLES =
      List.of(
          CNAT_TRANSLATION_UPDATE_V2,
          CNAT_TRANSLATION_UPDATE_V2_REPLY,
          CNAT_TRANSLATION_V2_DUMP,
          CNAT_TRANSLATION_V2_DETAILS);

  /** A request answered by one reply; the client has checked the reply's retval. */
  interface Request<R> {
    MessageType type();

    MessageType replyType();

    /** Bytes after the 10-byte request header. */
    int bodySize();

    void writeBody(ByteBuf out);

    /** Reads the reply after its context and retval. */
    R decodeReply(ByteBuf in);
  }

  /** A request answered by details messages, ended by control_ping_reply. */
  interface Dump<D> {
    MessageType type();

    /** Bytes after the 10-byte request header; none unless the dump takes arguments. */
    default int bodySize() {
      return 0;
    }

    default void writeBody(ByteBuf out) {}

    MessageType detailsType();

    /** Reads one details message after its context. */
    D decodeDetails(ByteBuf in);
  }

  /** A request whose reply carries nothing but the retval (answered with true). */
  abstract static class Simple implements Request<Boolean> {
    @Override
    public Boolean decodeReply(ByteBuf in) {
      return Boolean.TRUE;
    }
  }

  /** control_ping; its reply's vpe_pid (after u32 client_index) is the answer. */
  record ControlPing() implements Request<Integer> {
    @Override
    public MessageType type() {
      return CONTROL_PING;
    }

    @Override
    public MessageType replyType() {
      return CONTROL_PING_REPLY;
    }

    @Override
    public int bodySize() {
      return 0;
    }

    @Override
    public void writeBody(ByteBuf out) {}

    @Override
    public Integer decodeReply(ByteBuf in) {
      Wire.need(in, 8, "control_ping_reply");
      in.skipBytes(4);
      return in.readInt();
    }
  }

  /** cnat_translation_update: 50 + 49·n bytes; the reply carries the translation's id. */
  record TranslationUpdate(CnatTranslation translation) implements Request<Integer> {
    TranslationUpdate {
      requireNonNull(translation, "translation");
    }

    @Override
    public MessageType type() {
      return CNAT_TRANSLATION_UPDATE;
    }

    @Override
    public MessageType replyType() {
      return CNAT_TRANSLATION_UPDATE_REPLY;
    }

    @Override
    public int bodySize() {
      return translation.size();
    }

    @Override
    public void writeBody(ByteBuf out) {
      translation.encode(out);
    }

    @Override
    public Integer decodeReply(ByteBuf in) {
      Wire.need(in, 4, "cnat_translation_update_reply");
      return in.readInt();
    }
  }

  /**
   * cnat_translation_update_v2: 54 + 49·n bytes (the translation with its table_id); the reply
   * carries the translation's id.
   */
  record TranslationUpdateV2(CnatTranslation translation, int tableId) implements Request<Integer> {
    TranslationUpdateV2 {
      requireNonNull(translation, "translation");
    }

    @Override
    public MessageType type() {
      return CNAT_TRANSLATION_UPDATE_V2;
    }

    @Override
    public MessageType replyType() {
      return CNAT_TRANSLATION_UPDATE_V2_REPLY;
    }

    @Override
    public int bodySize() {
      return translation.sizeV2();
    }

    @Override
    public void writeBody(ByteBuf out) {
      translation.encodeV2(out, tableId);
    }

    @Override
    public Integer decodeReply(ByteBuf in) {
      Wire.need(in, 4, "cnat_translation_update_v2_reply");
      return in.readInt();
    }
  }

  /**
   * cli_inband {string cmd @10 (u32 length, then the bytes)}; the reply's {@code string reply} is
   * the CLI's output.
   */
  record CliInband(String command) implements Request<String> {
    CliInband {
      requireNonNull(command, "command");
    }

    @Override
    public MessageType type() {
      return CLI_INBAND;
    }

    @Override
    public MessageType replyType() {
      return CLI_INBAND_REPLY;
    }

    @Override
    public int bodySize() {
      return 4 + command.getBytes(java.nio.charset.StandardCharsets.UTF_8).length;
    }

    @Override
    public void writeBody(ByteBuf out) {
      byte[] b = command.getBytes(java.nio.charset.StandardCharsets.UTF_8);
      out.writeInt(b.length).writeBytes(b);
    }

    @Override
    public String decodeReply(ByteBuf in) {
      Wire.need(in, 4, "cli_inband_reply");
      long n = in.readUnsignedInt();
      Wire.need(in, (int) Math.min(n, Integer.MAX_VALUE), "cli_inband_reply (" + n + " bytes)");
      return in.readCharSequence((int) n, java.nio.charset.StandardCharsets.UTF_8).toString();
    }
  }

  /** cnat_translation_del {u32 id}: 14 bytes. */
  static final class TranslationDel extends Simple {
    final int id;

    TranslationDel(int id) {
      this.id = id;
    }

    @Override
    public MessageType type() {
      return CNAT_TRANSLATION_DEL;
    }

    @Override
    public MessageType replyType() {
      return CNAT_TRANSLATION_DEL_REPLY;
    }

    @Override
    public int bodySize() {
      return 4;
    }

    @Override
    public void writeBody(ByteBuf out) {
      out.writeInt(id);
    }
  }

  /** cnat_session_purge: 10 bytes. */
  static final class SessionPurge extends Simple {
    @Override
    public MessageType type() {
      return CNAT_SESSION_PURGE;
    }

    @Override
    public MessageType replyType() {
      return CNAT_SESSION_PURGE_REPLY;
    }

    @Override
    public int bodySize() {
      return 0;
    }

    @Override
    public void writeBody(ByteBuf out) {}
  }

  /**
   * cnat_set_snat_addresses {u8 snat_ip4[4] @10, u8 snat_ip6[16] @14, u32 sw_if_index @30}: 34
   * bytes.
   */
  static final class SetSnatAddresses extends Simple {
    final IpAddress ip4;
    final IpAddress ip6;
    final int swIfIndex;

    SetSnatAddresses(IpAddress ip4, IpAddress ip6, int swIfIndex) {
      this.ip4 = family(ip4, true, "snat_ip4");
      this.ip6 = family(ip6, false, "snat_ip6");
      this.swIfIndex = swIfIndex;
    }

    @Override
    public MessageType type() {
      return CNAT_SET_SNAT_ADDRESSES;
    }

    @Override
    public MessageType replyType() {
      return CNAT_SET_SNAT_ADDRESSES_REPLY;
    }

    @Override
    public int bodySize() {
      return 24;
    }

    @Override
    public void writeBody(ByteBuf out) {
      out.writeBytes(ip4.toBytes());
      out.writeBytes(ip6.toBytes());
      out.writeInt(swIfIndex);
    }
  }

  /**
   * cnat_set_snat_addresses_v2 {u32 fwd_fib_index @10, u32 ret_fib_index @14, snat_ip4 @18,
   * snat_ip6 @22, u32 sw_if_index @38, u8 flags @42}: 43 bytes.
   */
  static final class SetSnatAddressesV2 extends Simple {
    final int fwdFibIndex;
    final int retFibIndex;
    final IpAddress ip4;
    final IpAddress ip6;
    final int swIfIndex;
    final int flags;

    SetSnatAddressesV2(
        int fwdFibIndex, int retFibIndex, IpAddress ip4, IpAddress ip6, int swIfIndex, int flags) {
      this.fwdFibIndex = fwdFibIndex;
      this.retFibIndex = retFibIndex;
      this.ip4 = family(ip4, true, "snat_ip4");
      this.ip6 = family(ip6, false, "snat_ip6");
      this.swIfIndex = swIfIndex;
      this.flags = flags;
    }

    @Override
    public MessageType type() {
      return CNAT_SET_SNAT_ADDRESSES_V2;
    }

    @Override
    public MessageType replyType() {
      return CNAT_SET_SNAT_ADDRESSES_V2_REPLY;
    }

    @Override
    public int bodySize() {
      return 33;
    }

    @Override
    public void writeBody(ByteBuf out) {
      out.writeInt(fwdFibIndex);
      out.writeInt(retFibIndex);
      out.writeBytes(ip4.toBytes());
      out.writeBytes(ip6.toBytes());
      out.writeInt(swIfIndex);
      out.writeByte(flags);
    }
  }

  /** cnat_set_snat_policy {u8 policy @10}: 11 bytes (0 none, 1 if_pfx, 2 k8s, 3 dnat). */
  static final class SetSnatPolicy extends Simple {
    final int policy;

    SetSnatPolicy(int policy) {
      this.policy = policy;
    }

    @Override
    public MessageType type() {
      return CNAT_SET_SNAT_POLICY;
    }

    @Override
    public MessageType replyType() {
      return CNAT_SET_SNAT_POLICY_REPLY;
    }

    @Override
    public int bodySize() {
      return 1;
    }

    @Override
    public void writeBody(ByteBuf out) {
      out.writeByte(policy);
    }
  }

  /**
   * cnat_snat_policy_add_del_if {u32 sw_if_index @10, u8 is_add @14, u8 table @15}: 16 bytes
   * (table: 0 include-v4, 1 include-v6, 2 pod, 3 host).
   */
  static final class SnatPolicyAddDelIf extends Simple {
    final int swIfIndex;
    final boolean isAdd;
    final int table;

    SnatPolicyAddDelIf(int swIfIndex, boolean isAdd, int table) {
      this.swIfIndex = swIfIndex;
      this.isAdd = isAdd;
      this.table = table;
    }

    @Override
    public MessageType type() {
      return CNAT_SNAT_POLICY_ADD_DEL_IF;
    }

    @Override
    public MessageType replyType() {
      return CNAT_SNAT_POLICY_ADD_DEL_IF_REPLY;
    }

    @Override
    public int bodySize() {
      return 6;
    }

    @Override
    public void writeBody(ByteBuf out) {
      out.writeInt(swIfIndex);
      out.writeByte(isAdd ? 1 : 0);
      out.writeByte(table);
    }
  }

  /**
   * cnat_snat_policy_add_del_exclude_pfx {u8 is_add @10, prefix {address @11, u8 len @28}}: 29
   * bytes.
   */
  static final class SnatPolicyAddDelExcludePfx extends Simple {
    final boolean isAdd;
    final IpAddress address;
    final int length;

    SnatPolicyAddDelExcludePfx(boolean isAdd, IpAddress address, int length) {
      int max = address.isV4() ? 32 : 128;
      if (length < 0 || length > max) {
        throw new IllegalArgumentException(
            "prefix length: " + length + " (expected: 0-" + max + ")");
      }
      this.isAdd = isAdd;
      this.address = address;
      this.length = length;
    }

    @Override
    public MessageType type() {
      return CNAT_SNAT_POLICY_ADD_DEL_EXCLUDE_PFX;
    }

    @Override
    public MessageType replyType() {
      return CNAT_SNAT_POLICY_ADD_DEL_EXCLUDE_PFX_REPLY;
    }

    @Override
    public int bodySize() {
      return 1 + Wire.ADDRESS + 1;
    }

    @Override
    public void writeBody(ByteBuf out) {
      out.writeByte(isAdd ? 1 : 0);
      Wire.writeAddress(out, address);
      out.writeByte(length);
    }
  }

  /**
   * ip_table_add_del {bool is_add @10, ip_table {u32 table_id @11, bool is_ip6 @15, string
   * name[64] @16}}: 80 bytes.
   */
  static final class IpTableAddDel extends Simple {
    final boolean isAdd;
    final int tableId;
    final boolean isIp6;
    final String name;

    IpTableAddDel(boolean isAdd, int tableId, boolean isIp6, String name) {
      this.isAdd = isAdd;
      this.tableId = tableId;
      this.isIp6 = isIp6;
      this.name = requireNonNull(name, "name");
    }

    @Override
    public MessageType type() {
      return IP_TABLE_ADD_DEL;
    }

    @Override
    public MessageType replyType() {
      return IP_TABLE_ADD_DEL_REPLY;
    }

    @Override
    public int bodySize() {
      return 70;
    }

    @Override
    public void writeBody(ByteBuf out) {
      out.writeByte(isAdd ? 1 : 0);
      out.writeInt(tableId);
      out.writeByte(isIp6 ? 1 : 0);
      Wire.writeString(out, name, 64);
    }
  }

  /** sw_interface_set_table {u32 sw_if_index @10, bool is_ipv6 @14, u32 vrf_id @15}: 19 bytes. */
  static final class SwInterfaceSetTable extends Simple {
    final int swIfIndex;
    final boolean isIpv6;
    final int vrfId;

    SwInterfaceSetTable(int swIfIndex, boolean isIpv6, int vrfId) {
      this.swIfIndex = swIfIndex;
      this.isIpv6 = isIpv6;
      this.vrfId = vrfId;
    }

    @Override
    public MessageType type() {
      return SW_INTERFACE_SET_TABLE;
    }

    @Override
    public MessageType replyType() {
      return SW_INTERFACE_SET_TABLE_REPLY;
    }

    @Override
    public int bodySize() {
      return 9;
    }

    @Override
    public void writeBody(ByteBuf out) {
      out.writeInt(swIfIndex);
      out.writeByte(isIpv6 ? 1 : 0);
      out.writeInt(vrfId);
    }
  }

  /** cnat_translation_dump → cnat_translation_details {context, translation @6}. */
  record TranslationDump() implements Dump<CnatTranslation> {
    @Override
    public MessageType type() {
      return CNAT_TRANSLATION_DUMP;
    }

    @Override
    public MessageType detailsType() {
      return CNAT_TRANSLATION_DETAILS;
    }

    @Override
    public CnatTranslation decodeDetails(ByteBuf in) {
      return CnatTranslation.decode(in);
    }
  }

  /** cnat_translation_v2_dump → cnat_translation_v2_details {context, translation_v2 @6}. */
  record TranslationV2Dump() implements Dump<CnatTranslation.InTable> {
    @Override
    public MessageType type() {
      return CNAT_TRANSLATION_V2_DUMP;
    }

    @Override
    public MessageType detailsType() {
      return CNAT_TRANSLATION_V2_DETAILS;
    }

    @Override
    public CnatTranslation.InTable decodeDetails(ByteBuf in) {
      return CnatTranslation.decodeV2(in);
    }
  }

  /** One FIB table: {@code vl_api_ip_table_t} {u32 table_id, bool is_ip6, string name[64]}. */
  record IpTable(int tableId, boolean isIp6, String name) {}

  /** ip_table_dump → ip_table_details {context, ip_table @6}: 75 bytes. */
  record IpTableDump() implements Dump<IpTable> {
    @Override
    public MessageType type() {
      return IP_TABLE_DUMP;
    }

    @Override
    public MessageType detailsType() {
      return IP_TABLE_DETAILS;
    }

    @Override
    public IpTable decodeDetails(ByteBuf in) {
      Wire.need(in, 69, "ip_table_details");
      int id = in.readInt();
      boolean ip6 = in.readUnsignedByte() != 0;
      return new IpTable(id, ip6, Wire.readString(in, 64));
    }
  }

  /**
   * sw_interface_dump {u32 sw_if_index @10 (~0: all), bool name_filter_valid @14, string
   * name_filter @15 (u32 length 0)}: 19 bytes → sw_interface_details {context, u32 sw_if_index @6,
   * ...}: only the index is read.
   */
  record SwInterfaceDump() implements Dump<Integer> {
    @Override
    public MessageType type() {
      return SW_INTERFACE_DUMP;
    }

    @Override
    public int bodySize() {
      return 9;
    }

    @Override
    public void writeBody(ByteBuf out) {
      out.writeInt(Wire.NO_INTERFACE);
      out.writeByte(0);
      out.writeInt(0);
    }

    @Override
    public MessageType detailsType() {
      return SW_INTERFACE_DETAILS;
    }

    @Override
    public Integer decodeDetails(ByteBuf in) {
      Wire.need(in, 4, "sw_interface_details");
      int index = in.readInt();
      in.skipBytes(in.readableBytes());
      return index;
    }
  }

  /** One address of a VPP interface, with its prefix length. */
  record InterfaceAddress(int swIfIndex, IpAddress address, int prefixLength) {
    InterfaceAddress {
      requireNonNull(address, "address");
    }
  }

  /**
   * ip_address_dump {u32 sw_if_index @10, bool is_ipv6 @14}: 15 bytes → ip_address_details
   * {context, u32 sw_if_index @6, address_with_prefix {address (17), u8 len} @10}: 28 bytes.
   */
  record IpAddressDump(int swIfIndex, boolean ipv6) implements Dump<InterfaceAddress> {
    @Override
    public MessageType type() {
      return IP_ADDRESS_DUMP;
    }

    @Override
    public int bodySize() {
      return 5;
    }

    @Override
    public void writeBody(ByteBuf out) {
      out.writeInt(swIfIndex);
      out.writeByte(ipv6 ? 1 : 0);
    }

    @Override
    public MessageType detailsType() {
      return IP_ADDRESS_DETAILS;
    }

    @Override
    public InterfaceAddress decodeDetails(ByteBuf in) {
      Wire.need(in, 22, "ip_address_details");
      int index = in.readInt();
      IpAddress a = Wire.readAddress(in);
      return new InterfaceAddress(index, a, in.readUnsignedByte());
    }
  }

  private static IpAddress family(IpAddress a, boolean v4, String what) {
    requireNonNull(a, what);
    if (a.isV4() != v4) {
      throw new IllegalArgumentException(
          what + ": " + a + " (expected: an IPv" + (v4 ? "4" : "6") + " address)");
    }
    return a;
  }
}
