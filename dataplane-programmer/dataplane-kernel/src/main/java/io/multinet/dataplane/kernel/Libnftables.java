package io.multinet.dataplane.kernel;

import static java.lang.foreign.ValueLayout.ADDRESS;
import static java.lang.foreign.ValueLayout.JAVA_BOOLEAN;
import static java.lang.foreign.ValueLayout.JAVA_INT;

import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.invoke.MethodHandle;
import org.jspecify.annotations.Nullable;

/**
 * libnftables in-process through the FFM API: one context, one batch per {@link #run} and so one
 * kernel transaction, all or nothing. No process per change and no ruleset listing: the context
 * keeps its own cache. A context is not thread-safe and belongs to the network namespace of the
 * thread that created it; {@link NftExecutor} gives each one a thread of its own.
 */
final class Libnftables implements AutoCloseable {

  private static final int JSON_OUTPUT = 1 << 4;

  /** NFT_CTX_OUTPUT_TERSE: sets and maps without their elements. */
  private static final int TERSE_OUTPUT = 1 << 11;

  private static final String SONAME = "libnftables.so.1";

  /**
   * The library, loaded once for the life of the JVM, or why it cannot be: a failure kept here
   * rather than thrown from {@link Native}'s initializer, which would leave every later use with an
   * unexplained "Could not initialize class".
   */
  private static final class Library {
    static final @Nullable SymbolLookup LOOKUP;
    static final @Nullable String UNAVAILABLE;

    static {
      SymbolLookup lookup = null;
      String why = null;
      try {
        lookup = SymbolLookup.libraryLookup(SONAME, Arena.global());
      } catch (IllegalArgumentException e) {
        why =
            SONAME
                + " not found ("
                + e.getMessage()
                + "); install it: apt-get install -y libnftables1 nftables (Debian/Ubuntu), or"
                + " your distribution's nftables package";
      }
      LOOKUP = lookup;
      UNAVAILABLE = why;
    }
  }

  /** Why libnftables cannot be used here, or null when it can. */
  static @Nullable String unavailableReason() {
    return Library.UNAVAILABLE;
  }

  private static final class Native {
    static final Linker LINKER = Linker.nativeLinker();
    static final SymbolLookup LIB = requireLibrary();
    static final MethodHandle CTX_NEW = fn("nft_ctx_new", FunctionDescriptor.of(ADDRESS, JAVA_INT));
    static final MethodHandle CTX_FREE = fn("nft_ctx_free", FunctionDescriptor.ofVoid(ADDRESS));
    static final MethodHandle BUF_OUT =
        fn("nft_ctx_buffer_output", FunctionDescriptor.of(JAVA_INT, ADDRESS));
    static final MethodHandle BUF_ERR =
        fn("nft_ctx_buffer_error", FunctionDescriptor.of(JAVA_INT, ADDRESS));
    static final MethodHandle GET_OUT =
        fn("nft_ctx_get_output_buffer", FunctionDescriptor.of(ADDRESS, ADDRESS));
    static final MethodHandle GET_ERR =
        fn("nft_ctx_get_error_buffer", FunctionDescriptor.of(ADDRESS, ADDRESS));
    static final MethodHandle SET_FLAGS =
        fn("nft_ctx_output_set_flags", FunctionDescriptor.ofVoid(ADDRESS, JAVA_INT));
    static final MethodHandle SET_DRY =
        fn("nft_ctx_set_dry_run", FunctionDescriptor.ofVoid(ADDRESS, JAVA_BOOLEAN));
    static final MethodHandle RUN =
        fn("nft_run_cmd_from_buffer", FunctionDescriptor.of(JAVA_INT, ADDRESS, ADDRESS));

    private static MethodHandle fn(String name, FunctionDescriptor fd) {
      return LINKER.downcallHandle(
          LIB.find(name)
              .orElseThrow(() -> new UnsatisfiedLinkError("libnftables.so.1 lacks " + name)),
          fd);
    }
  }

  private static SymbolLookup requireLibrary() {
    SymbolLookup lookup = Library.LOOKUP;
    if (lookup == null) {
      throw new NftablesUnavailableException(String.valueOf(Library.UNAVAILABLE));
    }
    return lookup;
  }

  private final MemorySegment ctx;

  /**
   * A new context.
   *
   * @throws NftablesUnavailableException when the library is not installed
   */
  Libnftables() {
    String unavailable = Library.UNAVAILABLE;
    if (unavailable != null) {
      throw new NftablesUnavailableException(unavailable);
    }
    try {
      ctx = (MemorySegment) Native.CTX_NEW.invokeExact(0);
      if (ctx.equals(MemorySegment.NULL)) {
        throw new IllegalStateException("nft_ctx_new returned NULL");
      }
      if ((int) Native.BUF_OUT.invokeExact(ctx) != 0
          || (int) Native.BUF_ERR.invokeExact(ctx) != 0) {
        throw new IllegalStateException("libnftables: cannot buffer output");
      }
    } catch (RuntimeException | Error e) {
      throw e;
    } catch (Throwable t) {
      throw new IllegalStateException("libnftables", t);
    }
  }

  /** Runs one batch of nft commands as one transaction; returns its output. */
  String run(String commands) throws NftException {
    try (Arena a = Arena.ofConfined()) {
      int rc = (int) Native.RUN.invokeExact(ctx, a.allocateFrom(commands));
      String out = string((MemorySegment) Native.GET_OUT.invokeExact(ctx));
      if (rc != 0) {
        throw new NftException(string((MemorySegment) Native.GET_ERR.invokeExact(ctx)).strip());
      }
      return out;
    } catch (NftException | RuntimeException | Error e) {
      throw e;
    } catch (Throwable t) {
      throw new IllegalStateException("libnftables", t);
    }
  }

  /** Output JSON or nft syntax; {@code terse} leaves sets' elements out (and is cheaper). */
  void output(boolean json, boolean terse) {
    try {
      Native.SET_FLAGS.invokeExact(ctx, (json ? JSON_OUTPUT : 0) | (terse ? TERSE_OUTPUT : 0));
    } catch (Throwable t) {
      throw new IllegalStateException("libnftables", t);
    }
  }

  /** Checks batches without committing them. */
  void dryRun(boolean dry) {
    try {
      Native.SET_DRY.invokeExact(ctx, dry);
    } catch (Throwable t) {
      throw new IllegalStateException("libnftables", t);
    }
  }

  @Override
  public void close() {
    try {
      Native.CTX_FREE.invokeExact(ctx);
    } catch (Throwable t) {
      throw new IllegalStateException("libnftables", t);
    }
  }

  private static String string(MemorySegment p) {
    return p.equals(MemorySegment.NULL) ? "" : p.reinterpret(Long.MAX_VALUE).getString(0);
  }
}
