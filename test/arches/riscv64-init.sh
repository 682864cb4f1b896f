#!/bin/busybox sh
# /init of the riscv64 initramfs that scripts/arches/system-riscv64.sh builds (Debian's static
# busybox and this script), booted under qemu-system-riscv64 with Debian's riscv64 kernel. It
# prints what the kernel says about the CPU, one line each,
#   @@hwcap <name> <exit status> <stdout, base64 or "-">
# and powers the machine off. test/arches/riscv64-system.arches.ts judges the lines; nothing is
# judged here.
/bin/busybox mkdir -p /proc /sys /dev /sbin /usr/bin /usr/sbin
/bin/busybox --install -s
export PATH=/bin:/sbin:/usr/bin:/usr/sbin
mount -t proc proc /proc

check() {
  name=$1
  shift
  "$@" >/tmp.out 2>&1
  rc=$?
  if [ -s /tmp.out ]; then out=$(base64 -w 0 /tmp.out); else out=-; fi
  echo "@@hwcap $name $rc $out"
}

echo "@@hwcap-begin"
check uname uname -r
check cpuinfo cat /proc/cpuinfo
# The auxv of od's own process, as the kernel built it for this exec.
check auxv-od od -A n -t x8 -v /proc/self/auxv
# The kernel's boot lines about the ISA ("riscv: base ISA extensions …", "riscv: ELF capabilities …").
check dmesg-isa sh -c 'dmesg | grep "riscv: "'
echo "@@hwcap-end"
poweroff -f
