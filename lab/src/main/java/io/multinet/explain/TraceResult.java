package io.multinet.explain;

import java.util.List;

/** One {@code --trace}: a connection ({@link Trace}) or a DNS question ({@link DnsTrace}). */
public sealed interface TraceResult permits Trace.Result, DnsTrace.Result {

  /** The {@code --trace} argument as given. */
  String trace();

  /** The human-readable trace. */
  List<String> lines();
}
