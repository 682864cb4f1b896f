#!/usr/bin/env bash
# npm run prebuilds — makes every prebuilt binary the packed package ships, in prebuilds/:
#
#   prebuilds/linux-x64/    hwcap.napi.glibc.node  hwcap-exec  hwcap-probe
#   prebuilds/linux-arm64/  hwcap.napi.glibc.node  hwcap-exec  hwcap-probe
#
# The addon is N-API (one file serves every Node from 20 on) and linked against glibc; no musl
# addon is shipped, since no test here loads one (a musl node builds from source). hwcap-exec and
# hwcap-probe are static, so one per arch serves either C library: the launcher on x86-64 linked
# with musl (musl-gcc, required here: its start-up reads no environment variable), on arm64 with
# the cross toolchain's static glibc; hwcap-probe likewise. All are
# stripped. Nothing is written to build/ or dist/: the x86-64 build runs in a copy of the
# package in .prebuild/x64, the arm64 one is scripts/arm64/build.sh's (.arm64/pkg), which the
# arm64 proving ground (npm run test:arm64) tests. The addon needs glibc 2.17 and libstdc++'s
# GLIBCXX_3.4.21 (GCC 5), older than any glibc that Node 20 runs on.
#
# The package's install script (scripts/install.js) takes these where they fit; a checkout
# never does (it builds from source), and prebuilds/ exists in a checkout only after this ran.
#
#   HWCAP_PREBUILD_ARCHES="x64 arm64"   which to make (default both)
#   --check   make nothing: fail unless every prebuilt binary is there and newer than the sources
#             it is built from. package.json's prepack runs this, so that `npm pack` and `npm
#             publish` never ship a package without them, or with stale ones; for npm's other
#             packs (a git dependency being installed, whose install builds from source) it
#             only warns.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"

if [ "${1:-}" = --check ]; then
  status=0
  for arch in x64 arm64; do
    for f in hwcap.napi.glibc.node hwcap-exec hwcap-probe; do
      p=prebuilds/linux-$arch/$f
      if [ ! -f "$p" ]; then
        echo "prebuild: $p is missing: run npm run prebuilds before packing" >&2; status=1
      elif newer=$(find native binding.gyp scripts/build-launcher.sh scripts/gen-security-header.js lib/core/tables/security.json -newer "$p" -type f -print -quit) && [ -n "$newer" ]; then
        echo "prebuild: $p is older than $newer: run npm run prebuilds before packing" >&2; status=1
      fi
    done
  done
  if [ "$status" != 0 ] && [ "${npm_command:-pack}" != pack ] && [ "${npm_command:-}" != publish ]; then
    echo "prebuild: packing without them (npm $npm_command): the install builds from source" >&2; status=0
  fi
  exit "$status"
fi
out=$root/prebuilds
stage=$root/.prebuild
arches=${HWCAP_PREBUILD_ARCHES:-x64 arm64}
cross=${HWCAP_ARM64_CROSS:-aarch64-linux-gnu-}

log() { printf 'prebuild: %s\n' "$*" >&2; }
now() { date +%s.%N; }

# The files binding.gyp builds from, as the packed package has them (package.json "files").
copy_sources() {
  local dst=$1
  rm -rf "$dst" && mkdir -p "$dst/scripts" "$dst/lib/core/tables"
  cp package.json binding.gyp "$dst/"
  cp -r native "$dst/"
  cp scripts/gen-security-header.js scripts/build-launcher.sh "$dst/scripts/"
  cp lib/core/tables/security.json "$dst/lib/core/tables/"
}

# hwcap-probe linked statically, as the launcher is, so that it runs under either C library
# (binding.gyp links it dynamically).
static_probe() {
  HWCAP_LAUNCHER_CC=$1 sh scripts/build-launcher.sh "$2" "$stage" native/probe/hwcap-probe.c native/common/errno_name.c
}

# Copies one arch's binaries into prebuilds/linux-<arch>, executables with mode 0755.
place() {
  local arch=$1 release=$2 strip=$3 dir=$out/linux-$1
  rm -rf "$dir" && mkdir -p "$dir"
  install -m 0644 "$release/hwcap.node" "$dir/hwcap.napi.glibc.node"
  install -m 0755 "$release/hwcap-exec" "$dir/hwcap-exec"
  install -m 0755 "$stage/hwcap-probe-$arch" "$dir/hwcap-probe"
  "$strip" --strip-unneeded "$dir"/*
  for f in "$dir"/*; do
    # The newest glibc symbol version the file needs (none for the static executables).
    local need
    need=$(objdump -T "$f" 2>/dev/null | grep -o 'GLIBC_[0-9.]*' | sort -t. -k1,1 -k2,2n -k3,3n -u | tail -n1 || true)
    log "  ${f#"$root"/}: $(stat -c %A "$f") $(stat -c %s "$f") bytes, $(file -b "$f" | cut -d, -f1-2)${need:+, needs $need}"
  done
}

mkdir -p "$stage"
for arch in $arches; do
  t0=$(now)
  case $arch in
    x64)
      command -v musl-gcc >/dev/null || { log "musl-gcc is missing (Debian: bash scripts/install-musl.sh): the x86-64 launcher is linked with musl"; exit 1; }
      copy_sources "$stage/x64"
      log "x64: node-gyp rebuild in ${stage#"$root"/}/x64"
      (
        cd "$stage/x64"
        export HWCAP_LAUNCHER_CC=musl-gcc
        "$root/node_modules/.bin/node-gyp" rebuild --loglevel=warn -j 2 ${npm_config_nodedir:+--nodedir="$npm_config_nodedir"} >"$stage/x64.log" 2>&1 \
          || { cat "$stage/x64.log" >&2; exit 1; }
      )
      static_probe musl-gcc "$stage/hwcap-probe-x64"
      place x64 "$stage/x64/build/Release" strip
      ;;
    arm64)
      # The arm64 proving ground's toolchain and sysroot (Debian's cross gcc, a private apt state).
      HWCAP_ARM64_DIR=${HWCAP_ARM64_DIR:-$root/.arm64} bash scripts/arm64/install.sh
      HWCAP_ARM64_DIR=${HWCAP_ARM64_DIR:-$root/.arm64} bash scripts/arm64/build.sh
      static_probe "${cross}gcc" "$stage/hwcap-probe-arm64"
      place arm64 "${HWCAP_ARM64_DIR:-$root/.arm64}/pkg/build/Release" "${cross}strip"
      ;;
    *) log "unknown arch $arch (x64 or arm64)"; exit 1 ;;
  esac
  log "$arch: $(awk -v a="$t0" -v b="$(now)" 'BEGIN { printf "%.0f", b - a }') s"
done
