#!/usr/bin/env bash
# The scale harness (docs/benchmarks.md, "Scale harness"): as root, on a built tree.
#   benchmarks/scale.sh [--size 1k|10k|1k-3net|10k-3net] [--churn 10,100,1000] [--seconds 10] [--out DIR]
#                        [--histogram] [--aot]
# Results: DIR/scale-SIZE.md and .json (default DIR benchmarks/target/scale).
set -euo pipefail
cd "$(dirname "$0")/.."
JAVA="${JAVA:-/usr/lib/jvm/temurin-25-jdk-amd64/bin/java}"
JAR=benchmarks/target/benchmarks.jar
# The kube-proxy baselines restore the same services with iptables; install it like the kernel parts.
# shellcheck source=bin/prereqs.sh
. bin/prereqs.sh
prereq_ensure scale 0 "${PREREQ_ALL[@]}" iptables-legacy-restore iptables-nft-restore
if [[ ! -f "$JAR" ]]; then
  source bin/jdk25.sh
  ./mvnw -B -o -q package -DskipTests -pl benchmarks -am
fi
exec "$JAVA" --enable-native-access=ALL-UNNAMED -Xmx3g -cp "$JAR" \
  io.multinet.benchmarks.scale.ScaleHarness "$@"
