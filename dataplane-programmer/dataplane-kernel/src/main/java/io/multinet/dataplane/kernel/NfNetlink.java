package io.multinet.dataplane.kernel;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_BYTE;
import static java.lang.foreign.ValueLayout.JAVA_INT;
import static java.lang.foreign.ValueLayout.JAVA_LONG;
import static java.lang.foreign.ValueLayout.JAVA_SHORT;
import static java.util.Objects.requireNonNull;

import io.multinet.dataplane.Netns;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemoryLayout;
import java.lang.foreign.MemorySegment;
import java.lang.invoke.MethodHandle;
import java.lang.invoke.VarHandle;
import org.jspecify.annotations.Nullable;

/**
 * A NETLINK_NETFILTER socket that commits {@link SetElementBatch}es: one {@code send(2)} per batch,
 * so the kernel runs it as one nf_tables transaction, all or nothing. It then reads the answers:
 * one error per failing message, then the ACK only the last message asks for (the kernel answers
 * after the whole batch), and throws {@link NfNetlinkException} if any message failed, in which
 * case the kernel has aborted the whole batch.
 *
 * <p>The socket belongs to the network namespace it was created in: {@link #open} creates it inside
 * {@code netns} through {@link Netns#call}, and it may then be used from any one thread at a time.
 * Not thread-safe.
 */
final class NfNetlink implements AutoCloseable {

  // linux/netlink.h, linux/socket.h, asm-generic/socket.h (x86_64 and arm64 share these).
  static final int AF_NETLINK = 16;
  static final int NETLINK_NETFILTER = 12;
  static final int NLMSG_ERROR = 2;
  static final int NLMSG_HDRLEN = 16;
  static final short NLM_F_REQUEST = 0x1;
  static final short NLM_F_ACK = 0x4;
  static final short NLM_F_EXCL = 0x200;
  static final short NLM_F_CREATE = 0x400;
  static final short NLM_F_DUMP = 0x300;
  static final int NLMSG_DONE = 3;
  static final short NFT_MSG_GETSETELEM = 13;
  static final int NLM_F_ACK_TLVS = 0x200; // in an NLMSG_ERROR's flags: extended-ack attributes
  static final int NLMSGERR_ATTR_MSG = 1;
  static final int NLMSGERR_ATTR_OFFS = 2;

  private static final int SOCK_RAW = 3;
  private static final int SOCK_CLOEXEC = 0x80000;
  private static final int SOL_SOCKET = 1;
  private static final int SO_RCVTIMEO = 20;
  private static final int SO_SNDBUFFORCE = 32;
  private static final int SO_RCVBUFFORCE = 33;
  private static final int SOL_NETLINK = 270;
  private static final int NETLINK_CAP_ACK = 10; // errors do not echo our (up to 64 KiB) message
  private static final int NETLINK_EXT_ACK = 11; // errors name the offending element's offset
  private static final int MSG_DONTWAIT = 0x40;
  private static final int EINTR = 4;
  private static final int EAGAIN = 11;
  private static final int ENOBUFS = 105;

  /** How long to wait for the kernel's answers; it answers while send(2) runs, so this is slack. */
  private static final int ANSWER_TIMEOUT_SECONDS = 10;

  private static final int RECV_BUFFER = 64 * 1024;

  /**
   * The receive queue holds the answers until we read them: one ACK, or one error per failing
   * message (under 1 KiB each with capped ACKs). Should more fail than fit, the first error still
   * arrives, and any error means the batch was aborted.
   */
  private static final int RCVBUF = 1024 * 1024;

  private static final class Native {
    static final Linker LINKER = Linker.nativeLinker();
    static final Linker.Option ERRNO = Linker.Option.captureCallState("errno");
    static final VarHandle ERRNO_HANDLE =
        Linker.Option.captureStateLayout()
            .varHandle(MemoryLayout.PathElement.groupElement("errno"));
    static final MethodHandle SOCKET =
        fn("socket", FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT));
    static final MethodHandle BIND =
        fn("bind", FunctionDescriptor.of(JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT));
    static final MethodHandle SETSOCKOPT =
        fn(
            "setsockopt",
            FunctionDescriptor.of(JAVA_INT, JAVA_INT, JAVA_INT, JAVA_INT, ADDRESS, JAVA_INT));
    static final MethodHandle SEND =
        fn("send", FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG, JAVA_INT));
    static final MethodHandle RECV =
        fn("recv", FunctionDescriptor.of(JAVA_LONG, JAVA_INT, ADDRESS, JAVA_LONG, JAVA_INT));
    static final MethodHandle CLOSE = fn("close", FunctionDescriptor.of(JAVA_INT, JAVA_INT));
    static final MethodHandle STRERROR =
        LINKER.downcallHandle(
            LINKER.defaultLookup().find("strerror").orElseThrow(),
            FunctionDescriptor.of(ADDRESS, JAVA_INT));

    private static MethodHandle fn(String name, FunctionDescriptor fd) {
      return LINKER.downcallHandle(LINKER.defaultLookup().find(name).orElseThrow(), fd, ERRNO);
    }
  }

  private final int fd;
  private final Arena arena = Arena.ofShared();
  private final MemorySegment errno = arena.allocate(Linker.Option.captureStateLayout());
  private final MemorySegment option = arena.allocate(16, 8);
  private final MemorySegment answers = arena.allocate(RECV_BUFFER, 8);
  private Arena sendArena = Arena.ofShared(); // replaced as the send buffer grows
  private MemorySegment sendBuf = MemorySegment.NULL;
  private int sndbuf;
  private int seq = 1;
  private boolean closed;

  private NfNetlink() throws NfNetlinkException {
    try {
      fd =
          (int)
              Native.SOCKET.invokeExact(
                  errno, AF_NETLINK, SOCK_RAW | SOCK_CLOEXEC, NETLINK_NETFILTER);
      if (fd < 0) {
        throw failure("socket(AF_NETLINK, NETLINK_NETFILTER)", errno());
      }
      try {
        // sockaddr_nl: family, pad, port id 0 (the kernel picks one), no multicast groups.
        MemorySegment addr = arena.allocate(12, 4);
        addr.set(JAVA_SHORT, 0, (short) AF_NETLINK);
        int rc = (int) Native.BIND.invokeExact(errno, fd, addr, 12);
        if (rc != 0) {
          throw failure("bind", errno());
        }
        setInt(SOL_SOCKET, SO_RCVBUFFORCE, RCVBUF, "SO_RCVBUFFORCE");
        setInt(SOL_NETLINK, NETLINK_CAP_ACK, 1, "NETLINK_CAP_ACK");
        setInt(SOL_NETLINK, NETLINK_EXT_ACK, 1, "NETLINK_EXT_ACK");
        option.set(JAVA_LONG, 0, ANSWER_TIMEOUT_SECONDS);
        option.set(JAVA_LONG, 8, 0L);
        rc = (int) Native.SETSOCKOPT.invokeExact(errno, fd, SOL_SOCKET, SO_RCVTIMEO, option, 16);
        if (rc != 0) {
          throw failure("setsockopt(SO_RCVTIMEO)", errno());
        }
      } catch (Throwable t) {
        int ignored = (int) Native.CLOSE.invokeExact(errno, fd);
        arena.close();
        sendArena.close();
        throw t;
      }
    } catch (NfNetlinkException | RuntimeException | Error e) {
      throw e;
    } catch (Throwable t) {
      throw new IllegalStateException("nfnetlink socket", t);
    }
  }

  /**
   * Opens a socket in network namespace {@code netns} (null: the caller's). Needs CAP_NET_ADMIN
   * there (SO_RCVBUFFORCE now, SO_SNDBUFFORCE and nf_tables when committing).
   */
  static NfNetlink open(@Nullable String netns) throws NfNetlinkException {
    try {
      return Netns.call(netns, NfNetlink::new);
    } catch (NfNetlinkException | RuntimeException e) {
      throw e;
    } catch (Exception e) {
      throw new IllegalStateException("nfnetlink socket in netns " + netns + ": " + e, e);
    }
  }

  /**
   * Commits {@code batch} as one transaction and returns once the kernel has committed it. On
   * {@link NfNetlinkException} nothing of the batch was applied. An empty batch sends nothing. The
   * batch stays finished until {@link SetElementBatch#reset}.
   */
  void commit(SetElementBatch batch) throws NfNetlinkException {
    requireNonNull(batch, "batch");
    if (closed) {
      throw new IllegalStateException("nfnetlink socket closed");
    }
    int messages = batch.messagesPending();
    if (messages == 0) {
      return;
    }
    int first = seq;
    // Sequence numbers: BEGIN = first, message i = first + 1 + i, END = first + messages + 1.
    seq += messages + 2;
    if (seq < 0 || seq > Integer.MAX_VALUE - 1_000_000) {
      seq = 1;
    }
    long length = batch.finish(first);
    if (length > Integer.MAX_VALUE / 2 - 65536) {
      throw new IllegalArgumentException(
          "batch: " + length + " bytes (expected: under 1 GiB; split it)");
    }
    try {
      // netlink_sendmsg refuses a message longer than the send buffer: grow it as nft does.
      int needSnd = (int) length + 65536;
      if (needSnd > sndbuf) {
        setInt(SOL_SOCKET, SO_SNDBUFFORCE, needSnd, "SO_SNDBUFFORCE");
        sndbuf = needSnd;
      }
      if (sendBuf.byteSize() < length) {
        growSendBuffer(length);
      }
      MemorySegment.copy(batch.array(), 0, sendBuf, JAVA_BYTE, 0, (int) length);
      long sent;
      do {
        sent = (long) Native.SEND.invokeExact(errno, fd, sendBuf, length, 0);
      } while (sent < 0 && errno() == EINTR);
      if (sent != length) {
        int err = sent < 0 ? errno() : 0;
        throw new NfNetlinkException(
            "send of a "
                + length
                + "-byte batch failed: "
                + (sent < 0 ? strerror(err) + " (errno " + err + ")" : "sent " + sent)
                + "; nothing applied",
            err,
            -1,
            "",
            -1);
      }
      readAnswers(batch, first, messages);
    } catch (NfNetlinkException | RuntimeException | Error e) {
      throw e;
    } catch (Throwable t) {
      throw new IllegalStateException("nfnetlink", t);
    }
  }

  /**
   * Reads the kernel's answers: an error for each failing message (the lowest one is reported) or
   * the batch itself, and the ACK the last message asked for. The kernel queues them all before
   * send(2) returns and the last message's answer comes last, so a blocking read waits only for
   * slow scheduling, bounded by SO_RCVTIMEO.
   */
  private void readAnswers(SetElementBatch batch, int first, int messages) throws Throwable {
    boolean done = false; // the last message's answer arrived
    boolean lost = false; // the receive queue overflowed: some answers are missing
    int batchError = 0;
    int errMessage = -1;
    int errCode = 0;
    int errOffset = -1;
    @Nullable String errText = null;
    while (true) {
      // Once the end is known (or cannot come), read only what is already queued.
      int flags = done || lost || batchError != 0 ? MSG_DONTWAIT : 0;
      long n = (long) Native.RECV.invokeExact(errno, fd, answers, (long) RECV_BUFFER, flags);
      if (n < 0) {
        int err = errno();
        if (err == EINTR) {
          continue;
        }
        if (err == ENOBUFS) {
          lost = true;
          continue;
        }
        if (err == EAGAIN && flags != 0) {
          break;
        }
        if (errCode != 0) {
          break; // an error is enough to know the batch was aborted
        }
        throw new IllegalStateException(
            "nfnetlink: no answer to a "
                + messages
                + "-message batch: "
                + strerror(err)
                + " (errno "
                + err
                + "); whether it was applied is unknown");
      }
      int at = 0;
      while (at + NLMSG_HDRLEN <= n) {
        int len = answers.get(JAVA_INT, at);
        int type = Short.toUnsignedInt(answers.get(JAVA_SHORT, at + 4));
        int msgFlags = Short.toUnsignedInt(answers.get(JAVA_SHORT, at + 6));
        int answerSeq = answers.get(JAVA_INT, at + 8);
        if (len < NLMSG_HDRLEN || at + len > n) {
          break;
        }
        if (type == NLMSG_ERROR && len >= NLMSG_HDRLEN + 4) {
          int err = -answers.get(JAVA_INT, at + NLMSG_HDRLEN);
          int index = answerSeq - first - 1;
          if (answerSeq == first && err != 0) {
            batchError = err; // the commit itself failed, or the kernel ran out of memory
          } else if (index >= 0 && index < messages) {
            done |= index == messages - 1;
            if (err != 0 && (errCode == 0 || index < errMessage)) {
              errCode = err;
              errMessage = index;
              errOffset = -1;
              errText = null;
              if ((msgFlags & NLM_F_ACK_TLVS) != 0) {
                // nlmsgerr (error + the capped request header), then attributes.
                int a = at + NLMSG_HDRLEN + 4 + NLMSG_HDRLEN;
                while (a + 4 <= at + len) {
                  int alen = Short.toUnsignedInt(answers.get(JAVA_SHORT, a));
                  int atype = answers.get(JAVA_SHORT, a + 2) & 0x3fff;
                  if (alen < 4 || a + alen > at + len) {
                    break;
                  }
                  if (atype == NLMSGERR_ATTR_OFFS && alen >= 8) {
                    errOffset = answers.get(JAVA_INT, a + 4);
                  } else if (atype == NLMSGERR_ATTR_MSG && alen > 5) {
                    errText = answers.asSlice(a + 4, alen - 4).getString(0);
                  }
                  a += (alen + 3) & ~3;
                }
              }
            }
          }
        }
        at += (len + 3) & ~3;
      }
    }
    if (errCode != 0) {
      int element = batch.elementAt(errMessage, errOffset);
      String set = batch.setOf(errMessage);
      throw new NfNetlinkException(
          batch.describe(errMessage)
              + " failed: "
              + strerror(errCode)
              + " (errno "
              + errCode
              + ")"
              + (errText == null ? "" : ": " + errText)
              + (element < 0
                  ? ""
                  : "; first failing element #" + element + " " + batch.elementText(element))
              + "; the batch was aborted, nothing applied",
          errCode,
          errMessage,
          set,
          element);
    }
    if (batchError != 0) {
      throw new NfNetlinkException(
          "batch of "
              + messages
              + " messages failed: "
              + strerror(batchError)
              + " (errno "
              + batchError
              + "); the batch was aborted, nothing applied",
          batchError,
          -1,
          "",
          -1);
    }
    if (!done) {
      throw new IllegalStateException(
          "nfnetlink: the kernel's answer to a "
              + messages
              + "-message batch was lost"
              + (lost ? " (receive queue overflow)" : "")
              + "; whether it was applied is unknown");
    }
  }

  /** What {@link #dump} hands over: one element as {@link #parseElements} decodes it. */
  interface ElementSink {
    /**
     * One element of {@code set}: its key's value bytes, and its data normalized by {@link
     * #parseElements} (empty for a set without data).
     */
    void element(String set, byte[] key, byte[] data);
  }

  /** Tags of the normalized data {@link #parseElements} hands over. */
  static final byte DATA_VALUE = 0;

  static final byte DATA_VERDICT = 1;

  /**
   * Reads every element of {@code inet <table> <set>} from the kernel (NFT_MSG_GETSETELEM with
   * NLM_F_DUMP). A dump is not a transaction: it takes no lock that commits wait for.
   *
   * @throws NfNetlinkException when the kernel refuses it (ENOENT: no such table or set)
   */
  void dump(String table, String set, ElementSink sink) throws NfNetlinkException {
    requireNonNull(table, "table");
    requireNonNull(set, "set");
    requireNonNull(sink, "sink");
    if (closed) {
      throw new IllegalStateException("nfnetlink socket closed");
    }
    int mySeq = seq++;
    if (seq < 0 || seq > Integer.MAX_VALUE - 1_000_000) {
      seq = 1;
    }
    byte[] req = new byte[20 + 8 + pad(table.length() + 1) + pad(set.length() + 1)];
    SetElementBatch.putInt(req, 0, req.length);
    SetElementBatch.putShort(
        req, 4, SetElementBatch.NFNL_SUBSYS_NFTABLES << 8 | NFT_MSG_GETSETELEM);
    SetElementBatch.putShort(req, 6, NLM_F_REQUEST | NLM_F_DUMP);
    SetElementBatch.putInt(req, 8, mySeq);
    SetElementBatch.putIntBe(req, 16, SetElementBatch.NFPROTO_INET << 24);
    int at = stringAttr(req, 20, SetElementBatch.NFTA_SET_ELEM_LIST_TABLE, table);
    stringAttr(req, at, SetElementBatch.NFTA_SET_ELEM_LIST_SET, set);
    try {
      if (sendBuf.byteSize() < req.length) {
        growSendBuffer(req.length);
      }
      MemorySegment.copy(req, 0, sendBuf, JAVA_BYTE, 0, req.length);
      long sent;
      do {
        sent = (long) Native.SEND.invokeExact(errno, fd, sendBuf, (long) req.length, 0);
      } while (sent < 0 && errno() == EINTR);
      if (sent != req.length) {
        throw failure("send of a dump request", sent < 0 ? errno() : 0);
      }
      byte[] chunk = new byte[RECV_BUFFER];
      while (true) {
        long n = (long) Native.RECV.invokeExact(errno, fd, answers, (long) RECV_BUFFER, 0);
        if (n < 0) {
          int err = errno();
          if (err == EINTR) {
            continue;
          }
          throw failure("dump of " + set, err);
        }
        MemorySegment.copy(answers, JAVA_BYTE, 0, chunk, 0, (int) n);
        int m = 0;
        while (m + NLMSG_HDRLEN <= n) {
          int len = SetElementBatch.getInt(chunk, m);
          int type = SetElementBatch.getShort(chunk, m + 4);
          int answerSeq = SetElementBatch.getInt(chunk, m + 8);
          if (len < NLMSG_HDRLEN || m + len > n) {
            break;
          }
          if (answerSeq == mySeq) {
            if (type == NLMSG_DONE) {
              return;
            }
            if (type == NLMSG_ERROR) {
              int err = -SetElementBatch.getInt(chunk, m + NLMSG_HDRLEN);
              if (err == 0) {
                return;
              }
              throw new NfNetlinkException(
                  "dump of inet "
                      + table
                      + " "
                      + set
                      + " failed: "
                      + strerror(err)
                      + " (errno "
                      + err
                      + ")",
                  err,
                  -1,
                  set,
                  -1);
            }
            parseElements(chunk, m, m + len, sink);
          }
          m += (len + 3) & ~3;
        }
      }
    } catch (NfNetlinkException | RuntimeException | Error e) {
      throw e;
    } catch (Throwable t) {
      throw new IllegalStateException("nfnetlink dump", t);
    }
  }

  /**
   * Decodes the elements of one NEWSETELEM message at {@code [from, to)} of {@code b}: a dump's
   * answer or a message of a {@link SetElementBatch}, whose nests carry NLA_F_NESTED where the
   * kernel's do not. Data is normalized so that the two compare equal: {@link #DATA_VALUE} and the
   * value's bytes, or {@link #DATA_VERDICT}, the verdict code (4 bytes, network order) and the
   * chain name; empty for a set without data.
   */
  static void parseElements(byte[] b, int from, int to, ElementSink sink) {
    String set = "";
    int elements = -1;
    int elementsEnd = -1;
    for (int at = from + 20; at + 4 <= to; ) {
      int len = SetElementBatch.getShort(b, at);
      int type = SetElementBatch.getShort(b, at + 2) & 0x3fff;
      if (len < 4 || at + len > to) {
        break;
      }
      if (type == SetElementBatch.NFTA_SET_ELEM_LIST_SET) {
        set = cString(b, at + 4, at + len);
      } else if (type == SetElementBatch.NFTA_SET_ELEM_LIST_ELEMENTS) {
        elements = at + 4;
        elementsEnd = at + len;
      }
      at += (len + 3) & ~3;
    }
    for (int e = elements; e >= 0 && e + 4 <= elementsEnd; ) {
      int len = SetElementBatch.getShort(b, e);
      if (len < 4 || e + len > elementsEnd) {
        break;
      }
      byte[] key = null;
      byte[] data = new byte[0];
      for (int a = e + 4; a + 4 <= e + len; ) {
        int alen = SetElementBatch.getShort(b, a);
        int atype = SetElementBatch.getShort(b, a + 2) & 0x3fff;
        if (alen < 4 || a + alen > e + len) {
          break;
        }
        if (atype == SetElementBatch.NFTA_SET_ELEM_KEY) {
          key = value(b, a + 4, a + alen);
        } else if (atype == SetElementBatch.NFTA_SET_ELEM_DATA) {
          data = data(b, a + 4, a + alen);
        }
        a += (alen + 3) & ~3;
      }
      if (key != null) {
        sink.element(set, key, data);
      }
      e += (len + 3) & ~3;
    }
  }

  /** The NFTA_DATA_VALUE inside a key or data nest. */
  private static byte @Nullable [] value(byte[] b, int from, int to) {
    for (int a = from; a + 4 <= to; ) {
      int len = SetElementBatch.getShort(b, a);
      int type = SetElementBatch.getShort(b, a + 2) & 0x3fff;
      if (len < 4 || a + len > to) {
        break;
      }
      if (type == SetElementBatch.NFTA_DATA_VALUE) {
        return java.util.Arrays.copyOfRange(b, a + 4, a + len);
      }
      a += (len + 3) & ~3;
    }
    return null;
  }

  private static byte[] data(byte[] b, int from, int to) {
    for (int a = from; a + 4 <= to; ) {
      int len = SetElementBatch.getShort(b, a);
      int type = SetElementBatch.getShort(b, a + 2) & 0x3fff;
      if (len < 4 || a + len > to) {
        break;
      }
      if (type == SetElementBatch.NFTA_DATA_VALUE) {
        byte[] out = new byte[len - 4 + 1];
        out[0] = DATA_VALUE;
        System.arraycopy(b, a + 4, out, 1, len - 4);
        return out;
      }
      if (type == SetElementBatch.NFTA_DATA_VERDICT) {
        byte[] code = new byte[4];
        String chain = "";
        for (int v = a + 4; v + 4 <= a + len; ) {
          int vlen = SetElementBatch.getShort(b, v);
          int vtype = SetElementBatch.getShort(b, v + 2) & 0x3fff;
          if (vlen < 4 || v + vlen > a + len) {
            break;
          }
          if (vtype == SetElementBatch.NFTA_VERDICT_CODE && vlen >= 8) {
            System.arraycopy(b, v + 4, code, 0, 4);
          } else if (vtype == SetElementBatch.NFTA_VERDICT_CHAIN) {
            chain = cString(b, v + 4, v + vlen);
          }
          v += (vlen + 3) & ~3;
        }
        byte[] name = chain.getBytes(java.nio.charset.StandardCharsets.US_ASCII);
        byte[] out = new byte[1 + 4 + name.length];
        out[0] = DATA_VERDICT;
        System.arraycopy(code, 0, out, 1, 4);
        System.arraycopy(name, 0, out, 5, name.length);
        return out;
      }
      a += (len + 3) & ~3;
    }
    return new byte[0];
  }

  private static String cString(byte[] b, int from, int to) {
    int end = from;
    while (end < to && b[end] != 0) {
      end++;
    }
    return new String(b, from, end - from, java.nio.charset.StandardCharsets.US_ASCII);
  }

  private static int pad(int n) {
    return (4 + n + 3) & ~3;
  }

  private static int stringAttr(byte[] b, int at, short type, String s) {
    SetElementBatch.putShort(b, at, 4 + s.length() + 1);
    SetElementBatch.putShort(b, at + 2, type);
    for (int i = 0; i < s.length(); i++) {
      b[at + 4 + i] = (byte) s.charAt(i);
    }
    return at + pad(s.length() + 1);
  }

  @SuppressWarnings("MustBeClosedChecker") // the socket owns sendArena and closes it in close()
  private void growSendBuffer(long length) {
    Arena next = Arena.ofShared();
    try {
      sendBuf = next.allocate(Math.max(length, 2 * sendBuf.byteSize()), 8);
    } catch (RuntimeException | Error e) {
      next.close();
      throw e;
    }
    sendArena.close();
    sendArena = next;
  }

  private void setInt(int level, int name, int value, String what) throws Throwable {
    option.set(JAVA_INT, 0, value);
    int rc = (int) Native.SETSOCKOPT.invokeExact(errno, fd, level, name, option, 4);
    if (rc != 0) {
      throw failure("setsockopt(" + what + ", " + value + ")", errno());
    }
  }

  private int errno() {
    return (int) Native.ERRNO_HANDLE.get(errno, 0L);
  }

  private static NfNetlinkException failure(String call, int err) {
    return new NfNetlinkException(
        "nfnetlink: " + call + " failed: " + strerror(err) + " (errno " + err + ")",
        err,
        -1,
        "",
        -1);
  }

  /** The C library's text for {@code errno}, e.g. "No such file or directory". */
  static String strerror(int errno) {
    try {
      MemorySegment s = (MemorySegment) Native.STRERROR.invokeExact(errno);
      return s.equals(MemorySegment.NULL)
          ? "errno " + errno
          : s.reinterpret(Long.MAX_VALUE).getString(0);
    } catch (Throwable t) {
      return "errno " + errno;
    }
  }

  @Override
  public void close() {
    if (closed) {
      return;
    }
    closed = true;
    try {
      int ignored = (int) Native.CLOSE.invokeExact(errno, fd);
    } catch (Throwable t) {
      throw new IllegalStateException("nfnetlink close", t);
    } finally {
      arena.close();
      sendArena.close();
    }
  }
}
