#!/usr/bin/env bash
# Cross-builds the package for arm64 into .arm64/pkg, leaving the host's build/ and dist/ alone:
# every binding.gyp target (the addon, the hwcap-exec launcher and the hwcap-probe executable)
# with the aarch64 cross toolchain, the TypeScript compiled on the host (it is arch-neutral), and
# the C test probe of test/arm64. Inside qemu, require('<root>/.arm64/pkg') loads the arm64 build.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
work=${HWCAP_ARM64_DIR:-$root/.arm64}
pkg=$work/pkg
cross=${HWCAP_ARM64_CROSS:-aarch64-linux-gnu-}

log() { printf 'arm64: %s\n' "$*" >&2; }

# Node's headers: node-gyp's nodedir from the npm config when it has them, else /usr/include/node,
# else libnode-dev from the arm64 sysroot. Only the N-API headers are used, and they are the same
# on every architecture.
nodedir=${npm_config_nodedir:-}
if [ -z "$nodedir" ] || [ ! -f "$nodedir/include/node/node_api.h" ]; then
  for d in /usr "$work/sysroot/usr"; do
    if [ -f "$d/include/node/node_api.h" ]; then nodedir=$d; break; fi
  done
fi
[ -n "$nodedir" ] && [ -f "$nodedir/include/node/node_api.h" ] || {
  log "no Node headers found (looked in \$npm_config_nodedir, /usr/include/node, $work/sysroot/usr/include/node)"
  exit 1
}

cd "$root"
log "compiling the TypeScript (host)"
node_modules/.bin/tsc -b tsconfig.build.json

mkdir -p "$pkg"
rm -rf "$pkg/dist" "$pkg/native"
cp package.json binding.gyp "$pkg/"
cp -r native dist "$pkg/"
# binding.gyp generates the launcher's security table from the JSON, and links the launcher, with these scripts.
rm -rf "$pkg/scripts" "$pkg/lib"
mkdir -p "$pkg/scripts" "$pkg/lib/core/tables"
cp scripts/gen-security-header.js scripts/build-launcher.sh "$pkg/scripts/"
cp lib/core/tables/security.json "$pkg/lib/core/tables/"
# node_modules is found by walking up from .arm64/pkg to the worktree's own.

log "cross-building the binding.gyp targets for arm64 (${cross}gcc, headers from $nodedir)"
(
  cd "$pkg"
  export CC=${cross}gcc CXX=${cross}g++ LINK=${cross}g++ AR=${cross}ar
  # The static launcher (scripts/build-launcher.sh) with the cross compiler and its static glibc:
  # the host's musl-gcc builds for the host.
  export HWCAP_LAUNCHER_CC=${cross}gcc
  "$root/node_modules/.bin/node-gyp" rebuild --arch=arm64 --nodedir="$nodedir" --loglevel=warn -j 2 >"$work/node-gyp.log" 2>&1 \
    || { cat "$work/node-gyp.log" >&2; exit 1; }
)

log "cross-compiling test/arm64/auxv-probe.c"
mkdir -p "$pkg/test"
"${cross}gcc" -O2 -Wall -Wextra -o "$pkg/test/auxv-probe" test/arm64/auxv-probe.c

for f in "$pkg"/build/Release/*; do
  [ -f "$f" ] && [ -x "$f" ] || [[ $f == *.node ]] || continue
  printf 'arm64:   %s: %s\n' "${f#"$root"/}" "$(file -b "$f" | cut -d, -f1-2)" >&2
done
