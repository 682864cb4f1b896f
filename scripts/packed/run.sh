#!/usr/bin/env bash
# npm run test:packed — the packed package as a user installs it: packs the package (with the
# prebuilt binaries of npm run prebuilds, which must have run), then test/packed: on x86-64 an
# install of the tarball with no build tools on PATH, and the same on arm64 under qemu-user with
# the arm64 proving ground's node (npm run test:arm64 installs it; the npm that runs there,
# npm 10, is fetched from the registry into .arm64/npm once). Prints the tarball's size and the
# install times.
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

# The npm that runs under the arm64 node (Debian's node 18 there; npm 11 needs 20).
arm64=${HWCAP_ARM64_DIR:-$root/.arm64}
if [ -x "$arm64/sysroot/usr/bin/node" ] && [ ! -f "$arm64/npm/package/bin/npm-cli.js" ]; then
  log "fetching npm 10 for the arm64 node into $arm64/npm"
  rm -rf "$arm64/npm" && mkdir -p "$arm64/npm"
  (cd "$arm64/npm" && npm pack --silent npm@10 >/dev/null && tar -xzf npm-*.tgz && rm -f npm-*.tgz)
fi

status=0
node_modules/.bin/vitest run --config test/packed/vitest.config.mts --reporter=verbose || status=$?
[ -f "$work/results.json" ] && node -e '
  const r = require(process.argv[1]);
  const x = r.x64 ?? {}, s = r["x64-source"] ?? {}, a = r.arm64 ?? {};
  const kib = (n) => n === undefined ? "?" : `${(n / 1024).toFixed(0)} KiB`;
  const sec = (n) => n === undefined ? "?" : `${n.toFixed(1)} s`;
  console.log(`packed: tarball ${kib(x.tarballBytes)} (unpacked ${kib(x.unpackedBytes)})`);
  console.log(`packed: x64 install with the prebuilt binaries ${sec(x.prebuiltInstallSeconds)}, with --build-from-source ${sec(s.sourceInstallSeconds)}` +
    (x.prebuiltInstallSeconds && s.sourceInstallSeconds ? ` (source/prebuilt ${(s.sourceInstallSeconds / x.prebuiltInstallSeconds).toFixed(1)}x)` : ""));
  if (a.prebuiltInstallSeconds !== undefined) console.log(`packed: arm64 install under qemu-user ${sec(a.prebuiltInstallSeconds)}`);
' "$work/results.json"
exit "$status"
