#!/usr/bin/env bash
# npm run test:arches — the ppc64le, s390x and riscv64 tables against outside oracles: install
# (qemu-user on the host; Debian's glibc for each architecture in .arches/<arch>/sysroot,
# scripts/arches/install.sh), then the riscv64 kernel part's qemu-system-riscv64, Debian 13's
# riscv64 kernel and initramfs (scripts/arches/system-riscv64.sh), then test/arches under its own
# vitest config (glibc's LD_SHOW_AUXV=1 names and compiled name tables for ppc64le and s390x, the
# CPU models' extensions for riscv64 under qemu-user, and the kernel's /proc/cpuinfo isa line on
# riscv64 under qemu-system), then a summary with the `N passed, N failed` line.
# A second run reuses the sysroots and the kernel (delete .arches/ to start over).
# HWCAP_ARCHES_RECORD=1 rewrites test/fixtures/arches/oracles.json from what the qemu-user run saw.
# HWCAP_ARCHES_RISCV64_SYSTEM=0 leaves the kernel part out (its unavailable.txt says so).
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
export HWCAP_ARCHES_DIR=${HWCAP_ARCHES_DIR:-$root/.arches}
work=$HWCAP_ARCHES_DIR
cd "$root"
mkdir -p "$work"

now() { date +%s.%N; }
t0=$(now)
scripts/arches/install.sh
t1=$(now)
if [ "${HWCAP_ARCHES_RISCV64_SYSTEM:-1}" = 0 ]; then
  mkdir -p "$work/riscv64-system"
  echo "left out (HWCAP_ARCHES_RISCV64_SYSTEM=0)" > "$work/riscv64-system/unavailable.txt"
else
  scripts/arches/system-riscv64.sh
fi
t2=$(now)
rm -f "$work/vitest.json" "$work/observed.json" "$work/riscv64-system/observed.json"
status=0
node_modules/.bin/vitest run --config test/arches/vitest.config.mts --reporter=verbose \
  --reporter=json --outputFile.json="$work/vitest.json" || status=$?
t3=$(now)

HWCAP_ARM64_TIMES="$t0 $t1 $t2 $t3" node scripts/arches/summary.mjs "$work" || status=$?
exit "$status"
