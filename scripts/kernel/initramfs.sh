#!/usr/bin/env bash
# Packs the guest's initramfs, .kernel/guest/initramfs.cpio.gz (gzip'd newc cpio, all owned by
# root), from this checkout as it is built (npm ci / npm run build first):
#   /usr/bin/node and the shared libraries ldd names for it (the host's node);
#   /hwcap      the package: package.json, dist/, build/Release/{hwcap.node,hwcap-exec,
#               hwcap-probe} (the addon is loaded without a runtime dependency);
#   /hwcap-guest  test/kernel/guest/{checks.js,views.js,names.js,cpuinfo-names.js}, and
#               kernel.config: the booted kernel's .config (argument 1: run.sh passes the
#               config cached beside the bzImage; else .kernel/linux/.config), read by names.js;
#   /usr/local/bin/hwcap-inherit-selftest and deny-setmm, built statically from
#               test/kernel/guest/{hwcap_inherit.c,deny_setmm.c};
#   /bin/busybox from Debian's busybox-static (fetched once through the private apt state of
#               scripts/lib/apt-private.sh, kept in .kernel/busybox), /etc/passwd with root and nobody (65534),
#   /init       test/kernel/guest/init.sh.
# Also .kernel/guest/kvm-probe.cpio.gz: busybox and an /init that prints "@@kvm-probe user space"
# and reboots, for test/kernel/boot.mjs's KVM probe (HWCAP_KERNEL_ACCEL=probe).
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
work=${HWCAP_KERNEL_DIR:-$root/.kernel}
dir=$work/guest
node_bin=${HWCAP_KERNEL_NODE:-$(command -v node)}
apt_suite=${HWCAP_KERNEL_SUITE:-trixie}
# shellcheck source=scripts/lib/apt-private.sh
. "$root/scripts/lib/apt-private.sh"
log() { printf 'kernel: %s\n' "$*" >&2; }
cd "$root"

for f in dist/index.js dist/cli.js build/Release/hwcap.node build/Release/hwcap-exec build/Release/hwcap-probe; do
  [ -e "$f" ] || { log "$f is missing: run npm ci (or npm run build) first"; exit 1; }
done

if [ ! -x "$work/busybox" ]; then
  apt_state_init
  [ -n "$(ls "$apt_root/state/lists/" 2>/dev/null | grep -v -e partial -e lock)" ] || apt_update
  rm -f "$apt_root"/debs/busybox-static_*.deb
  (cd "$apt_root/debs" && apt-get "${apt_opts[@]}" download -qq busybox-static) >/dev/null
  x=$work/busybox.unpack
  rm -rf "$x" && dpkg -x "$apt_root"/debs/busybox-static_*.deb "$x"
  if [ -x "$x/usr/bin/busybox" ]; then cp "$x/usr/bin/busybox" "$work/busybox"; else cp "$x/bin/busybox" "$work/busybox"; fi
  dpkg-deb --show --showformat='${Package} ${Version}\n' "$apt_root"/debs/busybox-static_*.deb > "$work/busybox.version"
  rm -rf "$x" "$apt_root"/debs/busybox-static_*.deb
fi

r=$dir/root
rm -rf "$r" && mkdir -p "$r"/{bin,sbin,etc,proc,sys,dev,tmp,usr/bin,usr/local/bin,hwcap/build/Release,hwcap/node_modules,hwcap-guest}
cp "$work/busybox" "$r/bin/busybox"
ln -s busybox "$r/bin/sh"

# node and its libraries, at the paths the dynamic loader expects.
cp "$node_bin" "$r/usr/bin/node"
ldd "$node_bin" | awk '/=> \// { print $3 } /^\t\/[^ ]+ \(/ { print $1 }' | sort -u | while read -r lib; do
  mkdir -p "$r$(dirname "$lib")"
  cp -L "$lib" "$r$lib"
done
# /lib64 and /lib may be links into /usr on the host (merged /usr): the copies above are real files
# under whichever path ldd printed, which is the path the binaries ask for.

# The package, as npm would install it (no dev dependencies).
cp package.json "$r/hwcap/"
cp -r dist "$r/hwcap/dist"
cp build/Release/hwcap.node build/Release/hwcap-exec build/Release/hwcap-probe "$r/hwcap/build/Release/"
cp test/kernel/guest/checks.js test/kernel/guest/views.js test/kernel/guest/names.js test/kernel/guest/cpuinfo-names.js "$r/hwcap-guest/"
config=${1:-$work/linux/.config}
[ -f "$config" ] || { log "$config is missing: run scripts/kernel/build.sh first"; exit 1; }
cp "$config" "$r/hwcap-guest/kernel.config"

for c in hwcap_inherit:hwcap-inherit-selftest deny_setmm:deny-setmm; do
  gcc -static -O2 -Wall -Wextra -Werror -o "$r/usr/local/bin/${c#*:}" "test/kernel/guest/${c%%:*}.c"
done

printf 'root:x:0:0:root:/:/bin/sh\nnobody:x:65534:65534:nobody:/tmp:/bin/sh\n' > "$r/etc/passwd"
printf 'root:x:0:\nnogroup:x:65534:\n' > "$r/etc/group"
install -m 0755 test/kernel/guest/init.sh "$r/init"
chmod -R a+rX "$r"

(cd "$r" && find . -mindepth 1 | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet) | gzip -1 > "$dir/initramfs.cpio.gz.tmp"
mv "$dir/initramfs.cpio.gz.tmp" "$dir/initramfs.cpio.gz"
log "initramfs: $(du -h "$dir/initramfs.cpio.gz" | cut -f1) ($("$node_bin" --version) node, $(cat "$work/busybox.version"))"

p=$dir/kvm-probe
rm -rf "$p" && mkdir -p "$p/bin"
cp "$work/busybox" "$p/bin/busybox"
printf '#!/bin/busybox sh\n/bin/busybox echo "@@kvm-probe user space"\n/bin/busybox reboot -f\n' > "$p/init"
chmod 0755 "$p/init"
(cd "$p" && find . -mindepth 1 | LC_ALL=C sort | cpio -o -H newc -R 0:0 --quiet) | gzip -1 > "$dir/kvm-probe.cpio.gz"
