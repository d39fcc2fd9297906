#!/usr/bin/env bash
# The scale harness (docs/benchmarks.md, "Scale harness"): as root, on a built tree.
#   benchmarks/scale.sh [--mode pinned|in-process] [--size 1k|10k|100k|1k-3net|10k-3net|100k-3net]
#                        [--churn 10,100,1000] [--seconds 10] [--out DIR] [--histogram] [--aot]
# --mode pinned (default): the node proxy is a `multinet-proxy run` process on CPU 1, the harness
# (API server, writers, controller) pins itself to CPU 0; --mode in-process: all in one JVM.
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
# The API server's store, the controller's caches and the watch of the kernel grow with the size:
# about 3 GiB suffice at 10k; 100k holds ten times the objects, 100k-3net a million pods.
HEAP=3g
for ((i = 1; i <= $#; i++)); do
  if [[ "${!i}" == --size ]]; then
    j=$((i + 1))
    case "${!j:-}" in
      100k) HEAP=10g ;;
      100k-3net) HEAP=16g ;;
    esac
  fi
done
exec "$JAVA" --enable-native-access=ALL-UNNAMED -Xmx"$HEAP" -cp "$JAR" \
  io.multinet.benchmarks.scale.ScaleHarness "$@"
