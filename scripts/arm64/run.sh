#!/usr/bin/env bash
# npm run test:arm64 — the arm64 proving ground: install (host packages, arm64 sysroot), cross-build
# the package, run test/arm64 under qemu-aarch64 on every emulated CPU model, print a summary.
# A second run reuses the sysroot and the installed packages (delete .arm64/ to start over).
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
export HWCAP_ARM64_DIR=${HWCAP_ARM64_DIR:-$root/.arm64}
work=$HWCAP_ARM64_DIR
cd "$root"
mkdir -p "$work"

now() { date +%s.%N; }
t0=$(now)
scripts/arm64/install.sh
t1=$(now)
scripts/arm64/build.sh
t2=$(now)
rm -f "$work/vitest.json" "$work/results.json"
status=0
node_modules/.bin/vitest run --config test/arm64/vitest.config.mts --reporter=verbose \
  --reporter=json --outputFile.json="$work/vitest.json" || status=$?
t3=$(now)

HWCAP_ARM64_TIMES="$t0 $t1 $t2 $t3" node scripts/arm64/summary.mjs "$work" || status=$?
exit "$status"
