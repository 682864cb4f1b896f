#!/usr/bin/env bash
# npm run test:packed — the packed package as a user installs it: packs the package (with the
# prebuilt binaries of npm run prebuilds, which must have run), then test/packed: on x86-64 an
# install of the tarball with no build tools on PATH, and the same on arm64 under qemu-user with
# Debian trixie's arm64 node 20 (scripts/arm64/node.sh unpacks it into .arm64/trixie once) running
# this machine's npm. Prints the tarball's size and the install times. Arguments go to vitest
# (a file, say: npm run test:packed -- test/packed/x64.packed.ts).
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
export HWCAP_PACKED_DIR=${HWCAP_PACKED_DIR:-$root/.prebuild/packed}
work=$HWCAP_PACKED_DIR
log() { printf 'packed: %s\n' "$*" >&2; }

for arch in x64 arm64; do
  for f in hwcap.napi.glibc.node hwcap-exec hwcap-probe; do
    [ -f "prebuilds/linux-$arch/$f" ] || { log "prebuilds/linux-$arch/$f is missing: run npm run prebuilds first"; exit 1; }
  done
done

rm -rf "$work" && mkdir -p "$work"
log "npm pack"
npm pack --json --pack-destination "$work" > "$work/pack.json" 2> "$work/pack.log" || { cat "$work/pack.log" >&2; exit 1; }

# The arm64 node the arm64 install runs on (test/packed/arm64.packed.ts fails without it).
status=0
HWCAP_ARM64_DIR=${HWCAP_ARM64_DIR:-$root/.arm64} bash scripts/arm64/node.sh || { log "scripts/arm64/node.sh failed: no arm64 node for the arm64 install"; status=1; }

node_modules/.bin/vitest run --config test/packed/vitest.config.mts --reporter=verbose "$@" || status=$?
[ -f "$work/results.json" ] && node -e '
  const r = require(process.argv[1]);
  const x = r.x64 ?? {}, s = r["x64-source"] ?? {}, a = r.arm64 ?? {};
  const kib = (n) => n === undefined ? "?" : `${(n / 1024).toFixed(0)} KiB`;
  const sec = (n) => n === undefined ? "?" : `${n.toFixed(1)} s`;
  if (x.tarballBytes !== undefined) console.log(`packed: tarball ${kib(x.tarballBytes)} (unpacked ${kib(x.unpackedBytes)})`);
  if (x.prebuiltInstallSeconds !== undefined || s.sourceInstallSeconds !== undefined)
    console.log(`packed: x64 install with the prebuilt binaries ${sec(x.prebuiltInstallSeconds)}, with --build-from-source ${sec(s.sourceInstallSeconds)}` +
      (x.prebuiltInstallSeconds && s.sourceInstallSeconds ? ` (source/prebuilt ${(s.sourceInstallSeconds / x.prebuiltInstallSeconds).toFixed(1)}x)` : ""));
  if (a.prebuiltInstallSeconds !== undefined) console.log(`packed: arm64 install under qemu-user ${sec(a.prebuiltInstallSeconds)} (${a.node})`);
' "$work/results.json"
exit "$status"
