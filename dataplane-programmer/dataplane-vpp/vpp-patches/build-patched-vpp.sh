#!/usr/bin/env bash
# Build VPP (FDio/vpp b575ec2c56d, the revision of ../shared/vpp's runtime) with the patches beside
# this script applied, and pack it as a runtime that vpp.sh runs.
#
# usage: build-patched-vpp.sh OUT_DIR
#   OUT_DIR gets src/ (the patched sources and the build), vpp/ (the install prefix),
#   vpp-runtime.tar.gz and a copy of vpp.sh beside it: OUT_DIR/vpp.sh start RUNDIR starts the patched
#   VPP (VppVrfTrafficTest finds it with MULTINET_VPP_PATCHED=OUT_DIR/vpp.sh).
# env:
#   VPP_GIT_DIR  a clone (bare or not) of FDio/vpp that has b575ec2c56d; without it, a bare clone of
#                https://github.com/FDio/vpp is made in OUT_DIR/vpp.git
#   SHARED_VPP   the directory with build-vpp.sh, make-runtime-tarball.sh and vpp.sh
#                (default: shared/vpp beside the repository's parent, i.e. ../shared/vpp)
#   SKIP_APT=1, JOBS=N   passed to build-vpp.sh (which installs the Debian build dependencies)
# About 25 minutes on 2 cores; run it under nice on a shared machine.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
repo=$(cd "$here/../../.." && pwd)
out=${1:?usage: build-patched-vpp.sh OUT_DIR}
mkdir -p "$out"
out=$(cd "$out" && pwd)
shared=${SHARED_VPP:-$(cd "$repo/.." && pwd)/shared/vpp}
rev=b575ec2c56d
for f in build-vpp.sh make-runtime-tarball.sh vpp.sh; do
  [ -x "$shared/$f" ] || { echo "build-patched-vpp.sh: no $shared/$f (set SHARED_VPP)" >&2; exit 2; }
done

git_dir=${VPP_GIT_DIR:-}
if [ -z "$git_dir" ]; then
  git_dir=$out/vpp.git
  [ -d "$git_dir" ] || git clone --bare https://github.com/FDio/vpp "$git_dir"
fi
if [ -d "$git_dir/.git" ]; then git_dir=$git_dir/.git; fi
git --git-dir="$git_dir" cat-file -e "$rev^{commit}" ||
  { echo "build-patched-vpp.sh: $git_dir has no commit $rev" >&2; exit 2; }

# build-vpp.sh applies one patch file (patch -p1) to the extracted tree, before cmake
cat "$here"/[0-9]*.patch >"$out/patches.patch"
REV=$rev PATCH="$out/patches.patch" "$shared/build-vpp.sh" "$git_dir" "$out/vpp" "$out/src"
"$shared/make-runtime-tarball.sh" "$out/vpp" "$out/vpp-runtime.tar.gz"
# vpp.sh runs the vpp-runtime.tar.gz beside it
cp "$shared/vpp.sh" "$out/vpp.sh"
echo "patched VPP: $out/vpp.sh start RUNDIR   (MULTINET_VPP_PATCHED=$out/vpp.sh)"
