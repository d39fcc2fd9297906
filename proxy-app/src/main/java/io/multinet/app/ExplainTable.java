package io.multinet.app;

import java.io.PrintWriter;
import tools.jackson.databind.JsonNode;

/** The explain report as aligned text for a terminal. */
final class ExplainTable {

  private ExplainTable() {}

  static void print(JsonNode report, PrintWriter out) {
    String fmt = "%-10s %-28s %-18s %-12s %-24s %-8s %-10s %s%n";
    out.printf(
        fmt, "NETWORK", "SERVICE", "CLUSTER-IP", "PORT", "ENDPOINT", "IFACE", "NODE", "STATE");
    for (JsonNode n : report.path("networks")) {
      for (JsonNode s : n.path("services")) {
        String svc = s.path("namespace").asString() + "/" + s.path("name").asString();
        String ip =
            s.path("clusterIPs").isEmpty() ? "<none>" : s.path("clusterIPs").get(0).asString();
        for (JsonNode p : s.path("ports")) {
          String port = p.path("port").asString() + "/" + p.path("protocol").asString();
          if (p.path("endpoints").isEmpty()) {
            out.printf(fmt, n.path("name").asString(), svc, ip, port, "<none>", "", "", "");
          }
          for (JsonNode e : p.path("endpoints")) {
            String state =
                e.path("ready").asBoolean()
                    ? "ready"
                    : e.path("terminating").asBoolean() ? "terminating" : "not-ready";
            out.printf(
                fmt,
                n.path("name").asString(),
                svc,
                ip,
                port,
                e.path("address").asString() + ":" + e.path("port").asString(),
                e.path("interface").asString("-"),
                e.path("node").asString("-"),
                state);
          }
        }
      }
    }
    if (!report.path("events").isEmpty()) {
      out.println();
      out.printf("%-8s %-14s %-30s %-26s %s%n", "TYPE", "KIND", "OBJECT", "REASON", "MESSAGE");
      for (JsonNode e : report.path("events")) {
        String obj =
            e.path("namespace").asString().isEmpty()
                ? e.path("name").asString()
                : e.path("namespace").asString() + "/" + e.path("name").asString();
        out.printf(
            "%-8s %-14s %-30s %-26s %s%n",
            e.path("type").asString(),
            e.path("kind").asString(),
            obj,
            e.path("reason").asString(),
            e.path("message").asString());
      }
    }
  }
}
