#!/usr/bin/env bash
# Installs and builds what the riscv64 kernel part of npm run test:arches boots: Debian's riscv64
# kernel under qemu-system-riscv64, whose /proc/cpuinfo `isa` line names the extensions that
# hwcap's riscv64 table must decode AT_HWCAP to (test/arches/riscv64-system.arches.ts boots it).
# Called by scripts/arches/run.sh after install.sh; runs alone too.
#   install  qemu-system-misc on the host (apt-get, no recommends; its qemu-system-data carries
#            the OpenSBI firmware that `-bios default` loads); Debian 13's riscv64 kernel
#            (linux-image-riscv64's versioned linux-image-*-riscv64) and busybox-static, fetched
#            with apt-get download through a private apt state listing trixie for riscv64
#            (.arches/riscv64-system/apt, scripts/lib/apt-private.sh; Debian 12 has no riscv64
#            port). Only the kernel Image and its config are unpacked: no modules are needed.
#   build    a gzip'd cpio initramfs: busybox and test/arches/riscv64-init.sh as /init.
# Cached in .arches/riscv64-system (Image, config, busybox); a second run only rebuilds the
# initramfs. HWCAP_ARCHES_RISCV64_SUITE names another suite than trixie. When something cannot be
# had, the reason goes to .arches/riscv64-system/unavailable.txt: the tests skip saying so, and
# .ci/run fails unless .ci/unavailable excuses it.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
arches=${HWCAP_ARCHES_DIR:-$root/.arches}
dir=$arches/riscv64-system
# The private apt state lives in $work/apt (scripts/lib/apt-private.sh).
work=$dir
apt_archs=(riscv64)
apt_suite=${HWCAP_ARCHES_RISCV64_SUITE:-trixie}
# shellcheck source=scripts/lib/apt-private.sh
. "$root/scripts/lib/apt-private.sh"
cd "$root"
mkdir -p "$dir"
rm -f "$dir/unavailable.txt"

log() { printf 'riscv64 system: %s\n' "$*" >&2; }
unavailable() {
  log "$*"
  printf '%s\n' "$*" > "$dir/unavailable.txt"
}

install_qemu() {
  if command -v "${HWCAP_QEMU_SYSTEM_RISCV64:-qemu-system-riscv64}" >/dev/null; then return 0; fi
  log "installing qemu-system-misc"
  # scripts/lib/apt-install.sh: the one way the scripts install Debian packages (root or sudo,
  # one lock for scripts run side by side).
  (. "$root/scripts/lib/apt-install.sh" && apt_install qemu-system-misc) >/dev/null \
    || { unavailable "qemu-system-riscv64 is missing and apt-get install qemu-system-misc failed (needs root or sudo)"; return 1; }
}

install_guest() {
  local stamp=$dir/kernel.txt
  if [ -f "$stamp" ] && [ -f "$dir/Image" ] && [ -x "$dir/busybox" ] && [ "$(cat "$dir/suite" 2>/dev/null)" = "$apt_suite" ]; then
    log "kernel and busybox present: $(paste -sd' ' "$stamp")"
    return 0
  fi
  apt_state_init || { unavailable "no Debian mirror in the host's apt sources for the private $apt_suite state"; return 1; }
  log "updating the $apt_suite riscv64 package lists (private apt state in $apt_root)"
  apt_update || { unavailable "apt-get update of the $apt_suite riscv64 package lists failed"; return 1; }
  local image
  image=$(apt-cache "${apt_opts[@]}" depends linux-image-riscv64 2>/dev/null | awk '/Depends: linux-image-/ { print $2; exit }')
  [ -n "$image" ] || { unavailable "no linux-image-riscv64 in $apt_suite's riscv64 package lists"; return 1; }
  log "fetching $image and busybox-static for riscv64 ($apt_suite)"
  rm -f "$apt_root"/debs/*.deb
  ( cd "$apt_root/debs" && apt-get "${apt_opts[@]}" download -qq "$image:riscv64" busybox-static:riscv64 ) >/dev/null 2>"$dir/download.err" \
    || { unavailable "apt-get download $image busybox-static:riscv64 failed: $(tail -n 1 "$dir/download.err")"; return 1; }
  local x=$dir/unpack img
  rm -rf "$x" && mkdir -p "$x"
  dpkg-deb --fsys-tarfile "$apt_root"/debs/linux-image-*.deb | tar -x -C "$x" --wildcards './boot/*'
  dpkg -x "$apt_root"/debs/busybox-static_*.deb "$x"
  # Debian's riscv64 package ships the Image (an EFI stub, which -kernel boots) as /boot/vmlinux-*.
  img=$(ls "$x"/boot/vmlinu[xz]-* 2>/dev/null | head -n1)
  [ -n "$img" ] || { unavailable "$image has no /boot/vmlinux-* or /boot/vmlinuz-*"; return 1; }
  if gzip -t "$img" 2>/dev/null; then gzip -dc "$img" > "$dir/Image"; else cp "$img" "$dir/Image"; fi
  cp "$x"/boot/config-* "$dir/config"
  cp "$x"/usr/bin/busybox "$dir/busybox" 2>/dev/null || cp "$x"/bin/busybox "$dir/busybox"
  # The virt machine's 16550 console, the initramfs, and V (without RISCV_ISA_V the kernel leaves
  # v out of the isa line and of AT_HWCAP).
  for opt in CONFIG_SERIAL_8250_CONSOLE CONFIG_SERIAL_OF_PLATFORM CONFIG_BLK_DEV_INITRD CONFIG_RD_GZIP CONFIG_RISCV_ISA_V; do
    grep -qx "$opt=y" "$dir/config" || { unavailable "$image is built without $opt=y"; return 1; }
  done
  {
    dpkg-deb --show --showformat='${Package}:${Architecture} ${Version}\n' "$apt_root"/debs/linux-image-*.deb
    dpkg-deb --show --showformat='${Package}:${Architecture} ${Version}\n' "$apt_root"/debs/busybox-static_*.deb
  } > "$stamp"
  printf '%s\n' "$apt_suite" > "$dir/suite"
  rm -rf "$x" "$apt_root"/debs/*.deb "$dir/download.err"
  log "kernel ready: $(paste -sd' ' "$stamp")"
}

build_initramfs() {
  local r=$dir/root
  rm -rf "$r" && mkdir -p "$r"/{bin,proc,sys,dev}
  cp "$dir/busybox" "$r/bin/busybox"
  ln -s busybox "$r/bin/sh"
  install -m 0755 test/arches/riscv64-init.sh "$r/init"
  node scripts/arm64/system/cpio.mjs "$r" "$dir/initramfs.cpio.gz" || { unavailable "scripts/arm64/system/cpio.mjs could not write the initramfs"; return 1; }
  rm -rf "$r"
  log "initramfs: $(du -h "$dir/initramfs.cpio.gz" | cut -f1) (busybox, /init)"
}

install_qemu && install_guest && build_initramfs || true
