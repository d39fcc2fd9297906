package io.multinet.app;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.PrintWriter;

/** The explain report as aligned text for a terminal. */
final class ExplainTable {

  private ExplainTable() {}

  static void print(JsonNode report, PrintWriter out) {
    String fmt = "%-10s %-28s %-18s %-12s %-24s %-8s %-10s %s%n";
    out.printf(
        fmt, "NETWORK", "SERVICE", "CLUSTER-IP", "PORT", "ENDPOINT", "IFACE", "NODE", "STATE");
    for (JsonNode n : report.path("networks")) {
      for (JsonNode s : n.path("services")) {
        String svc = s.path("namespace").asText() + "/" + s.path("name").asText();
        String ip =
            s.path("clusterIPs").isEmpty() ? "<none>" : s.path("clusterIPs").get(0).asText();
        for (JsonNode p : s.path("ports")) {
          String port = p.path("port").asText() + "/" + p.path("protocol").asText();
          if (p.path("endpoints").isEmpty()) {
            out.printf(fmt, n.path("name").asText(), svc, ip, port, "<none>", "", "", "");
          }
          for (JsonNode e : p.path("endpoints")) {
            String state =
                e.path("ready").asBoolean()
                    ? "ready"
                    : e.path("terminating").asBoolean() ? "terminating" : "not-ready";
            out.printf(
                fmt,
                n.path("name").asText(),
                svc,
                ip,
                port,
                e.path("address").asText() + ":" + e.path("port").asText(),
                e.path("interface").asText("-"),
                e.path("node").asText("-"),
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
            e.path("namespace").asText().isEmpty()
                ? e.path("name").asText()
                : e.path("namespace").asText() + "/" + e.path("name").asText();
        out.printf(
            "%-8s %-14s %-30s %-26s %s%n",
            e.path("type").asText(),
            e.path("kind").asText(),
            obj,
            e.path("reason").asText(),
            e.path("message").asText());
      }
    }
  }
}
