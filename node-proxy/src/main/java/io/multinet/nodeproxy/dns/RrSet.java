package io.multinet.nodeproxy.dns;

import static java.util.Objects.requireNonNull;

/**
 * One name's records of one type, encoded as the answer section carries them (owner: a pointer to
 * the question's name), so an answer is one copy.
 */
// Never compared: the bytes are what a response copies.
@SuppressWarnings("ArrayRecordComponent")
record RrSet(byte[] bytes, int count) implements Resolution {

  RrSet {
    requireNonNull(bytes, "bytes");
  }
}
