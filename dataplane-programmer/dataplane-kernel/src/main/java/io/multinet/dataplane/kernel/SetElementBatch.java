package io.multinet.dataplane.kernel;

import static java.util.Objects.requireNonNull;

import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.HexFormat;

/**
 * One nfnetlink batch of set element additions and deletions for family {@code inet}, encoded into
 * a byte array that {@link NfNetlink#commit} copies to native memory and sends: {@code
 * NFNL_MSG_BATCH_BEGIN}, then {@code NFT_MSG_NEWSETELEM}/{@code NFT_MSG_DELSETELEM} messages each
 * carrying as many elements of one set as fit in one netlink attribute (its length is 16 bits),
 * then {@code NFNL_MSG_BATCH_END}. Consecutive elements of the same set and operation share a
 * message, as nft does.
 *
 * <pre>{@code
 * batch.add("svc4").zone(56).ipv4(vip).proto(6).port(80).goTo("lb_rand_2");
 * batch.add("ep4_tcp").zone(56).ipv4(vip).port(80).u32(3).data().ipv4(ep).port(8080).end();
 * batch.delete("ep4_tcp").zone(56).ipv4(vip).port(80).u32(3).end();
 * }</pre>
 *
 * <p>The buffer grows by doubling and is reused after {@link #reset}, so encoding allocates nothing
 * once it has reached its size. Not thread-safe; close it to free the native memory.
 *
 * <p>Layout (linux/netlink.h, linux/netfilter/nfnetlink.h, linux/netfilter/nf_tables.h): every
 * message is a 16-byte nlmsghdr and a 4-byte nfgenmsg; attributes are a 4-byte header (length
 * including the header, type) and a value padded to 4 bytes, in host byte order except where the
 * uapi says network order (verdict code). Element keys and data are {@link ElementKey}'s.
 */
final class SetElementBatch implements AutoCloseable {

  // linux/netfilter/nfnetlink.h
  static final short NFNL_MSG_BATCH_BEGIN = 0x10;
  static final short NFNL_MSG_BATCH_END = 0x11;
  static final short NFNL_SUBSYS_NFTABLES = 10;
  // linux/netfilter/nf_tables.h
  static final short NFT_MSG_NEWSETELEM = 12;
  static final short NFT_MSG_DELSETELEM = 14;
  static final byte NFPROTO_INET = 1;
  static final short NFTA_SET_ELEM_LIST_TABLE = 1;
  static final short NFTA_SET_ELEM_LIST_SET = 2;
  static final short NFTA_SET_ELEM_LIST_ELEMENTS = 3;
  static final short NFTA_LIST_ELEM = 1;
  static final short NFTA_SET_ELEM_KEY = 1;
  static final short NFTA_SET_ELEM_DATA = 2;
  static final short NFTA_DATA_VALUE = 1;
  static final short NFTA_DATA_VERDICT = 2;
  static final short NFTA_VERDICT_CODE = 1;
  static final short NFTA_VERDICT_CHAIN = 2;
  static final short NLA_F_NESTED = (short) 0x8000;
  static final int NF_DROP = 0;
  static final int NF_ACCEPT = 1;
  static final int NFT_JUMP = -3;
  static final int NFT_GOTO = -4;
  static final int NFT_DATA_VALUE_MAXLEN = 64;
  static final int NFT_NAME_MAXLEN = 256;

  /** The largest element nest: {list elem {key {value 64}} {data {verdict {code} {chain 256}}}}. */
  private static final int MAX_ELEMENT_BYTES = 4 + 4 + 4 + 64 + 4 + 4 + 8 + 4 + 256;

  /** Message header, nfgenmsg, table and set names, elements nest header. */
  private static final int MAX_MESSAGE_HEAD = 16 + 4 + 4 + 256 + 4 + 256 + 4;

  /** NFTA_SET_ELEM_LIST_ELEMENTS' length is a u16: a message's elements must fit in 64 KiB. */
  static final int MAX_ELEMENTS_NEST = 0xffff;

  private static final boolean LITTLE_ENDIAN = ByteOrder.nativeOrder() == ByteOrder.LITTLE_ENDIAN;

  enum Op {
    ADD("add element", NFT_MSG_NEWSETELEM, NfNetlink.NLM_F_CREATE),
    CREATE(
        "create element",
        NFT_MSG_NEWSETELEM,
        (short) (NfNetlink.NLM_F_CREATE | NfNetlink.NLM_F_EXCL)),
    DELETE("delete element", NFT_MSG_DELSETELEM, (short) 0),
    /** A DELSETELEM without elements empties the set, in the same transaction as what follows. */
    FLUSH("flush set", NFT_MSG_DELSETELEM, (short) 0);

    final String verb;
    final short type;
    final short flags;

    Op(String verb, short type, short flags) {
      this.verb = verb;
      this.type = (short) (NFNL_SUBSYS_NFTABLES << 8 | type);
      this.flags = (short) (NfNetlink.NLM_F_REQUEST | flags);
    }
  }

  private static final int IDLE = 0;
  private static final int KEY = 1;
  private static final int DATA = 2;

  private final String table;
  private final int maxElementsNest;
  private final ElementKey element = new ElementKey(this);
  private byte[] buf = new byte[256 * 1024];
  private int pos;

  // Per message: where it starts, its first element, its operation and set.
  private int[] msgStart = new int[64];
  private int[] msgFirst = new int[64];
  private Op[] msgOp = new Op[64];
  private String[] msgSet = new String[64];
  private int messages;
  private int elements;

  private boolean open; // a message is open: elements of (op, set) may follow
  private Op op = Op.ADD;
  private String set = "";
  private int elementsNest;
  private boolean finished;
  private boolean closed;

  private int state = IDLE;
  private int elemStart;
  private int nestStart; // the key's or the data's nest
  int valueStart; // the key's or the data's NFTA_DATA_VALUE attribute
  private boolean elemOpenedMessage;

  /** A batch for table {@code inet <table>}. */
  SetElementBatch(String table) {
    this(table, MAX_ELEMENTS_NEST);
  }

  /** A batch whose messages carry at most {@code maxElementsNest} bytes of elements (tests). */
  SetElementBatch(String table, int maxElementsNest) {
    this.table = checkName(requireNonNull(table, "table"), "table");
    if (maxElementsNest < 4 + MAX_ELEMENT_BYTES || maxElementsNest > MAX_ELEMENTS_NEST) {
      throw new IllegalArgumentException(
          "maxElementsNest: "
              + maxElementsNest
              + " (expected: "
              + (4 + MAX_ELEMENT_BYTES)
              + "-"
              + MAX_ELEMENTS_NEST
              + ")");
    }
    this.maxElementsNest = maxElementsNest;
    reset();
  }

  /** Starts adding an element to {@code set}; an existing equal element is not an error. */
  ElementKey add(String set) {
    return begin(Op.ADD, set);
  }

  /** Starts adding an element that must not exist yet (EEXIST otherwise, as {@code nft create}). */
  ElementKey create(String set) {
    return begin(Op.CREATE, set);
  }

  /** Starts deleting the element with this key; a missing one fails the batch (ENOENT). */
  ElementKey delete(String set) {
    return begin(Op.DELETE, set);
  }

  /**
   * Empties {@code set}: elements added to it later in this batch are what it holds once the batch
   * commits, and traffic sees the old elements until then.
   */
  void flush(String set) {
    requireNonNull(set, "set");
    checkWritable("flush");
    if (open) {
      closeMessage();
    }
    ensure(MAX_MESSAGE_HEAD + 64);
    openMessage(Op.FLUSH, checkName(set, "set"));
    closeMessage();
  }

  /**
   * Drops the buffer (several MB after a full load) so that a batch kept in a field does not pin
   * it; a closed batch refuses elements. Nothing native to free: the socket owns the send copy.
   */
  @Override
  public void close() {
    buf = new byte[0];
    closed = true;
  }

  /** Empties the batch for reuse, keeping its buffer. */
  void reset() {
    pos = 0;
    messages = 0;
    elements = 0;
    open = false;
    finished = false;
    state = IDLE;
    fixedMessage(NFNL_MSG_BATCH_BEGIN);
  }

  /** Elements encoded so far. */
  int elements() {
    return elements;
  }

  /** Element messages encoded so far (the last one may still take elements). */
  int messages() {
    return messages + (open ? 1 : 0);
  }

  /** Bytes encoded so far. */
  long bytes() {
    return pos;
  }

  private void checkWritable(String what) {
    if (state != IDLE) {
      throw new IllegalStateException(what + ": the previous element is not finished");
    }
    if (finished || closed) {
      throw new IllegalStateException(
          what + ": batch " + (closed ? "closed" : "already committed (expected: reset())"));
    }
  }

  private ElementKey begin(Op o, String s) {
    requireNonNull(s, "set");
    checkWritable("set element");
    elemOpenedMessage = false;
    if (!open
        || o != op
        || !s.equals(set)
        || pos - elementsNest + MAX_ELEMENT_BYTES > maxElementsNest) {
      if (open) {
        closeMessage();
      }
      ensure(MAX_MESSAGE_HEAD + MAX_ELEMENT_BYTES + 64);
      openMessage(o, checkName(s, "set"));
      elemOpenedMessage = true;
    } else {
      ensure(MAX_ELEMENT_BYTES + 64);
    }
    elemStart = pos;
    attr(NFTA_LIST_ELEM | NLA_F_NESTED);
    nestStart = attr(NFTA_SET_ELEM_KEY | NLA_F_NESTED);
    valueStart = attr(NFTA_DATA_VALUE);
    state = KEY;
    return element;
  }

  private void openMessage(Op o, String s) {
    if (messages == msgStart.length) {
      int n = messages * 2;
      msgStart = Arrays.copyOf(msgStart, n);
      msgFirst = Arrays.copyOf(msgFirst, n);
      msgOp = Arrays.copyOf(msgOp, n);
      msgSet = Arrays.copyOf(msgSet, n);
    }
    msgStart[messages] = pos;
    msgFirst[messages] = elements;
    msgOp[messages] = o;
    msgSet[messages] = s;
    open = true;
    op = o;
    set = s;
    // nlmsghdr: length (patched on close), type, flags, sequence (set by finish), port id 0.
    putInt(buf, pos, 0);
    putShort(buf, pos + 4, o.type);
    putShort(buf, pos + 6, o.flags);
    putInt(buf, pos + 8, 0);
    putInt(buf, pos + 12, 0);
    // nfgenmsg: family, version NFNETLINK_V0, res_id 0.
    putIntBe(buf, pos + 16, NFPROTO_INET << 24);
    pos += 20;
    string(NFTA_SET_ELEM_LIST_TABLE, table);
    string(NFTA_SET_ELEM_LIST_SET, s);
    if (o != Op.FLUSH) {
      elementsNest = attr(NFTA_SET_ELEM_LIST_ELEMENTS | NLA_F_NESTED);
    }
  }

  private void closeMessage() {
    if (op != Op.FLUSH) {
      closeNest(elementsNest);
    }
    int start = msgStart[messages];
    putInt(buf, start, pos - start);
    messages++;
    open = false;
  }

  /** BATCH_BEGIN or BATCH_END: header and an nfgenmsg naming the nf_tables subsystem. */
  private void fixedMessage(short type) {
    ensure(64);
    putInt(buf, pos, 20);
    putShort(buf, pos + 4, type);
    putShort(buf, pos + 6, NfNetlink.NLM_F_REQUEST);
    putInt(buf, pos + 8, 0);
    putInt(buf, pos + 12, 0);
    putIntBe(buf, pos + 16, NFNL_SUBSYS_NFTABLES); // AF_UNSPEC, version 0, res_id (big endian)
    pos += 20;
  }

  // ---- element fields, called by ElementKey ----

  /** Room for {@code n} more bytes in the current value; a key or data is at most 64 bytes. */
  int field(int n) {
    if (state == IDLE) {
      throw new IllegalStateException("set element: none started (expected: add/create/delete)");
    }
    if (pos + n - valueStart - 4 > NFT_DATA_VALUE_MAXLEN) {
      String what = state == KEY ? "key" : "data";
      abandon();
      throw new IllegalStateException(
          what
              + ": more than "
              + NFT_DATA_VALUE_MAXLEN
              + " bytes (expected: at most 16 fields of 4 bytes)");
    }
    int at = pos;
    pos += n;
    return at;
  }

  /** The array {@link #field} reserved room in; valid until the next field. */
  byte[] buffer() {
    return buf;
  }

  void startData() {
    if (state != KEY) {
      throw new IllegalStateException("data: " + (state == IDLE ? "no element" : "already begun"));
    }
    if (op == Op.DELETE) {
      abandon();
      throw new IllegalStateException("data: a delete names the key only");
    }
    closeKey();
    nestStart = attr(NFTA_SET_ELEM_DATA | NLA_F_NESTED);
    valueStart = attr(NFTA_DATA_VALUE);
    state = DATA;
  }

  void endElement() {
    if (state == IDLE) {
      throw new IllegalStateException("end: no element started");
    }
    if (state == KEY) {
      closeKey();
    } else {
      closeValue();
      closeNest(nestStart);
    }
    closeNest(elemStart);
    elements++;
    state = IDLE;
  }

  void verdict(int code, String chain) {
    if (state != KEY) {
      throw new IllegalStateException("verdict: " + (state == IDLE ? "no element" : "after data"));
    }
    if (op == Op.DELETE) {
      abandon();
      throw new IllegalStateException("verdict: a delete names the key only");
    }
    if (!chain.isEmpty()) {
      try {
        checkName(chain, "chain");
      } catch (IllegalArgumentException e) {
        abandon();
        throw e;
      }
    }
    closeKey();
    int data = attr(NFTA_SET_ELEM_DATA | NLA_F_NESTED);
    int verdict = attr(NFTA_DATA_VERDICT | NLA_F_NESTED);
    int codeAttr = attr(NFTA_VERDICT_CODE);
    putIntBe(buf, pos, code);
    pos += 4;
    closeNest(codeAttr);
    if (!chain.isEmpty()) {
      string(NFTA_VERDICT_CHAIN, chain);
    }
    closeNest(verdict);
    closeNest(data);
    closeNest(elemStart);
    elements++;
    state = IDLE;
  }

  /** Drops the element being written (after a bad field), leaving the batch as it was. */
  void abandon() {
    if (state == IDLE) {
      return;
    }
    state = IDLE;
    if (elemOpenedMessage) {
      pos = msgStart[messages];
      open = false;
    } else {
      pos = elemStart;
    }
  }

  private void closeKey() {
    closeValue();
    closeNest(nestStart);
  }

  private void closeValue() {
    if (pos == valueStart + 4) {
      String what = state == KEY ? "key" : "data";
      abandon();
      throw new IllegalStateException(what + ": empty (expected: at least one field)");
    }
    closeNest(valueStart);
  }

  // ---- committing, called by NfNetlink ----

  /** Messages to send: 0 for an empty batch. */
  int messagesPending() {
    if (state != IDLE) {
      throw new IllegalStateException("batch: an element is not finished");
    }
    return messages();
  }

  /**
   * Closes the batch (BATCH_END) and numbers its messages from {@code firstSeq}: BEGIN gets it,
   * element message i gets {@code firstSeq + 1 + i}, END the next. Returns its length in bytes.
   */
  long finish(int firstSeq) {
    if (state != IDLE) {
      throw new IllegalStateException("batch: an element is not finished");
    }
    if (!finished) {
      if (open) {
        closeMessage();
      }
      fixedMessage(NFNL_MSG_BATCH_END);
      finished = true;
    }
    putInt(buf, 8, firstSeq);
    for (int i = 0; i < messages; i++) {
      putInt(buf, msgStart[i] + 8, firstSeq + 1 + i);
    }
    if (messages > 0) {
      // Only the last message asks for an ACK: the kernel reports every failing message anyway,
      // and answers only after processing the whole batch, so this ACK marks the end of answers.
      int last = msgStart[messages - 1];
      putShort(buf, last + 6, msgOp[messages - 1].flags | NfNetlink.NLM_F_ACK);
    }
    putInt(buf, pos - 20 + 8, firstSeq + messages + 1);
    return pos;
  }

  /**
   * Hands every element written so far to {@code sink}, decoded as {@link NfNetlink#parseElements}
   * decodes a dump, so that the two compare byte for byte. Closes the open message: elements
   * written later start a new one.
   */
  void forEachElement(NfNetlink.ElementSink sink) {
    if (state != IDLE) {
      throw new IllegalStateException("batch: an element is not finished");
    }
    if (open) {
      closeMessage();
    }
    for (int m = 0; m < messages; m++) {
      if (msgOp[m] != Op.FLUSH) {
        int start = msgStart[m];
        NfNetlink.parseElements(buf, start, start + getInt(buf, start), sink);
      }
    }
  }

  /** The encoded batch; valid up to {@link #bytes()} and until the next call that writes. */
  byte[] array() {
    return buf;
  }

  /** The encoded batch as bytes (tests). */
  byte[] toByteArray() {
    return Arrays.copyOf(buf, pos);
  }

  /** The set message {@code m} wrote, or "" for none. */
  String setOf(int m) {
    return m < 0 || m >= messages ? "" : msgSet[m];
  }

  /** e.g. "add element inet multinet ep4_tcp (message 3 of 82: elements 2720-4079)". */
  String describe(int m) {
    if (m < 0 || m >= messages) {
      return "batch";
    }
    String head =
        msgOp[m].verb
            + " inet "
            + table
            + " "
            + msgSet[m]
            + " (message "
            + (m + 1)
            + " of "
            + messages;
    if (msgOp[m] == Op.FLUSH) {
      return head + ")";
    }
    int last = (m + 1 < messages ? msgFirst[m + 1] : elements) - 1;
    return head + ": elements " + msgFirst[m] + "-" + last + ")";
  }

  /**
   * The element of message {@code m} that the kernel's extended ACK pointed at: {@code offset}
   * counts from the message's nlmsghdr. Returns its index in the batch, or -1.
   */
  int elementAt(int m, int offset) {
    if (m < 0 || m >= messages || offset < 0) {
      return -1;
    }
    int start = msgStart[m];
    int nest = elementsNestOf(start);
    int end = nest + getShort(buf, nest);
    int index = msgFirst[m];
    for (int at = nest + 4; at < end; index++) {
      int len = getShort(buf, at);
      if (start + offset >= at && start + offset < at + len) {
        return index;
      }
      at += (len + 3) & ~3;
    }
    return -1;
  }

  /** Element {@code e} as the kernel sees it: key and data in hex, 4-byte words (errors). */
  String elementText(int e) {
    int m = 0;
    while (m + 1 < messages && msgFirst[m + 1] <= e) {
      m++;
    }
    if (e < 0 || e >= elements || messages == 0) {
      return "";
    }
    int nest = elementsNestOf(msgStart[m]);
    int at = nest + 4;
    for (int i = msgFirst[m]; i < e; i++) {
      at += (getShort(buf, at) + 3) & ~3;
    }
    var sb = new StringBuilder("{");
    describeAttrs(sb, at + 4, at + getShort(buf, at));
    return sb.append(" }").toString();
  }

  private void describeAttrs(StringBuilder sb, int from, int to) {
    for (int at = from; at + 4 <= to; ) {
      int len = getShort(buf, at);
      int type = getShort(buf, at + 2);
      if (len < 4) {
        return;
      }
      if ((type & NLA_F_NESTED) != 0) {
        describeAttrs(sb, at + 4, at + len);
      } else {
        byte[] v = Arrays.copyOfRange(buf, at + 4, at + len);
        boolean text = v.length > 1 && v[v.length - 1] == 0 && v[0] >= 'A';
        sb.append(' ');
        if (text) {
          sb.append(new String(v, 0, v.length - 1, java.nio.charset.StandardCharsets.US_ASCII));
        } else {
          for (int i = 0; i < v.length; i += 4) {
            sb.append(HexFormat.of().formatHex(v, i, Math.min(v.length, i + 4)));
            if (i + 4 < v.length) {
              sb.append(' ');
            }
          }
        }
      }
      at += (len + 3) & ~3;
    }
  }

  private int elementsNestOf(int msg) {
    int at = msg + 20;
    at += (getShort(buf, at) + 3) & ~3; // table
    at += (getShort(buf, at) + 3) & ~3; // set
    return at;
  }

  // ---- attributes ----

  /** Writes an attribute header (length patched by closeNest) and returns its offset. */
  private int attr(int type) {
    int at = pos;
    putShort(buf, at, (short) 4);
    putShort(buf, at + 2, (short) type);
    pos += 4;
    return at;
  }

  private void closeNest(int at) {
    putShort(buf, at, (short) (pos - at));
  }

  /** A NUL-terminated string attribute, padded to 4 bytes with zeros. */
  private void string(short type, String s) {
    int n = s.length();
    putShort(buf, pos, 4 + n + 1);
    putShort(buf, pos + 2, type);
    int at = pos + 4;
    for (int i = 0; i < n; i++) {
      buf[at + i] = (byte) s.charAt(i);
    }
    int end = pos + ((4 + n + 1 + 3) & ~3);
    for (int z = at + n; z < end; z++) {
      buf[z] = 0;
    }
    pos = end;
  }

  private static String checkName(String name, String what) {
    if (name.isEmpty() || name.length() >= NFT_NAME_MAXLEN) {
      throw new IllegalArgumentException(
          what + ": \"" + name + "\" (expected: 1-" + (NFT_NAME_MAXLEN - 1) + " characters)");
    }
    for (int i = 0; i < name.length(); i++) {
      char c = name.charAt(i);
      if (c <= ' ' || c > '~') {
        throw new IllegalArgumentException(
            what + ": \"" + name + "\" (expected: printable ASCII without spaces)");
      }
    }
    return name;
  }

  private void ensure(int n) {
    if (pos + n > buf.length) {
      if (buf.length > Integer.MAX_VALUE / 2 - n) {
        throw new IllegalStateException(
            "batch: " + pos + " bytes (expected: under 1 GiB; commit it and start another)");
      }
      buf = Arrays.copyOf(buf, Math.max(buf.length * 2, pos + n));
    }
  }

  // ---- byte order: host order for netlink headers and lengths, network order where uapi says ----

  static void putShort(byte[] b, int at, int v) {
    if (LITTLE_ENDIAN) {
      b[at] = (byte) v;
      b[at + 1] = (byte) (v >> 8);
    } else {
      b[at] = (byte) (v >> 8);
      b[at + 1] = (byte) v;
    }
  }

  static void putInt(byte[] b, int at, int v) {
    if (LITTLE_ENDIAN) {
      b[at] = (byte) v;
      b[at + 1] = (byte) (v >> 8);
      b[at + 2] = (byte) (v >> 16);
      b[at + 3] = (byte) (v >> 24);
    } else {
      putIntBe(b, at, v);
    }
  }

  static void putIntBe(byte[] b, int at, int v) {
    b[at] = (byte) (v >> 24);
    b[at + 1] = (byte) (v >> 16);
    b[at + 2] = (byte) (v >> 8);
    b[at + 3] = (byte) v;
  }

  static int getInt(byte[] b, int at) {
    return LITTLE_ENDIAN
        ? (b[at] & 0xff) | (b[at + 1] & 0xff) << 8 | (b[at + 2] & 0xff) << 16 | b[at + 3] << 24
        : b[at] << 24 | (b[at + 1] & 0xff) << 16 | (b[at + 2] & 0xff) << 8 | (b[at + 3] & 0xff);
  }

  static int getShort(byte[] b, int at) {
    return LITTLE_ENDIAN
        ? (b[at] & 0xff) | (b[at + 1] & 0xff) << 8
        : (b[at] & 0xff) << 8 | (b[at + 1] & 0xff);
  }
}
