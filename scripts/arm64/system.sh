#!/usr/bin/env bash
# The arm64 proving ground under system emulation: the launcher's ptrace and kernel modes, and the
# prctl paths (PR_GET_AUXV, PR_SET_MM_MAP), on a real arm64 Linux kernel, which qemu-user cannot
# give. Called at the end of scripts/arm64/run.sh; runs alone too.
#   install  qemu-system-arm on the host (apt-get, no recommends); Debian's arm64 kernel
#            (linux-image-arm64's versioned linux-image-*-arm64, from <release>-backports when the
#            machine's mirror has it, for PR_GET_AUXV of Linux >= 6.4) and busybox-static, fetched
#            with apt-get download through the private arm64 apt state of install.sh (.arm64/apt);
#   build    hwcap-exec and hwcap-probe linked statically for arm64, and a gzip'd cpio initramfs:
#            busybox, those two, /etc/passwd with nobody, and test/arm64/system/init.sh as /init;
#   run      test/arm64/system (its own vitest config): boots every CPU model and judges the
#            result lines the guest printed; prints `N passed, N failed`.
# HWCAP_ARM64_KERNEL=release takes the release's own kernel instead of backports'.
# HWCAP_ARM64_PREBUILT=DIR boots DIR's hwcap-exec and hwcap-probe (prebuilds/linux-arm64, as
# npm run prebuilds made them for the packed package) instead of compiling them.
# Cached in .arm64/system (the kernel Image and its config, busybox); a second run only rebuilds
# the initramfs. When qemu-system-aarch64 or the kernel cannot be had, the reason goes to
# .arm64/system/unavailable.txt and the tests skip saying so.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
export HWCAP_ARM64_DIR=${HWCAP_ARM64_DIR:-$root/.arm64}
work=$HWCAP_ARM64_DIR
dir=$work/system
cross=${HWCAP_ARM64_CROSS:-aarch64-linux-gnu-}
apt_archs=(arm64)
# shellcheck source=scripts/lib/apt-private.sh
. "$root/scripts/lib/apt-private.sh"
cd "$root"
mkdir -p "$dir"
rm -f "$dir/unavailable.txt" "$dir/observations.json" "$dir/vitest.json"

log() { printf 'arm64 system: %s\n' "$*" >&2; }
now() { date +%s.%N; }
unavailable() {
  log "$*"
  printf '%s\n' "$*" > "$dir/unavailable.txt"
}
as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"
  elif command -v sudo >/dev/null; then sudo "$@"
  else return 1
  fi
}

# ---- install ---------------------------------------------------------------------------------

install_qemu() {
  if command -v "${HWCAP_QEMU_SYSTEM:-qemu-system-aarch64}" >/dev/null; then return 0; fi
  log "installing qemu-system-arm"
  as_root apt-get -o DPkg::Lock::Timeout=900 update -qq \
    && as_root env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=900 install -y -qq --no-install-recommends qemu-system-arm >/dev/null \
    || { unavailable "qemu-system-aarch64 is missing and apt-get install qemu-system-arm failed (needs root or sudo)"; return 1; }
}

# Adds <codename>-backports next to every entry of the private state that names the release
# itself, with the same mirror, components and keys. Backports are never preferred on their own
# (priority 100), so install.sh's packages are unchanged.
add_backports() {
  local codename bp=$apt_root/etc/sources.list.d/hwcap-backports.sources
  codename=$(. /etc/os-release && printf '%s' "${VERSION_CODENAME:-}")
  [ -n "$codename" ] || return 0
  [ -f "$bp" ] && return 0
  {
    for f in "$apt_root"/etc/sources.list.d/*.sources; do
      [ -f "$f" ] && [ "$f" != "$bp" ] || continue
      awk -v c="$codename" 'BEGIN { RS = ""; ORS = "\n\n" }
        { keep = 0; out = ""; n = split($0, lines, "\n")
          for (i = 1; i <= n; i++) {
            l = lines[i]
            if (l ~ /^#/) continue
            if (l ~ /^Suites:/) { m = split(l, s, /[ \t]+/); for (j = 2; j <= m; j++) if (s[j] == c) keep = 1; l = "Suites: " c "-backports" }
            out = out l "\n"
          }
          if (keep) printf "%s", out "\n" }' "$f"
    done
  } > "$bp.tmp"
  for f in "$apt_root/etc/sources.list" "$apt_root"/etc/sources.list.d/*.list; do
    [ -f "$f" ] || continue
    awk -v c="$codename" '$1 == "deb" { for (i = 2; i <= NF; i++) if ($i == c) { $i = c "-backports"; print; next } }' "$f"
  done > "$apt_root/etc/sources.list.d/hwcap-backports.list"
  mv "$bp.tmp" "$bp"
}

# Unpacks the kernel Image and its config (not the 400 MB of modules: everything the guest needs
# is built in) and busybox.
install_guest() {
  local stamp=$dir/kernel.txt choice=${HWCAP_ARM64_KERNEL:-backports}
  if [ -f "$stamp" ] && [ -f "$dir/vmlinuz" ] && [ -x "$dir/busybox" ] && [ "$(cat "$dir/kernel-choice" 2>/dev/null)" = "$choice" ]; then
    log "kernel and busybox present: $(head -n1 "$stamp")"
    return 0
  fi
  apt_state_init
  if [ "$choice" = backports ]; then add_backports; else rm -f "$apt_root"/etc/sources.list.d/hwcap-backports.*; fi
  log "updating the arm64 package lists (private apt state in $apt_root)"
  apt_update || { unavailable "apt-get update of the arm64 package lists failed"; return 1; }
  # linux-image-arm64 of the newest suite that has it (backports first), then its versioned image.
  local meta="" image="" cand
  for cand in $(apt-cache "${apt_opts[@]}" madison linux-image-arm64 | awk -F'|' '{ gsub(/ /, "", $2); print $2 }'); do
    image=$(apt-cache "${apt_opts[@]}" depends "linux-image-arm64=$cand" | awk '/Depends: linux-image-/ { print $2; exit }')
    [ -n "$image" ] && { meta=$cand; break; }
  done
  [ -n "$image" ] || { unavailable "no arm64 linux-image-arm64 in the package lists"; return 1; }
  log "fetching $image (linux-image-arm64 $meta) and busybox-static for arm64"
  rm -f "$apt_root"/debs/*.deb
  ( cd "$apt_root/debs" && apt-get "${apt_opts[@]}" download -qq "$image:arm64" busybox-static:arm64 ) >/dev/null \
    || { unavailable "apt-get download $image busybox-static failed"; return 1; }
  local x=$dir/unpack
  rm -rf "$x" && mkdir -p "$x"
  dpkg-deb --fsys-tarfile "$apt_root"/debs/linux-image-*.deb | tar -x -C "$x" --wildcards './boot/*'
  dpkg -x "$apt_root"/debs/busybox-static_*.deb "$x"
  local img
  img=$(ls "$x"/boot/vmlinuz-* 2>/dev/null | head -n1)
  [ -n "$img" ] || { unavailable "$image has no /boot/vmlinuz-*"; return 1; }
  # -kernel takes the arm64 Image (an EFI stub) as it is; older packages ship it gzip'd.
  if gzip -t "$img" 2>/dev/null; then gzip -dc "$img" > "$dir/vmlinuz"; else cp "$img" "$dir/vmlinuz"; fi
  cp "$x"/boot/config-* "$dir/config"
  cp "$x/bin/busybox" "$dir/busybox"
  for opt in CONFIG_CHECKPOINT_RESTORE CONFIG_SERIAL_AMBA_PL011_CONSOLE CONFIG_BLK_DEV_INITRD CONFIG_RD_GZIP CONFIG_DEVTMPFS; do
    grep -qx "$opt=y" "$dir/config" || { unavailable "$image is built without $opt=y"; return 1; }
  done
  {
    dpkg-deb --show --showformat='${Package}:${Architecture} ${Version}\n' "$apt_root"/debs/linux-image-*.deb
    dpkg-deb --show --showformat='${Package}:${Architecture} ${Version}\n' "$apt_root"/debs/busybox-static_*.deb
  } > "$stamp"
  printf '%s\n' "$choice" > "$dir/kernel-choice"
  rm -rf "$x" "$apt_root"/debs/*.deb
  log "kernel ready: $(head -n1 "$stamp")"
}

# ---- build -----------------------------------------------------------------------------------

build_initramfs() {
  local r=$dir/root
  rm -rf "$r" && mkdir -p "$r"/{bin,etc,proc,sys,dev,tmp}
  cp "$dir/busybox" "$r/bin/busybox"
  if [ -n "${HWCAP_ARM64_PREBUILT:-}" ]; then
    # The binaries the packed package ships (npm run prebuilds' prebuilds/linux-arm64), as they are.
    for f in hwcap-exec hwcap-probe; do
      [ -x "$HWCAP_ARM64_PREBUILT/$f" ] || { unavailable "HWCAP_ARM64_PREBUILT: no executable $HWCAP_ARM64_PREBUILT/$f"; return 1; }
      cp "$HWCAP_ARM64_PREBUILT/$f" "$r/bin/$f"
    done
    log "hwcap-exec and hwcap-probe from $HWCAP_ARM64_PREBUILT (the prebuilt binaries)"
  else
    # The sources binding.gyp lists (its launcher_sources and launcher_common), and the generated security table.
    local gen=$dir/gen launcher_src probe_src="native/probe/hwcap-probe.c native/common/errno_name.c"
    node scripts/gen-security-header.js lib/core/tables/security.json "$gen/security_features.h"
    # binding.gyp is a Python literal (with # comments), as gyp reads it, not JSON.
    launcher_src=$(python3 -c 'import ast; g = ast.literal_eval(open("binding.gyp").read()); print(" ".join(g["variables"]["launcher_sources"] + g["variables"]["launcher_common"]))')
    # shellcheck disable=SC2086 # a list of paths without spaces
    "${cross}gcc" -static -O2 -Wall -Wextra -D_GNU_SOURCE -I"$gen" -o "$r/bin/hwcap-exec" $launcher_src 2> "$dir/build-hwcap-exec.log" \
      || { cat "$dir/build-hwcap-exec.log" >&2; unavailable "${cross}gcc -static hwcap-exec failed"; return 1; }
    # shellcheck disable=SC2086
    "${cross}gcc" -static -O2 -Wall -Wextra -D_GNU_SOURCE -o "$r/bin/hwcap-probe" $probe_src 2> "$dir/build-hwcap-probe.log" \
      || { cat "$dir/build-hwcap-probe.log" >&2; unavailable "${cross}gcc -static $probe_src failed"; return 1; }
  fi
  ln -s busybox "$r/bin/sh"
  printf 'root:x:0:0:root:/:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/sh\n' > "$r/etc/passwd"
  printf 'root:x:0:\nnogroup:x:65534:\n' > "$r/etc/group"
  install -m 0755 test/arm64/system/init.sh "$r/init"
  node scripts/arm64/system/cpio.mjs "$r" "$dir/initramfs.cpio.gz"
  log "initramfs: $(du -h "$dir/initramfs.cpio.gz" | cut -f1) (busybox, hwcap-exec, hwcap-probe, /init)"
}

t0=$(now)
install_qemu && install_guest || true
t1=$(now)
[ -f "$dir/unavailable.txt" ] || build_initramfs || true
t2=$(now)

status=0
node_modules/.bin/vitest run --config test/arm64/system/vitest.config.mts --reporter=verbose \
  --reporter=json --outputFile.json="$dir/vitest.json" || status=$?
t3=$(now)
HWCAP_ARM64_TIMES="$t0 $t1 $t2 $t3" node scripts/arm64/system/summary.mjs "$dir" || status=$?
exit "$status"
