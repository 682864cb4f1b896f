#!/bin/busybox sh
# /init of the arm64 system-emulation initramfs (scripts/arm64/system.sh builds it): busybox, the
# statically linked launcher (hwcap-exec) and probe (hwcap-probe), and this script. It runs every
# check once under a real arm64 Linux kernel, prints one result line per check on the console,
#   @@hwcap <check> <exit status> <stdout> <stderr> <launcher status fd>   (each base64, "-" if empty)
# and powers the machine off. The host (test/arm64/system/boot.mjs) parses the lines; the tests
# (test/arm64/system/qemu-system.system.ts) judge them. Nothing is judged here.
#
# The words to keep come from the kernel command line (hwcap_keep=W,W2: unknown parameters with
# a value reach init's environment).
/bin/busybox mkdir -p /proc /sys /dev /tmp /usr/bin /usr/sbin /sbin
/bin/busybox --install -s
export PATH=/bin:/sbin:/usr/bin:/usr/sbin
mount -t proc proc /proc
mount -t sysfs sys /sys
mount -t devtmpfs dev /dev 2>/dev/null
mount -t tmpfs tmp /tmp
chmod 1777 /tmp

keep=${hwcap_keep:-0x873,0x0}
k1=${keep%%,*}
k2=${keep#*,}
to=${hwcap_timeout:-120}

b64() { if [ -s "$1" ]; then base64 -w 0 "$1"; else printf -- -; fi; }

# check NAME COMMAND...: runs COMMAND with fd 3 open on a status file, bounded by a timeout.
check() {
  name=$1
  shift
  rm -f /tmp/out /tmp/err /tmp/status
  timeout -s KILL "$to" "$@" >/tmp/out 2>/tmp/err 3>/tmp/status </dev/null
  rc=$?
  echo "@@hwcap $name $rc $(b64 /tmp/out) $(b64 /tmp/err) $(b64 /tmp/status)"
}

launch="hwcap-exec --hwcap $k1 --hwcap2 $k2 --allow-security-masking --status-fd 3"

echo "@@hwcap-begin"
check uname uname -r
check cpuinfo cat /proc/cpuinfo
check auxv-od od -A n -t x8 -v /proc/self/auxv
check yama cat /proc/sys/kernel/yama/ptrace_scope
check probe hwcap-probe
check ptrace $launch --mode ptrace -- hwcap-probe
check ptrace-follow $launch --mode ptrace -- /bin/sh -c 'hwcap-probe; true'
check ptrace-no-follow $launch --mode ptrace --no-follow -- /bin/sh -c 'hwcap-probe; true'
check ptrace-security hwcap-exec --hwcap "$k1" --hwcap2 "$k2" --status-fd 3 --mode ptrace -- hwcap-probe
check kernel $launch --mode kernel -- hwcap-probe
check auto $launch --mode auto -- hwcap-probe
# As uid/gid 65534 (nobody in the initramfs's /etc/passwd), which has no capabilities.
check nobody-id su -s /bin/sh nobody -c 'id -u'
check nobody-probe su -s /bin/sh nobody -c hwcap-probe
check nobody-ptrace su -s /bin/sh nobody -c "$launch --mode ptrace -- hwcap-probe"
check nobody-kernel su -s /bin/sh nobody -c "$launch --mode kernel -- hwcap-probe"
# Yama's relational mode (Ubuntu's default): only an ancestor may attach, and the launcher's helper
# is the target's descendant, so the target names it with PR_SET_PTRACER before the seize.
if [ -w /proc/sys/kernel/yama/ptrace_scope ]; then
  old=$(cat /proc/sys/kernel/yama/ptrace_scope)
  echo 1 > /proc/sys/kernel/yama/ptrace_scope
  check nobody-ptrace-yama1 su -s /bin/sh nobody -c "$launch --mode ptrace -- hwcap-probe"
  echo "$old" > /proc/sys/kernel/yama/ptrace_scope
fi
echo "@@hwcap-end"
poweroff -f
