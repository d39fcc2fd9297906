package io.multinet.dataplane.kernel;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import io.multinet.network.IpAddress;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.HexFormat;
import org.junit.jupiter.api.Test;

/**
 * The encoder alone, no kernel. Expected bytes are derived by hand from the uapi headers
 * (linux/netlink.h, linux/netfilter/nfnetlink.h, linux/netfilter/nf_tables.h) for a little-endian
 * host; nft 1.0.6's {@code --debug=mnl} dump of the same element matches them except for the
 * NFTA_SET_ELEM_LIST_SET_ID attribute nft adds. Addresses: VIP 10.96.0.1, endpoint 10.1.0.31.
 */
class SetElementBatchTest {

  private final SetElementBatch batch = new SetElementBatch("multinet");

  @Test
  void finish_svc4GotoElement_matchesUapiLayout() {
    assumeLittleEndian();
    batch.add("svc4").zone(56).ipv4(0x0a600001).proto(6).port(80).goTo("lb_rand_2");

    long length = batch.finish(100);

    String expected =
        // offset 0: NFNL_MSG_BATCH_BEGIN: nlmsghdr len 20, type 0x10, flags REQUEST, seq 100, port
        // 0
        "14000000 1000 0100 64000000 00000000"
            // 16: nfgenmsg: family AF_UNSPEC, version 0, res_id NFNL_SUBSYS_NFTABLES (big endian)
            + "00 00 000a"
            // 20: NFT_MSG_NEWSETELEM: len 112, type (10 << 8 | 12), REQUEST|ACK|CREATE, seq 101
            + "70000000 0c0a 0504 65000000 00000000"
            // 36: nfgenmsg: family NFPROTO_INET (1), version 0, res_id 0
            + "01 00 0000"
            // 40: NFTA_SET_ELEM_LIST_TABLE (1), len 13: "multinet\0", 3 bytes padding
            + "0d00 0100 6d756c74696e657400 000000"
            // 56: NFTA_SET_ELEM_LIST_SET (2), len 9: "svc4\0", 3 bytes padding
            + "0900 0200 7376633400 000000"
            // 68: NFTA_SET_ELEM_LIST_ELEMENTS (3 | NLA_F_NESTED), len 64
            + "4000 0380"
            // 72: NFTA_LIST_ELEM (1 | nested), len 60
            + "3c00 0180"
            // 76: NFTA_SET_ELEM_KEY (1 | nested), len 24; 80: NFTA_DATA_VALUE (1), len 20
            + "1800 0180 1400 0100"
            // 84: ct zone 56 (host u16 + 2 padding), 88: 10.96.0.1, 92: tcp (1 byte + 3 padding),
            // 96: port 80 (big endian + 2 padding)
            + "38000000 0a600001 06000000 00500000"
            // 100: NFTA_SET_ELEM_DATA (2 | nested), len 32; 104: NFTA_DATA_VERDICT (2 | nested), 28
            + "2000 0280 1c00 0280"
            // 108: NFTA_VERDICT_CODE (1), len 8: NFT_GOTO (-4, big endian)
            + "0800 0100 fffffffc"
            // 116: NFTA_VERDICT_CHAIN (2), len 14: "lb_rand_2\0", 2 bytes padding
            + "0e00 0200 6c625f72616e645f3200 0000"
            // 132: NFNL_MSG_BATCH_END: len 20, type 0x11, REQUEST, seq 102; nfgenmsg as BEGIN's
            + "14000000 1100 0100 66000000 00000000 00 00 000a";
    assertThat(hex(batch.toByteArray())).isEqualTo(expected.replace(" ", ""));
    assertThat(length).isEqualTo(152);
  }

  @Test
  void finish_ep4ElementWithData_matchesUapiLayout() {
    assumeLittleEndian();
    batch
        .add("ep4_tcp")
        .zone(56)
        .ipv4(IpAddress.parse("10.96.0.1"))
        .port(80)
        .u32(3)
        .data()
        .ipv4(IpAddress.parse("10.1.0.31"))
        .port(8080)
        .end();

    batch.finish(7);

    String expected =
        // 0: BATCH_BEGIN, seq 7
        "14000000 1000 0100 07000000 00000000 00 00 000a"
            // 20: NEWSETELEM, len 96, seq 8; 36: nfgenmsg inet
            + "60000000 0c0a 0504 08000000 00000000 01 00 0000"
            // 40: table "multinet"; 56: set "ep4_tcp\0" (len 12, no padding)
            + "0d00 0100 6d756c74696e657400 000000"
            + "0c00 0200 6570345f74637000"
            // 68: ELEMENTS len 48; 72: LIST_ELEM len 44; 76: KEY len 24; 80: VALUE len 20
            + "3000 0380 2c00 0180 1800 0180 1400 0100"
            // 84: zone 56, 10.96.0.1, port 80, slot 3 (host u32: numgen's result)
            + "38000000 0a600001 00500000 03000000"
            // 100: NFTA_SET_ELEM_DATA (2 | nested) len 16; 104: NFTA_DATA_VALUE len 12
            + "1000 0280 0c00 0100"
            // 108: 10.1.0.31, port 8080 (0x1f90)
            + "0a01001f 1f900000"
            // 116: BATCH_END, seq 9
            + "14000000 1100 0100 09000000 00000000 00 00 000a";
    assertThat(hex(batch.toByteArray())).isEqualTo(expected.replace(" ", ""));
  }

  @Test
  void finish_deleteAndIpv6_matchUapiLayout() {
    assumeLittleEndian();
    batch.delete("ep6_tcp").zone(1).ipv6(IpAddress.parse("fd00:96::10")).port(443).u32(65537).end();

    batch.finish(1);

    String expected =
        "14000000 1000 0100 01000000 00000000 00 00 000a"
            // 20: NFT_MSG_DELSETELEM (10 << 8 | 14), len 92, REQUEST|ACK (no CREATE), seq 2
            + "5c000000 0e0a 0500 02000000 00000000 01 00 0000"
            + "0d00 0100 6d756c74696e657400 000000"
            + "0c00 0200 6570365f74637000"
            // 68: ELEMENTS len 44; LIST_ELEM len 40; KEY len 36; VALUE len 32: the key only
            + "2c00 0380 2800 0180 2400 0180 2000 0100"
            // zone 1, fd00:96::10, port 443, slot 65537 (0x00010001)
            + "01000000 fd000096000000000000000000000010 01bb0000 01000100"
            + "14000000 1100 0100 03000000 00000000 00 00 000a";
    assertThat(hex(batch.toByteArray())).isEqualTo(expected.replace(" ", ""));
  }

  @Test
  void finish_acceptAndDrop_haveNoChain() {
    assumeLittleEndian();
    batch.add("svc4").zone(0).ipv4(1).proto(17).port(53).drop();
    batch.add("svc4").zone(0).ipv4(2).proto(17).port(53).accept();

    batch.finish(1);

    String bytes = hex(batch.toByteArray());
    // NFTA_SET_ELEM_DATA len 16 { NFTA_DATA_VERDICT len 12 { NFTA_VERDICT_CODE len 8, code } }
    assertThat(bytes).contains("10000280" + "0c000280" + "08000100" + "00000000"); // NF_DROP
    assertThat(bytes).contains("10000280" + "0c000280" + "08000100" + "00000001"); // NF_ACCEPT
    assertThat(batch.messages()).isEqualTo(1);
    assertThat(batch.elements()).isEqualTo(2);
  }

  @Test
  void add_manyElements_splitsMessagesUnder64KiB() {
    for (int n = 0; n < 110_000; n++) {
      batch.add("ep4_tcp").zone(56).ipv4(n).port(80).u32(n % 10).data().ipv4(n).port(8080).end();
    }

    long length = batch.finish(1000);

    ByteBuffer b = ByteBuffer.wrap(batch.toByteArray()).order(ByteOrder.nativeOrder());
    assertThat(b.capacity()).isEqualTo(length);
    int at = 0;
    int seq = 1000;
    int elements = 0;
    int messages = 0;
    while (at < b.capacity()) {
      int len = b.getInt(at);
      assertThat(b.getInt(at + 8)).as("seq at %d", at).isEqualTo(seq++);
      if (b.getShort(at + 4) == 0x0a0c) {
        messages++;
        // REQUEST|CREATE, and ACK on the last message only (the one before BATCH_END).
        boolean last = at + len + 20 == b.capacity();
        assertThat(b.getShort(at + 6)).isEqualTo((short) (last ? 0x405 : 0x401));
        int nest = at + 20 + 16 + 12; // table "multinet", set "ep4_tcp"
        int nestLen = Short.toUnsignedInt(b.getShort(nest));
        assertThat(nestLen).isLessThanOrEqualTo(0xffff).isEqualTo(len - 48);
        for (int e = nest + 4; e < nest + nestLen; e += Short.toUnsignedInt(b.getShort(e))) {
          elements++;
        }
      }
      at += len;
    }
    assertThat(at).isEqualTo(b.capacity());
    assertThat(elements).isEqualTo(110_000);
    assertThat(messages).isEqualTo(batch.messages()).isGreaterThan(110_000 * 44 / 0x10000);
  }

  @Test
  void add_otherSetOrOperation_startsNewMessage() {
    batch.add("svc4").zone(1).ipv4(1).proto(6).port(80).drop();
    batch.add("svc4").zone(1).ipv4(2).proto(6).port(80).drop();
    batch.add("svc6").zone(1).ipv6(0, 1).proto(6).port(80).drop();
    batch.delete("svc6").zone(1).ipv6(0, 2).proto(6).port(80).end();
    batch.create("svc6").zone(1).ipv6(0, 3).proto(6).port(80).drop();

    assertThat(batch.messages()).isEqualTo(4);
    assertThat(batch.elements()).isEqualTo(5);
    batch.finish(1);
    assertThat(batch.describe(0))
        .isEqualTo("add element inet multinet svc4 (message 1 of 4: elements 0-1)");
    assertThat(batch.describe(3))
        .isEqualTo("create element inet multinet svc6 (message 4 of 4: elements 4-4)");
  }

  @Test
  void flush_isAnElementlessDelete() {
    assumeLittleEndian();
    batch.flush("svc4");
    batch.add("svc4").zone(1).ipv4(1).proto(6).port(80).drop();

    batch.finish(1);

    assertThat(batch.messages()).isEqualTo(2);
    assertThat(batch.describe(0)).isEqualTo("flush set inet multinet svc4 (message 1 of 2)");
    String flush =
        // NFT_MSG_DELSETELEM, len 48, REQUEST (the ACK goes on the last message), seq 2
        "30000000 0e0a 0100 02000000 00000000 01 00 0000"
            + "0d00 0100 6d756c74696e657400 000000"
            // the set's name, then no NFTA_SET_ELEM_LIST_ELEMENTS
            + "0900 0200 7376633400 000000";
    assertThat(hex(batch.toByteArray()))
        .startsWith(("14000000 1000 0100 01000000 00000000 00 00 000a" + flush).replace(" ", ""));
  }

  @Test
  void port_outOfRange_dropsTheElementAndKeepsTheBatch() {
    batch.add("ep4_tcp").zone(1).ipv4(1).port(80).u32(0).data().ipv4(2).port(80).end();
    byte[] before = copyOfFinished();
    batch.reset();
    batch.add("ep4_tcp").zone(1).ipv4(1).port(80).u32(0).data().ipv4(2).port(80).end();

    assertThatThrownBy(() -> batch.add("ep4_tcp").zone(1).ipv4(1).port(70000))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessage("port: 70000 (expected: 1-65535)");
    assertThatThrownBy(() -> batch.add("svc4").zone(65536))
        .hasMessage("zone: 65536 (expected: 0-65535)");
    assertThatThrownBy(() -> batch.add("svc4").zone(1).ipv4(IpAddress.parse("fd00::1")))
        .hasMessage("address: fd00::1 (expected: IPv4)");
    assertThatThrownBy(() -> batch.add("svc4").zone(1).proto(256))
        .hasMessage("proto: 256 (expected: 0-255)");

    assertThat(batch.elements()).isEqualTo(1);
    assertThat(batch.messages()).isEqualTo(1);
    assertThat(copyOfFinished()).isEqualTo(before);
  }

  @Test
  void field_keyOver64Bytes_isRefused() {
    ElementKey e = batch.add("svc6");
    for (int i = 0; i < 4; i++) {
      e.ipv6(0, i);
    }

    assertThatThrownBy(() -> e.zone(1))
        .isInstanceOf(IllegalStateException.class)
        .hasMessageStartingWith("key: more than 64 bytes");
    assertThat(batch.messages()).isZero();
  }

  @Test
  void data_onDeleteOrEmptyKey_isRefused() {
    assertThatThrownBy(() -> batch.delete("ep4_tcp").zone(1).data())
        .hasMessage("data: a delete names the key only");
    assertThatThrownBy(() -> batch.add("svc4").goTo("lb_rand_1"))
        .hasMessage("key: empty (expected: at least one field)");
    assertThatThrownBy(() -> batch.add("svc4").zone(1).goTo("bad chain"))
        .hasMessage("chain: \"bad chain\" (expected: printable ASCII without spaces)");
    assertThat(batch.elements()).isZero();
    assertThat(batch.messagesPending()).isZero();
  }

  @Test
  void finish_unfinishedElement_isRefused() {
    batch.add("svc4").zone(1).ipv4(1);

    assertThatThrownBy(() -> batch.finish(1))
        .isInstanceOf(IllegalStateException.class)
        .hasMessage("batch: an element is not finished");
    assertThatThrownBy(() -> batch.add("svc4"))
        .hasMessage("set element: the previous element is not finished");
  }

  @Test
  void add_afterClose_isRefused() {
    batch.add("svc4").zone(1).ipv4(1).proto(6).port(80).drop();
    batch.close();

    assertThatThrownBy(() -> batch.add("svc4"))
        .isInstanceOf(IllegalStateException.class)
        .hasMessage("set element: batch closed");
  }

  @Test
  void reset_afterFinish_encodesAsAFreshBatch() {
    for (int n = 0; n < 20_000; n++) { // grows the buffer beyond its first 256 KiB
      batch.add("svc4").zone(n & 0xffff).ipv4(n).proto(6).port(80).goTo("lb_rand_" + (n % 7));
    }
    batch.finish(5);
    assertThatThrownBy(() -> batch.add("svc4")).hasMessageContaining("already committed");
    batch.reset();
    batch.add("svc4").zone(56).ipv4(0x0a600001).proto(6).port(80).goTo("lb_rand_2");
    batch.finish(100);

    {
      var fresh = new SetElementBatch("multinet");
      fresh.add("svc4").zone(56).ipv4(0x0a600001).proto(6).port(80).goTo("lb_rand_2");
      fresh.finish(100);
      assertThat(batch.toByteArray()).isEqualTo(fresh.toByteArray());
    }
  }

  @Test
  void elementAt_offsetInsideElement_namesIt() {
    {
      var small = new SetElementBatch("multinet", 1024);
      for (int n = 0; n < 50; n++) {
        small.add("ep4_tcp").zone(1).ipv4(n).port(80).u32(n).data().ipv4(n).port(80).end();
      }
      small.finish(1);
      // The kernel points at an NFTA_LIST_ELEM: 48 bytes of message header, table, set and the
      // elements nest, then 44 bytes per element.
      int first = small.elementAt(1, 48 + 4);
      assertThat(first).isPositive();
      assertThat(small.elementAt(1, 48 + 44 * 2 + 4)).isEqualTo(first + 2);
      assertThat(small.elementText(first + 2)).contains(String.format("%08x", first + 2));
      assertThat(small.elementAt(1, 5)).isEqualTo(-1);
    }
  }

  private byte[] copyOfFinished() {
    batch.finish(1);
    return batch.toByteArray();
  }

  private static void assumeLittleEndian() {
    assumeTrue(
        ByteOrder.nativeOrder() == ByteOrder.LITTLE_ENDIAN,
        "expected bytes are written for a little-endian host");
  }

  private static String hex(byte[] b) {
    return HexFormat.of().formatHex(b);
  }
}
