#!/usr/bin/env bash
# npm run test:kernel: hwcap's kernel mode, probeInheritance() and the privileged auxv writes on a
# kernel that inherits HWCAPs (scripts/kernel/hwcap-inherit.patch), under qemu-system-x86_64.
#   1. install.sh     host packages (qemu-system-x86, the kernel's build tools), when missing;
#   2. build.sh       download, unpack, patch, configure and build the kernel (cached, see there);
#   3. initramfs.sh   node, the built package, the guest checks, busybox;
#   4. test/kernel/boot.mjs  boots it (TCG unless HWCAP_KERNEL_ACCEL says otherwise);
#   5. vitest --config test/kernel/vitest.config.mts  judges the console, line by line.
# Then scripts/kernel/summary.mjs prints the step timings and the checks (also to
# .kernel/summary.md). Needs the package built first (npm ci). Exit status: vitest's.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
export HWCAP_KERNEL_DIR=${HWCAP_KERNEL_DIR:-$root/.kernel}
work=$HWCAP_KERNEL_DIR
cd "$root"
mkdir -p "$work/timings" "$work/guest"
rm -f "$work/guest/result.json" "$work/guest/console.log" "$work"/timings/*
now() { date +%s.%N; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f\n", b - a }'; }

t0=$(now)
bash scripts/kernel/install.sh
t1=$(now); secs "$t0" "$t1" > "$work/timings/install"
bzimage=$(bash scripts/kernel/build.sh)
t2=$(now)
bash scripts/kernel/initramfs.sh "$(dirname "$bzimage")/config"
t3=$(now); secs "$t2" "$t3" > "$work/timings/initramfs"
node test/kernel/boot.mjs "$bzimage" || true
t4=$(now); secs "$t3" "$t4" > "$work/timings/boot"
status=0
node_modules/.bin/vitest run --config test/kernel/vitest.config.mts --reporter=verbose || status=$?
t5=$(now); secs "$t0" "$t5" > "$work/timings/total"
node scripts/kernel/summary.mjs || status=$?
exit "$status"
