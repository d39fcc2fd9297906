package io.multinet.nodeproxy.dns;

import static io.multinet.nodeproxy.dns.DnsFixtures.caches;
import static io.multinet.nodeproxy.dns.DnsFixtures.network;
import static io.multinet.nodeproxy.dns.DnsFixtures.service;
import static org.assertj.core.api.Assertions.assertThat;

import io.netty.handler.codec.dns.DnsRecordType;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Malformed, truncated, oversized and pathological queries against a live server on loopback
 * (127.0.0.2 sends them, 127.0.0.3 sends good queries in between; network blue, 56, VIPs
 * 10.96.0.0/16). Each bad one gets what BIND and CoreDNS give it, and the server keeps answering.
 */
class DnsFuzzTest {

  private static final int NO_ANSWER = -1;
  private static final int BADVERS = 16;

  /** A header: id 0x4242, the flags given, and the four counts. */
  private static ByteArrayOutputStream header(int flags, int qd, int an, int ns, int ar) {
    var out = new ByteArrayOutputStream();
    for (int v : new int[] {0x4242, flags, qd, an, ns, ar}) {
      out.write(v >>> 8);
      out.write(v & 0xff);
    }
    return out;
  }

  private static byte[] bytes(ByteArrayOutputStream out, String hex) {
    out.writeBytes(HexFormat.of().parseHex(hex.replace(" ", "")));
    return out.toByteArray();
  }

  // web.demo.svc.cluster.local, type A, class IN
  private static final String WEB =
      "03776562 0464656d6f 03737663 07636c7573746572 056c6f63616c 00 0001 0001";
  private static final String OPT = "00 0029 04d0 00000000 0000";

  /** The corpus: each packet with the rcode it must get, or NO_ANSWER. */
  static Map<String, Case> corpus() {
    Map<String, Case> c = new LinkedHashMap<>();
    c.put("empty", new Case(new byte[0], NO_ANSWER));
    c.put("five bytes", new Case(new byte[] {0x42, 0x42, 1, 0, 0}, NO_ANSWER));
    c.put("eleven bytes", new Case(new byte[11], NO_ANSWER));
    c.put("a response (QR=1)", new Case(bytes(header(0x8100, 1, 0, 0, 0), WEB), NO_ANSWER));
    c.put("no question", new Case(header(0x0100, 0, 0, 0, 0).toByteArray(), Wire.FORMERR));
    c.put("two questions", new Case(bytes(header(0x0100, 2, 0, 0, 0), WEB + WEB), Wire.FORMERR));
    c.put("500 questions", new Case(bytes(header(0x0100, 500, 0, 0, 0), WEB), Wire.FORMERR));
    c.put(
        "65535 questions, none there",
        new Case(header(0x0100, 65535, 0, 0, 0).toByteArray(), Wire.FORMERR));
    c.put(
        "name cut mid-label",
        new Case(bytes(header(0x0100, 1, 0, 0, 0), "03776562 0464"), Wire.FORMERR));
    c.put(
        "no type and class",
        new Case(bytes(header(0x0100, 1, 0, 0, 0), "03776562 00"), Wire.FORMERR));
    c.put(
        "type without class",
        new Case(bytes(header(0x0100, 1, 0, 0, 0), "03776562 00 0001"), Wire.FORMERR));
    c.put(
        "compression loop",
        new Case(bytes(header(0x0100, 1, 0, 0, 0), "c00c 0001 0001"), Wire.FORMERR));
    c.put(
        "pointer past the end",
        new Case(bytes(header(0x0100, 1, 0, 0, 0), "03776562 c0ff 0001 0001"), Wire.FORMERR));
    c.put(
        "label of 64",
        new Case(
            bytes(header(0x0100, 1, 0, 0, 0), "40" + "61".repeat(64) + "00 0001 0001"),
            Wire.FORMERR));
    c.put(
        "label type 0x80",
        new Case(bytes(header(0x0100, 1, 0, 0, 0), "80 00 0001 0001"), Wire.FORMERR));
    c.put(
        "name over 255 bytes",
        new Case(
            bytes(header(0x0100, 1, 0, 0, 0), ("3f" + "61".repeat(63)).repeat(5) + "00 0001 0001"),
            Wire.FORMERR));
    c.put(
        "zero-length label ends the name early",
        new Case(
            bytes(header(0x0100, 1, 0, 0, 0), "03776562 00 0004 64656d6f 00 0001 0001"),
            Wire.FORMERR));
    c.put(
        "root name, class CHAOS",
        new Case(bytes(header(0x0100, 1, 0, 0, 0), "00 0010 0003"), Wire.REFUSED));
    c.put(
        "unknown class",
        new Case(
            bytes(header(0x0100, 1, 0, 0, 0), WEB.substring(0, WEB.length() - 4) + "1234"),
            Wire.REFUSED));
    c.put(
        "unknown type 65280 of an existing name",
        new Case(
            bytes(header(0x0100, 1, 0, 0, 0), WEB.substring(0, WEB.length() - 9) + "ff00 0001"),
            Wire.NOERROR));
    c.put(
        "type 0",
        new Case(
            bytes(header(0x0100, 1, 0, 0, 0), WEB.substring(0, WEB.length() - 9) + "0000 0001"),
            Wire.NOERROR));
    c.put(
        "AXFR",
        new Case(
            bytes(header(0x0000, 1, 0, 0, 0), WEB.substring(0, WEB.length() - 9) + "00fc 0001"),
            Wire.REFUSED));
    c.put(
        "TSIG as the type",
        new Case(
            bytes(header(0x0000, 1, 0, 0, 0), WEB.substring(0, WEB.length() - 9) + "00fa 0001"),
            Wire.NOTIMP));
    c.put(
        "OPT as the type",
        new Case(
            bytes(header(0x0000, 1, 0, 0, 0), WEB.substring(0, WEB.length() - 9) + "0029 0001"),
            Wire.FORMERR));
    c.put("opcode STATUS", new Case(bytes(header(0x1100, 1, 0, 0, 0), WEB), Wire.NOTIMP));
    c.put("opcode NOTIFY", new Case(bytes(header(0x2000, 1, 0, 0, 0), WEB), Wire.NOTIMP));
    c.put("opcode UPDATE", new Case(bytes(header(0x2800, 1, 0, 0, 0), WEB), Wire.NOTIMP));
    c.put("opcode 15", new Case(bytes(header(0x7800, 1, 0, 0, 0), WEB), Wire.NOTIMP));
    c.put(
        "an answer in a query",
        new Case(
            bytes(header(0x0100, 1, 1, 0, 0), WEB + "c00c 0001 0001 00000005 0004 0a600001"),
            Wire.FORMERR));
    c.put("authority in a query", new Case(bytes(header(0x0100, 1, 0, 1, 0), WEB), Wire.FORMERR));
    c.put(
        "additional count without the record",
        new Case(bytes(header(0x0100, 1, 0, 0, 1), WEB), Wire.FORMERR));
    c.put(
        "OPT with rdata past the end",
        new Case(
            bytes(header(0x0100, 1, 0, 0, 1), WEB + "00 0029 04d0 00000000 0010 0001"),
            Wire.FORMERR));
    c.put(
        "two OPT records",
        new Case(bytes(header(0x0100, 1, 0, 0, 2), WEB + OPT + OPT), Wire.FORMERR));
    c.put(
        "OPT not owned by root",
        new Case(
            bytes(header(0x0100, 1, 0, 0, 1), WEB + "c00c 0029 04d0 00000000 0000"), Wire.FORMERR));
    c.put(
        "EDNS version 1",
        new Case(bytes(header(0x0100, 1, 0, 0, 1), WEB + "00 0029 04d0 00010000 0000"), BADVERS));
    c.put(
        "trailing garbage",
        new Case(bytes(header(0x0100, 1, 0, 0, 0), WEB + "00".repeat(3000)), Wire.FORMERR));
    c.put(
        "longer than a read (cut at DnsServer.MAX_QUERY)",
        new Case(bytes(header(0x0100, 1, 0, 0, 0), WEB + "00".repeat(9000)), Wire.FORMERR));
    c.put(
        "EDNS payload 0 is 512",
        new Case(
            bytes(header(0x0100, 1, 0, 0, 1), WEB + "00 0029 0000 00000000 0000"), Wire.NOERROR));
    c.put("a good query", new Case(bytes(header(0x0100, 1, 0, 0, 0), WEB), Wire.NOERROR));
    return c;
  }

  @SuppressWarnings("ArrayRecordComponent") // never compared
  record Case(byte[] packet, int rcode) {}

  /** The rcode of a response (extended with OPT's upper bits when there is one). */
  static int rcode(byte[] r) {
    int rcode = r[3] & 0xf;
    int ar = ((r[10] & 0xff) << 8) | (r[11] & 0xff);
    if (ar == 1 && r.length >= 11 && r[r.length - 11] == 0 && r[r.length - 9] == 41) {
      rcode |= (r[r.length - 6] & 0xff) << 4;
    }
    return rcode;
  }

  static int id(byte[] r) {
    return ((r[0] & 0xff) << 8) | (r[1] & 0xff);
  }

  @Test
  void corpus_interleavedWithGoodQueries_eachGetsARealServersAnswerAndGoodOnesKeepBeingAnswered()
      throws Exception {
    var options =
        DnsOptions.defaults()
            .withListenAddresses(List.of(InetAddress.getLoopbackAddress()))
            .withNodeUpstreams(List.of())
            .withRateLimit(0, 1);
    try (var server = new DnsServer(options);
        var fuzz = new WireClient(InetAddress.getByName("127.0.0.2"));
        var good = new WireClient(InetAddress.getByName("127.0.0.3"))) {
      server.update(
          new DnsRecords(options)
              .update(
                  caches(
                      List.of(network("blue", 56)),
                      List.of(service("demo", "web", "blue", "10.96.0.10")),
                      List.of()),
                  null));
      InetSocketAddress at = server.ports().get(56).getFirst();
      byte[] probe = WireClient.query(0x1111, "web.demo.svc.cluster.local.", DnsRecordType.A, 0);
      Map<String, Integer> got = new LinkedHashMap<>();
      Map<String, Integer> expected = new LinkedHashMap<>();
      int goodAnswers = 0;
      for (var e : corpus().entrySet()) {
        expected.put(e.getKey(), e.getValue().rcode());
        // The bad packet, then a probe from the same source: the first reply tells whether the
        // bad one was answered (and how) or dropped.
        fuzz.send(at, e.getValue().packet());
        fuzz.send(at, probe);
        byte[] first = fuzz.receive();
        assertThat(first).as("%s: a reply (at least to the probe)", e.getKey()).isNotNull();
        if (id(first) == 0x1111) {
          got.put(e.getKey(), NO_ANSWER);
        } else {
          got.put(e.getKey(), rcode(first));
          assertThat(id(fuzz.receive())).as("%s: the probe", e.getKey()).isEqualTo(0x1111);
        }
        byte[] ok = good.udp(at, probe);
        assertThat(ok).as("%s: another client is still answered", e.getKey()).isNotNull();
        assertThat(WireClient.decode(ok).answers())
            .containsExactly("web.demo.svc.cluster.local. A 10.96.0.10");
        goodAnswers++;
      }
      assertThat(got).isEqualTo(expected);

      // Random packets (seeded): any answer or none, never a stall.
      var random = new Random(20261207);
      for (int i = 0; i < 300; i++) {
        byte[] junk = new byte[random.nextInt(600)];
        random.nextBytes(junk);
        if (junk.length > 2) {
          junk[2] &= 0x7f; // mostly queries, so they get past the first check
        }
        fuzz.send(at, junk);
        if (i % 30 == 0) {
          assertThat(good.udp(at, probe)).as("after %d random packets", i).isNotNull();
          goodAnswers++;
        }
      }
      assertThat(good.udp(at, probe)).isNotNull();
      assertThat(goodAnswers).isEqualTo(corpus().size() + 10);

      // Over TCP: a bad message is answered on the connection, which stays usable; a frame
      // shorter than a header closes it.
      try (var s = new Socket()) {
        s.connect(at, 2000);
        s.setSoTimeout(2000);
        var out = new DataOutputStream(s.getOutputStream());
        var in = new DataInputStream(s.getInputStream());
        for (byte[] m : List.of(corpus().get("compression loop").packet(), probe)) {
          out.writeShort(m.length);
          out.write(m);
        }
        out.flush();
        assertThat(rcode(frame(in))).isEqualTo(Wire.FORMERR);
        assertThat(id(frame(in))).isEqualTo(0x1111);
        out.writeShort(3);
        out.write(new byte[3]);
        out.flush();
        assertThat(in.read()).as("closed").isEqualTo(-1);
      }
      assertThat(good.udp(at, probe)).isNotNull();
    }
  }

  private static byte[] frame(DataInputStream in) throws java.io.IOException {
    byte[] b = new byte[in.readUnsignedShort()];
    in.readFully(b);
    return b;
  }
}
