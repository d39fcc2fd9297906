package io.multinet.benchmarks.scale;

import static java.util.Objects.requireNonNull;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * The scale harness's command line: {@code [--mode pinned|in-process] [--size SIZE] [--churn
 * R,R,...] [--seconds S] [--out DIR] [--histogram] [--aot]}. Each bad value is refused with one
 * line naming the option, the value and what is expected.
 */
record ScaleArgs(
    Mode mode,
    Size size,
    List<Integer> rates,
    int seconds,
    Path out,
    boolean histogram,
    boolean aot) {

  /** Where the node proxy runs. */
  enum Mode {
    /** A {@code multinet-proxy run} process on CPU 1, the harness on CPU 0. */
    PINNED("pinned"),
    /** The node proxy in the harness's JVM, sharing its CPUs (the older harness). */
    IN_PROCESS("in-process");

    final String flag;

    Mode(String flag) {
      this.flag = flag;
    }
  }

  /** The workload: Services × 10 endpoints, on the default network or over three networks. */
  enum Size {
    S1K("1k", 1_000, false),
    S10K("10k", 10_000, false),
    S100K("100k", 100_000, false),
    S1K_3NET("1k-3net", 1_000, true),
    S10K_3NET("10k-3net", 10_000, true),
    S100K_3NET("100k-3net", 100_000, true);

    final String flag;
    final int services;
    final boolean threeNetworks;

    Size(String flag, int services, boolean threeNetworks) {
      this.flag = flag;
      this.services = services;
      this.threeNetworks = threeNetworks;
    }

    /** Namespaces of the three-network workloads: 100 Services each. */
    int namespaces() {
      return Math.max(1, services / 100);
    }
  }

  static final String USAGE =
      "--mode pinned|in-process, --size 1k|10k|100k|1k-3net|10k-3net|100k-3net, --churn R,R,...,"
          + " --seconds S, --out DIR, --histogram, --aot";

  ScaleArgs {
    requireNonNull(mode, "mode");
    requireNonNull(size, "size");
    rates = List.copyOf(requireNonNull(rates, "rates"));
    requireNonNull(out, "out");
  }

  static ScaleArgs parse(String... args) {
    Mode mode = Mode.PINNED;
    Size size = Size.S1K;
    List<Integer> rates = List.of(10, 100, 1000);
    int seconds = 10;
    Path out = Path.of("benchmarks/target/scale");
    boolean histogram = false;
    boolean aot = false;
    for (int i = 0; i < args.length; i++) {
      String a = args[i];
      switch (a) {
        case "--mode" -> mode = mode(value(args, i++));
        case "--size" -> size = size(value(args, i++));
        case "--churn" -> rates = rates(value(args, i++));
        case "--seconds" -> seconds = seconds(value(args, i++));
        case "--out" -> out = Path.of(value(args, i++));
        case "--histogram" -> histogram = true;
        case "--aot" -> aot = true;
        default ->
            throw new IllegalArgumentException("argument: " + a + " (expected: " + USAGE + ")");
      }
    }
    return new ScaleArgs(mode, size, rates, seconds, out, histogram, aot);
  }

  private static String value(String[] args, int i) {
    if (i + 1 >= args.length) {
      throw new IllegalArgumentException(args[i] + ": missing value (expected: " + USAGE + ")");
    }
    return args[i + 1];
  }

  static Mode mode(String s) {
    for (Mode m : Mode.values()) {
      if (m.flag.equals(s)) {
        return m;
      }
    }
    throw new IllegalArgumentException("--mode: " + s + " (expected: pinned, in-process)");
  }

  static Size size(String s) {
    var names = new ArrayList<String>();
    for (Size z : Size.values()) {
      if (z.flag.equals(s)) {
        return z;
      }
      names.add(z.flag);
    }
    throw new IllegalArgumentException(
        "--size: " + s + " (expected: " + String.join(", ", names) + ")");
  }

  static List<Integer> rates(String s) {
    if (s.isBlank()) {
      throw new IllegalArgumentException(
          "--churn: " + s + " (expected: changes per second, comma-separated, each 1-100000)");
    }
    return Arrays.stream(s.split(",", -1))
        .map(
            r -> {
              int v;
              try {
                v = Integer.parseInt(r.strip());
              } catch (NumberFormatException e) {
                v = -1;
              }
              if (v < 1 || v > 100_000) {
                throw new IllegalArgumentException(
                    "--churn: "
                        + s
                        + " (expected: changes per second, comma-separated, each 1-100000)");
              }
              return v;
            })
        .toList();
  }

  static int seconds(String s) {
    int v;
    try {
      v = Integer.parseInt(s);
    } catch (NumberFormatException e) {
      v = -1;
    }
    if (v < 1 || v > 3600) {
      throw new IllegalArgumentException("--seconds: " + s + " (expected: 1-3600)");
    }
    return v;
  }
}
