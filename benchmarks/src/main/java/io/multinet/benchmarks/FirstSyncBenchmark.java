package io.multinet.benchmarks;

import io.multinet.dataplane.DataplaneException;
import io.multinet.dataplane.kernel.KernelBackend;
import io.multinet.dataplane.v1.DesiredState;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * A node's first full sync ({@link KernelBackend#applyFull} into an empty namespace) in bounded
 * netlink transactions: total time, transactions and the longest single transaction (the time the
 * kernel's nfnl lock is held at most), at each size, beside {@code nft -f} of the same rules (one
 * transaction) in the same run; then a restart over the loaded table with nothing changed (read
 * back, nothing written). Workload: {@link KernelWorkload} (services × 10 endpoints over three
 * networks). Each measurement gets a network namespace of its own, deleted afterwards. Not JMH: one
 * shot per run, medians printed.
 *
 * <pre>{@code
 * java --enable-native-access=ALL-UNNAMED -Xmx6g -cp benchmarks/target/benchmarks.jar \
 *     io.multinet.benchmarks.FirstSyncBenchmark --runs 3 --sizes 10000,100000
 * }</pre>
 *
 * Options: {@code --batch-elements N} (default {@value KernelBackend#DEFAULT_BATCH_ELEMENTS}),
 * {@code --no-nft} (skip the {@code nft -f} baseline) and {@code --no-restart}.
 */
public final class FirstSyncBenchmark {

  private FirstSyncBenchmark() {}

  /**
   * One measurement: wall time, transactions, the longest transaction, the longest netlink batch of
   * elements and the longest nft text transaction (skeleton, overlay) among them.
   */
  record Shot(
      double totalMs,
      int transactions,
      double longestMs,
      long elements,
      double longestBatchMs,
      double longestTextMs) {}

  public static void main(String[] args) throws Exception {
    int runs = 3;
    List<Integer> sizes = List.of(10_000, 100_000);
    int batch = KernelBackend.DEFAULT_BATCH_ELEMENTS;
    boolean nft = true;
    boolean restarts = true;
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "--runs" -> runs = Integer.parseInt(args[++i]);
        case "--sizes" ->
            sizes = Arrays.stream(args[++i].split(",")).map(Integer::parseInt).toList();
        case "--batch-elements" -> batch = Integer.parseInt(args[++i]);
        case "--no-nft" -> nft = false;
        case "--no-restart" -> restarts = false;
        default ->
            throw new IllegalArgumentException(
                "argument: "
                    + args[i]
                    + " (expected: --runs N, --sizes N,N, --batch-elements N, --no-nft,"
                    + " --no-restart)");
      }
    }
    System.out.println("load before: " + uptime());
    var rows = new ArrayList<String>();
    for (int size : sizes) {
      DesiredState state = KernelWorkload.state(size);
      List<Shot> batched = new ArrayList<>();
      List<Shot> restart = new ArrayList<>();
      List<Shot> files = new ArrayList<>();
      String text = "";
      for (int r = 0; r < runs; r++) {
        String ns = "fsync-" + ProcessHandle.current().pid() + "-" + r;
        run(List.of("ip", "netns", "add", ns));
        try {
          try (var backend = new KernelBackend(ns, batch)) {
            batched.add(shot(backend, state));
            if (text.isEmpty() && nft) {
              text = backend.lastBatch();
            }
          }
          // The agent restarts: a new backend over the loaded table, the same state.
          try (var backend = new KernelBackend(ns, batch)) {
            if (restarts) {
              restart.add(shot(backend, state));
            }
            backend.cleanup();
          }
        } finally {
          run(List.of("ip", "netns", "del", ns));
        }
        System.out.printf(
            Locale.ROOT,
            "%d services run %d: first sync %s; restart %s%n",
            size,
            r + 1,
            batched.getLast(),
            restarts ? restart.getLast() : "not run");
      }
      if (nft) {
        Path file = Files.createTempFile("fsync", ".nft");
        try {
          Files.writeString(file, text, StandardCharsets.UTF_8);
          for (int r = 0; r < runs; r++) {
            String ns = "fsync-" + ProcessHandle.current().pid() + "-nft" + r;
            run(List.of("ip", "netns", "add", ns));
            try {
              long start = System.nanoTime();
              run(List.of("ip", "netns", "exec", ns, "nft", "-f", file.toString()));
              double ms = (System.nanoTime() - start) / 1e6;
              files.add(new Shot(ms, 1, ms, 0, 0, ms));
            } finally {
              run(List.of("ip", "netns", "del", ns));
            }
            System.out.printf(
                Locale.ROOT,
                "%d services nft -f run %d: %.0f ms%n",
                size,
                r + 1,
                files.getLast().totalMs());
          }
        } finally {
          Files.delete(file);
        }
      }
      rows.add(row(size, "first sync, batches of " + batch, batched));
      if (restarts) {
        rows.add(row(size, "restart, nothing changed", restart));
      }
      if (nft) {
        rows.add(row(size, "`nft -f` of the same rules (one transaction)", files));
      }
    }
    System.out.println("load after: " + uptime());
    System.out.println();
    System.out.println(
        "| services × 10 endpoints | what | total (median) | transactions | longest transaction"
            + " (median) | longest netlink batch / nft text (median) | elements written |");
    System.out.println("|---|---|---|---|---|---|---|");
    rows.forEach(System.out::println);
  }

  private static Shot shot(KernelBackend backend, DesiredState state) throws DataplaneException {
    long[] longest = new long[2]; // netlink batches, nft text
    backend.transactionListener(
        t -> {
          int k = t.what().equals("elements") ? 0 : 1;
          longest[k] = Math.max(longest[k], t.nanos());
        });
    long start = System.nanoTime();
    backend.applyFull(state);
    double ms = (System.nanoTime() - start) / 1e6;
    backend.transactionListener(null);
    KernelBackend.FullSync s = backend.lastFullSync();
    if (s == null) {
      throw new IllegalStateException("no full sync recorded");
    }
    return new Shot(
        ms,
        s.transactions(),
        s.longestTransactionNanos() / 1e6,
        s.elements(),
        longest[0] / 1e6,
        longest[1] / 1e6);
  }

  private static String row(int size, String what, List<Shot> shots) {
    return String.format(
        Locale.ROOT,
        "| %,d | %s | %.0f ms | %d | %.1f ms | %.1f / %.1f ms | %,d |",
        size,
        what,
        median(shots.stream().mapToDouble(Shot::totalMs).toArray()),
        shots.getFirst().transactions(),
        median(shots.stream().mapToDouble(Shot::longestMs).toArray()),
        median(shots.stream().mapToDouble(Shot::longestBatchMs).toArray()),
        median(shots.stream().mapToDouble(Shot::longestTextMs).toArray()),
        shots.getFirst().elements());
  }

  private static double median(double[] v) {
    double[] s = v.clone();
    Arrays.sort(s);
    return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
  }

  private static String uptime() throws IOException {
    Process p = new ProcessBuilder("uptime").redirectErrorStream(true).start();
    return new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).strip();
  }

  private static void run(List<String> cmd) throws IOException {
    KernelProgrammingBenchmark.Lab.run(cmd);
  }
}
