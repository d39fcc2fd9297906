package io.multinet.dataplane.kernel;

import static java.util.Objects.requireNonNull;

import io.multinet.network.IpAddress;

/**
 * Writes the element {@link SetElementBatch} has started: key fields in the order of the set's
 * {@code typeof}, then either {@link #data()} and the data fields and {@link #end()}, or a verdict
 * ({@link #goTo}, {@link #jump}, {@link #accept}, {@link #drop}); a delete ends after its key.
 *
 * <p>Each field occupies a multiple of 4 bytes, as nft concatenations do (nft_concat: every field
 * is padded to a 32-bit register), in the byte order of the expression it stands for:
 *
 * <ul>
 *   <li>{@code ct zone}: a 16-bit integer in host order, then 2 zero bytes;
 *   <li>{@code ip daddr}/{@code ip6 daddr}: 4 or 16 bytes in network order;
 *   <li>{@code meta l4proto}: one byte, then 3 zero bytes;
 *   <li>{@code th dport}/{@code tcp dport}/{@code udp dport}: 2 bytes in network order, then 2 zero
 *       bytes;
 *   <li>{@code numgen}/{@code jhash} results (endpoint slots): a 32-bit integer in host order.
 * </ul>
 *
 * One instance per batch, reused for every element: it holds no state of its own. A bad field
 * throws and drops the element, leaving the batch as before it.
 */
final class ElementKey {

  private final SetElementBatch batch;

  ElementKey(SetElementBatch batch) {
    this.batch = batch;
  }

  /** A conntrack zone (the network id), 0-65535. */
  ElementKey zone(int zone) {
    if (zone < 0 || zone > 0xffff) {
      batch.abandon();
      throw new IllegalArgumentException("zone: " + zone + " (expected: 0-65535)");
    }
    int at = batch.field(4);
    byte[] b = batch.buffer();
    SetElementBatch.putShort(b, at, zone); // host order
    SetElementBatch.putShort(b, at + 2, 0);
    return this;
  }

  /** An IPv4 address, {@code bits} as in {@link IpAddress#v4Bits()} (10.96.0.1 = 0x0a600001). */
  ElementKey ipv4(int bits) {
    int at = batch.field(4);
    SetElementBatch.putIntBe(batch.buffer(), at, bits);
    return this;
  }

  /** An IPv4 address. */
  ElementKey ipv4(IpAddress address) {
    requireNonNull(address, "address");
    if (!address.isV4()) {
      batch.abandon();
      throw new IllegalArgumentException("address: " + address + " (expected: IPv4)");
    }
    return ipv4(address.v4Bits());
  }

  /** An IPv6 address as its high and low 64 bits. */
  ElementKey ipv6(long high, long low) {
    int at = batch.field(16);
    byte[] b = batch.buffer();
    SetElementBatch.putIntBe(b, at, (int) (high >>> 32));
    SetElementBatch.putIntBe(b, at + 4, (int) high);
    SetElementBatch.putIntBe(b, at + 8, (int) (low >>> 32));
    SetElementBatch.putIntBe(b, at + 12, (int) low);
    return this;
  }

  /** An IPv6 address. */
  ElementKey ipv6(IpAddress address) {
    requireNonNull(address, "address");
    if (address.isV4()) {
      batch.abandon();
      throw new IllegalArgumentException("address: " + address + " (expected: IPv6)");
    }
    return ipv6(address.high(), address.low());
  }

  /** An IP protocol number ({@code meta l4proto}): 6 for TCP, 17 for UDP. */
  ElementKey proto(int proto) {
    if (proto < 0 || proto > 0xff) {
      batch.abandon();
      throw new IllegalArgumentException("proto: " + proto + " (expected: 0-255)");
    }
    int at = batch.field(4);
    SetElementBatch.putIntBe(batch.buffer(), at, proto << 24); // one byte, then padding
    return this;
  }

  /** A TCP or UDP port. */
  ElementKey port(int port) {
    if (port < 1 || port > 0xffff) {
      batch.abandon();
      throw new IllegalArgumentException("port: " + port + " (expected: 1-65535)");
    }
    int at = batch.field(4);
    SetElementBatch.putIntBe(batch.buffer(), at, port << 16); // two bytes, then padding
    return this;
  }

  /** A 32-bit integer in host order: an endpoint slot ({@code numgen}, {@code jhash} result). */
  ElementKey u32(int value) {
    int at = batch.field(4);
    SetElementBatch.putInt(batch.buffer(), at, value);
    return this;
  }

  /** Fields already encoded, e.g. a key read back from the kernel: a multiple of 4 bytes. */
  ElementKey raw(byte[] fields) {
    requireNonNull(fields, "fields");
    if (fields.length == 0 || fields.length % 4 != 0) {
      batch.abandon();
      throw new IllegalArgumentException(
          "fields: " + fields.length + " bytes (expected: a positive multiple of 4)");
    }
    int at = batch.field(fields.length);
    System.arraycopy(fields, 0, batch.buffer(), at, fields.length);
    return this;
  }

  /** Ends the key; the fields that follow are the map's data. */
  ElementKey data() {
    batch.startData();
    return this;
  }

  /** Ends the element (after its data, or after the key of a set element or a delete). */
  void end() {
    batch.endElement();
  }

  /** Ends the element with the verdict {@code goto chain}. */
  void goTo(String chain) {
    batch.verdict(SetElementBatch.NFT_GOTO, requireNonNull(chain, "chain"));
  }

  /** Ends the element with the verdict {@code jump chain}. */
  void jump(String chain) {
    batch.verdict(SetElementBatch.NFT_JUMP, requireNonNull(chain, "chain"));
  }

  /** Ends the element with the verdict {@code accept}. */
  void accept() {
    batch.verdict(SetElementBatch.NF_ACCEPT, "");
  }

  /** Ends the element with the verdict {@code drop}. */
  void drop() {
    batch.verdict(SetElementBatch.NF_DROP, "");
  }
}
