package io.multinet.dataplane.vpp;

import static java.util.Objects.requireNonNull;

/**
 * One VPP API message as this build speaks it: its name and the CRC of its definition (from the
 * {@code .api.json} files of VPP v26.10-rc0, see /work/shared/reference/vpp-api-json). VPP's
 * message table names messages {@code name_crc}, e.g. {@code cnat_translation_update_f8d40bc5}.
 */
record MessageType(String name, int crc) {

  MessageType {
    requireNonNull(name, "name");
  }

  static MessageType of(String name, int crc) {
    return new MessageType(name, crc);
  }

  /** The key of VPP's message table. */
  String nameCrc() {
    return name + "_" + hex(crc).substring(2);
  }

  static String hex(int crc) {
    return String.format("0x%08x", crc);
  }

  @Override
  public String toString() {
    return nameCrc();
  }
}
