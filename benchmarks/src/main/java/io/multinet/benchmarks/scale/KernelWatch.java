package io.multinet.benchmarks.scale;

import static java.util.Objects.requireNonNull;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.jspecify.annotations.Nullable;

/**
 * The kernel as the node proxy process leaves it, seen from outside: {@code nft monitor} in the
 * proxy's namespace, each {@code svc4} and {@code ep4_tcp} element stamped when its line arrives.
 * The harness cannot read a proxy in another process, so a change counts as programmed when the
 * kernel announces the endpoint element holding its new address, stamped with the arrival of its
 * transaction's first line (nft ends each transaction's lines with "# new generation"). Keys are
 * {@code "ZONE VIP PORT"} (zone = network id, 0 for the default network).
 */
final class KernelWatch implements AutoCloseable {

  private static final Pattern ELEMENT =
      Pattern.compile("^(add|delete) element inet multinet (svc4|ep4_tcp) \\{ (.*) \\}\\s*$");

  /** One element of a monitor line: its map, service key, slot (-1 for svc4) and address. */
  record Event(boolean add, String map, String key, int slot, @Nullable String address) {}

  private record Change(String address, long writtenAt) {}

  private final Process monitor;
  private final Thread reader;
  // What the kernel holds as announced: service key -> endpoint slot -> backend address.
  private final Map<String, Map<Integer, String>> endpoints = new HashMap<>();
  private final Set<String> services = new HashSet<>();
  private Map<String, Set<String>> expected = Map.of();
  private final Set<String> correct = new HashSet<>();
  private long expectedAt = -1;
  private final Map<String, ArrayDeque<Change>> pending = new HashMap<>();
  private final List<Long> latencies = new ArrayList<>();
  private long events;
  private long lastEventAt;
  // When the first element line of the transaction being read arrived; -1 between transactions.
  private long transactionAt = -1;
  private final List<String> errors = new ArrayList<>();
  private boolean ready;

  private KernelWatch(Process monitor) {
    this.monitor = monitor;
    this.reader = Thread.ofPlatform().daemon().name("kernel-watch").start(this::read);
  }

  /**
   * Starts {@code nft monitor} in {@code netns} and waits until it listens (it answers a probe
   * table's creation), so that nothing the proxy programs afterwards is missed.
   */
  static KernelWatch start(String netns) throws IOException, InterruptedException {
    requireNonNull(netns, "netns");
    Process p =
        new ProcessBuilder("ip", "netns", "exec", netns, "nft", "monitor")
            .redirectErrorStream(true)
            .start();
    var w = new KernelWatch(p);
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (!w.isReady()) {
      // The monitor subscribes a moment after it starts: probe until it reports a probe table.
      run("ip", "netns", "exec", netns, "nft", "add table inet multinet_watch_probe");
      run("ip", "netns", "exec", netns, "nft", "delete table inet multinet_watch_probe");
      if (System.nanoTime() > deadline) {
        w.close();
        throw new IllegalStateException("nft monitor in " + netns + ": silent after 10 s");
      }
      TimeUnit.MILLISECONDS.sleep(50);
    }
    return w;
  }

  private static void run(String... command) throws IOException, InterruptedException {
    var p = new ProcessBuilder(command).redirectErrorStream(true).start();
    String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (p.waitFor() != 0) {
      throw new IOException(String.join(" ", command) + ": exit " + p.exitValue() + ": " + out);
    }
  }

  private synchronized boolean isReady() {
    return ready;
  }

  private void read() {
    try (var in =
        new BufferedReader(
            new InputStreamReader(monitor.getInputStream(), StandardCharsets.UTF_8))) {
      String line;
      while ((line = in.readLine()) != null) {
        long at = System.nanoTime();
        if (line.contains("multinet_watch_probe")) {
          synchronized (this) {
            ready = true;
          }
          continue;
        }
        // nft monitor reports lost events (a full socket buffer) and errors as other lines.
        if (line.contains("ERROR") || line.contains("rror:") || line.contains("lost")) {
          synchronized (this) {
            errors.add(line);
          }
          System.err.println("KERNEL WATCH: " + line);
          continue;
        }
        if (line.startsWith("# new generation")) {
          synchronized (this) {
            transactionAt = -1;
          }
          continue;
        }
        List<Event> parsed = parse(line);
        if (!parsed.isEmpty()) {
          synchronized (this) {
            // A transaction's elements appear at its commit, all at once, but nft prints them one
            // by one (a full load's 100k lines take it seconds): each is stamped with the arrival
            // of the transaction's first line, which is the commit plus the pipe's delay.
            if (transactionAt < 0) {
              transactionAt = at;
            }
            long stamp = transactionAt;
            parsed.forEach(e -> apply(e, stamp));
            lastEventAt = at;
            notifyAll();
          }
        }
      }
    } catch (IOException e) {
      synchronized (this) {
        errors.add("reading nft monitor: " + e);
      }
    }
  }

  /** The elements of one {@code nft monitor} line of the svc4 or ep4_tcp map; else none. */
  static List<Event> parse(String line) {
    Matcher m = ELEMENT.matcher(line);
    if (!m.matches()) {
      return List.of();
    }
    boolean add = m.group(1).equals("add");
    String map = m.group(2);
    var out = new ArrayList<Event>();
    for (String element : m.group(3).split(", ", -1)) {
      // svc4: "Z . VIP . tcp . PORT : goto CHAIN"; ep4_tcp: "Z . VIP . PORT . SLOT : ADDR . PORT"
      int colon = element.indexOf(" : ");
      String[] key = (colon < 0 ? element : element.substring(0, colon)).split(" \\. ", -1);
      if (map.equals("svc4") && key.length == 4) {
        out.add(new Event(add, map, key[0] + " " + key[1] + " " + key[3], -1, null));
      } else if (map.equals("ep4_tcp") && key.length == 4 && colon >= 0) {
        String data = element.substring(colon + 3);
        int dot = data.indexOf(" . ");
        out.add(
            new Event(
                add,
                map,
                key[0] + " " + key[1] + " " + key[2],
                Integer.parseInt(key[3]),
                dot < 0 ? data : data.substring(0, dot)));
      }
    }
    return out;
  }

  private void apply(Event e, long at) {
    events++;
    String key = e.key();
    if (e.map().equals("svc4")) {
      if (e.add()) {
        services.add(key);
      } else {
        services.remove(key);
      }
    } else {
      Map<Integer, String> slots = endpoints.computeIfAbsent(key, k -> new HashMap<>());
      if (e.add()) {
        slots.put(e.slot(), requireNonNull(e.address(), "address"));
        ArrayDeque<Change> waiting = pending.get(key);
        if (waiting != null) {
          // Every change of this service still waiting for this address is programmed now.
          waiting.removeIf(
              c -> {
                if (c.address().equals(e.address())) {
                  latencies.add(at - c.writtenAt());
                  return true;
                }
                return false;
              });
          if (waiting.isEmpty()) {
            pending.remove(key);
          }
        }
      } else {
        slots.remove(e.slot());
        if (slots.isEmpty()) {
          endpoints.remove(key);
        }
      }
    }
    Set<String> want = expected.get(key);
    if (want != null) {
      if (want.equals(addresses(key))) {
        correct.add(key);
      } else {
        correct.remove(key);
      }
      if (expectedAt < 0 && correct.size() == expected.size()) {
        expectedAt = at;
      }
    }
  }

  /** The distinct addresses the kernel serves for {@code key}, empty without its svc4 element. */
  private Set<String> addresses(String key) {
    Map<Integer, String> slots = endpoints.get(key);
    if (!services.contains(key) || slots == null) {
      return Set.of();
    }
    return new HashSet<>(slots.values());
  }

  /** From now on, tracks when the kernel first holds exactly {@code state} (key -> addresses). */
  synchronized void expect(Map<String, Set<String>> state) {
    expected = Map.copyOf(state);
    correct.clear();
    expectedAt = -1;
    for (String key : expected.keySet()) {
      if (expected.get(key).equals(addresses(key))) {
        correct.add(key);
      }
    }
  }

  /**
   * Waits until the kernel holds the state given to {@link #expect}; returns the nanoTime of the
   * line that completed it.
   */
  synchronized long awaitExpected(Duration max) throws InterruptedException {
    long deadline = System.nanoTime() + max.toNanos();
    while (expectedAt < 0) {
      long left = deadline - System.nanoTime();
      if (left <= 0) {
        throw new IllegalStateException(
            "kernel: "
                + correct.size()
                + " of "
                + expected.size()
                + " services programmed after "
                + max
                + (errors.isEmpty() ? "" : "; nft monitor: " + errors.getFirst()));
      }
      TimeUnit.NANOSECONDS.timedWait(this, Math.min(left, TimeUnit.MILLISECONDS.toNanos(100)));
    }
    return expectedAt;
  }

  /** A change written at {@code writtenAt}: {@code key} is to serve {@code address}. */
  synchronized void changeWritten(String key, String address, long writtenAt) {
    pending.computeIfAbsent(key, k -> new ArrayDeque<>()).add(new Change(address, writtenAt));
  }

  /** A change the API server refused: it will never show. */
  synchronized void changeRefused(String key, String address) {
    ArrayDeque<Change> waiting = pending.get(key);
    if (waiting != null) {
      waiting.removeIf(c -> c.address().equals(address));
    }
  }

  /** The write-to-kernel latencies measured since the last call, and forgets them. */
  synchronized long[] takeLatencies() {
    long[] out = latencies.stream().mapToLong(Long::longValue).toArray();
    latencies.clear();
    return out;
  }

  /** Changes written and not (yet) seen, and forgets them: superseded ones never show. */
  synchronized int takePending() {
    int n = pending.values().stream().mapToInt(ArrayDeque::size).sum();
    pending.clear();
    return n;
  }

  synchronized int pendingCount() {
    return pending.values().stream().mapToInt(ArrayDeque::size).sum();
  }

  /** Waits until no element line arrived for {@code quiet} (or {@code max} passed). */
  void awaitQuiet(Duration quiet, Duration max) throws InterruptedException {
    long deadline = System.nanoTime() + max.toNanos();
    while (System.nanoTime() < deadline) {
      long last;
      synchronized (this) {
        last = lastEventAt;
      }
      if (System.nanoTime() - last > quiet.toNanos()) {
        return;
      }
      TimeUnit.MILLISECONDS.sleep(20);
    }
  }

  /** What the announced elements add up to: key -> distinct addresses, for keys with svc4. */
  synchronized Map<String, Set<String>> state() {
    var out = new TreeMap<String, Set<String>>();
    for (String key : services) {
      out.put(key, addresses(key));
    }
    return out;
  }

  /** When the kernel first held the state last given to {@link #expect}; -1 if not yet. */
  synchronized long expectedAt() {
    return expectedAt;
  }

  synchronized long events() {
    return events;
  }

  synchronized long lastEventAt() {
    return lastEventAt;
  }

  /** Lines of nft monitor saying it lost events or failed: the watch is then incomplete. */
  synchronized List<String> errors() {
    return List.copyOf(errors);
  }

  @Override
  public void close() {
    monitor.destroy();
    try {
      if (!monitor.waitFor(5, TimeUnit.SECONDS)) {
        monitor.destroyForcibly().waitFor();
      }
      reader.join(5_000);
    } catch (InterruptedException e) {
      monitor.destroyForcibly();
      Thread.currentThread().interrupt();
    }
  }
}
