#!/bin/busybox sh
# /init of the x86-64 kernel guest (scripts/kernel/initramfs.sh packs it): mounts what the
# checks read, prints the kernel and CPU it runs on, runs test/kernel/guest/checks.js as root
# (every capability, CAP_SYS_RESOURCE included) and as nobody (uid/gid 65534, no capability),
# and reboots, which ends qemu (-no-reboot). The host (test/kernel/boot.mjs) keeps the console;
# test/kernel/kernel.guest.ts judges the `ok`/`FAIL` lines. hwcap_timeout=N on the kernel
# command line bounds each run (seconds, default 600). With hwcap_checks=names (and
# hwcap_model=MODEL) it runs test/kernel/guest/names.js once instead: hwcap's names against this
# CPU's /proc/cpuinfo (test/kernel/boot.mjs boots each qemu CPU model so).
/bin/busybox mkdir -p /proc /sys /dev /tmp /usr/bin /usr/sbin /sbin
/bin/busybox --install -s
export PATH=/usr/local/bin:/usr/bin:/bin:/usr/sbin:/sbin
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev 2>/dev/null
mount -t tmpfs tmp /tmp
chmod 1777 /tmp
to=${hwcap_timeout:-600}

echo "@@kernel-begin"
echo "info uname $(uname -r)"
echo "info version $(cat /proc/version)"
echo "info cpu $(grep -m1 '^model name' /proc/cpuinfo | cut -d: -f2-)"
echo "info cpuid-fault $(grep -qw cpuid_fault /proc/cpuinfo && echo yes || echo no)"
echo "info node $(node --version)"
if [ "${hwcap_checks:-}" = names ]; then
  HOME=/tmp timeout -s KILL "$to" node /hwcap-guest/names.js "${hwcap_model:-unknown}" </dev/null 2>&1
  echo "@@kernel-end names=$?"
  reboot -f
fi
t0=$(date +%s)
HOME=/tmp timeout -s KILL "$to" node /hwcap-guest/checks.js </dev/null 2>&1
rc_root=$?
t1=$(date +%s)
su -s /bin/sh nobody -c "cd /tmp && HOME=/tmp PATH=$PATH timeout -s KILL $to node /hwcap-guest/checks.js" </dev/null 2>&1
rc_nobody=$?
t2=$(date +%s)
echo "info seconds root $((t1 - t0)) nobody $((t2 - t1))"
echo "@@kernel-end root=$rc_root nobody=$rc_nobody"
reboot -f
