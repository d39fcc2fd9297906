package io.multinet.benchmarks.scale;

import java.lang.management.ManagementFactory;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import javax.management.ObjectName;

/**
 * Live-object class histograms of this JVM (the {@code GC.class_histogram} diagnostic command, a
 * full GC first), and what grew between two of them: the harness runs API server, controller and
 * node proxy in one JVM, so the difference across the proxy's start is what the proxy holds.
 */
final class HeapHistogram {

  private record Row(long instances, long bytes) {}

  private static final java.util.regex.Pattern WHITESPACE = java.util.regex.Pattern.compile("\\s+");
  private final Map<String, Row> rows;

  private HeapHistogram(Map<String, Row> rows) {
    this.rows = rows;
  }

  static HeapHistogram now() throws Exception {
    String text =
        (String)
            ManagementFactory.getPlatformMBeanServer()
                .invoke(
                    new ObjectName("com.sun.management:type=DiagnosticCommand"),
                    "gcClassHistogram",
                    new Object[] {new String[0]},
                    new String[] {String[].class.getName()});
    Map<String, Row> rows = new HashMap<>();
    for (String line : text.lines().toList()) {
      // "   1:        123456       7890123  java.lang.String (java.base@25)"
      String[] f = WHITESPACE.split(line.trim(), -1);
      if (f.length >= 4 && f[0].endsWith(":")) {
        rows.put(f[3], new Row(Long.parseLong(f[1]), Long.parseLong(f[2])));
      }
    }
    return new HeapHistogram(rows);
  }

  /** Bytes of every live object counted. */
  long totalBytes() {
    long total = 0;
    for (Row r : rows.values()) {
      total += r.bytes;
    }
    return total;
  }

  /** The {@code top} classes that grew most from {@code before} to this, as Markdown rows. */
  List<String> growthSince(HeapHistogram before, int top) {
    List<Map.Entry<String, Row>> grown = new ArrayList<>();
    rows.forEach(
        (cls, r) -> {
          Row b = before.rows.getOrDefault(cls, new Row(0, 0));
          grown.add(Map.entry(cls, new Row(r.instances - b.instances, r.bytes - b.bytes)));
        });
    grown.sort((a, b) -> Long.compare(b.getValue().bytes, a.getValue().bytes));
    List<String> out = new ArrayList<>();
    long total = 0;
    for (var e : grown) {
      total += e.getValue().bytes;
    }
    out.add(String.format(Locale.ROOT, "| all classes | | %.1f MiB |", total / 1048576.0));
    for (var e : grown.subList(0, Math.min(top, grown.size()))) {
      out.add(
          String.format(
              Locale.ROOT,
              "| `%s` | %,d | %.1f MiB |",
              e.getKey(),
              e.getValue().instances,
              e.getValue().bytes / 1048576.0));
    }
    return out;
  }
}
