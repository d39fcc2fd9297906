#!/usr/bin/env bash
# The DNS harness (docs/benchmarks.md, "DNS"): as root, on a built tree, from any directory.
#   benchmarks/dns.sh [--services 10000] [--endpoints 10] [--seconds 10] [--clients 8]
#                     [--creation 10,100] [--creation-seconds 10] [--min-sync-period PT0.01S]
#                     [--out DIR]
# Results: DIR/dns.md and .json (default DIR benchmarks/target/dns).
set -euo pipefail
cd "$(dirname "$0")/.."
JAVA="${JAVA:-/usr/lib/jvm/temurin-25-jdk-amd64/bin/java}"
JAR=benchmarks/target/benchmarks.jar
# The kernel dataplane's parts, the load generator, the baseline server and dig.
# shellcheck source=bin/prereqs.sh
. bin/prereqs.sh
prereq_ensure dns 0 "${PREREQ_ALL[@]}" dnsperf unbound
# dig checks that both servers give the same answers; its package is named differently.
if ! prereq_find_command dig >/dev/null; then
  echo "dns: installing bind9-dnsutils with apt-get (missing: dig)" >&2
  prereq_apt_install bind9-dnsutils >/dev/null
fi
if [[ ! -f "$JAR" ]]; then
  source bin/jdk25.sh
  ./mvnw -B -o -q package -DskipTests -pl benchmarks -am
fi
exec "$JAVA" --enable-native-access=ALL-UNNAMED -Xmx3g -cp "$JAR" \
  io.multinet.benchmarks.scale.DnsHarness "$@"
