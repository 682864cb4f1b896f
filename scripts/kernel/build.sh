#!/usr/bin/env bash
# Builds the x86-64 test kernel that carries scripts/kernel/hwcap-inherit.patch, cached in
# .kernel/cache/<key>/bzImage, where <key> is a hash of the patch and the config fragment; a
# second run with the same two files only prints the path. Steps, each timed into
# .kernel/timings/<step> (seconds):
#   download  linux-source-6.12 (Debian trixie, arch: all) with apt-get download through the
#             private apt state of scripts/lib/apt-private.sh (.kernel/apt); the host's sources are not touched;
#   unpack    its tarball into .kernel/linux (kept: a new patch is applied to the same tree
#             after the old one is reversed, so a rebuild is incremental);
#   config    make tinyconfig, then scripts/kernel/config.fragment merged, every option checked;
#   build     make -j<cores> bzImage.
# Prints the bzImage path on stdout. HWCAP_KERNEL_DIR moves .kernel; HWCAP_KERNEL_JOBS sets -j.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
work=${HWCAP_KERNEL_DIR:-$root/.kernel}
here=$root/scripts/kernel
patch_file=$here/hwcap-inherit.patch
fragment=$here/config.fragment
pkg=${HWCAP_KERNEL_PACKAGE:-linux-source-6.12}
jobs=${HWCAP_KERNEL_JOBS:-$(nproc)}
apt_suite=${HWCAP_KERNEL_SUITE:-trixie}
# shellcheck source=scripts/lib/apt-private.sh
. "$here/../lib/apt-private.sh"

log() { printf 'kernel: %s\n' "$*" >&2; }
now() { date +%s.%N; }
timed() { # timed STEP COMMAND...: runs it and records its seconds
  local step=$1 t0 t1
  shift
  t0=$(now)
  "$@"
  t1=$(now)
  mkdir -p "$work/timings"
  awk -v a="$t0" -v b="$t1" 'BEGIN { printf "%.1f\n", b - a }' > "$work/timings/$step"
  log "$step: $(cat "$work/timings/$step") s"
}

key=$(cat "$patch_file" "$fragment" <(printf '%s\n' "$pkg") | sha256sum | cut -c1-16)
out=$work/cache/$key
if [ -s "$out/bzImage" ]; then
  log "cached kernel $key ($(cat "$out/version" 2>/dev/null))"
  mkdir -p "$work/timings" && for s in download unpack config build; do echo cached > "$work/timings/$s"; done
  printf '%s\n' "$out/bzImage"
  exit 0
fi
mkdir -p "$work/src"
tarball=$work/src/$pkg.tar.xz

download() {
  apt_state_init
  log "updating the package lists of $apt_suite (private apt state in $apt_root)"
  apt_update
  rm -f "$apt_root"/debs/*.deb
  (cd "$apt_root/debs" && apt-get "${apt_opts[@]}" download -qq "$pkg") >/dev/null
  local deb
  deb=$(ls "$apt_root"/debs/"${pkg}"_*.deb)
  dpkg-deb --show --showformat='${Package} ${Version}\n' "$deb" > "$work/src/$pkg.version"
  dpkg-deb --fsys-tarfile "$deb" | tar -xO "./usr/src/$pkg.tar.xz" > "$tarball.tmp"
  mv "$tarball.tmp" "$tarball"
  rm -f "$deb"
}

unpack() {
  rm -rf "$work/linux" "$work/linux.tmp" && mkdir -p "$work/linux.tmp"
  tar -xJf "$tarball" -C "$work/linux.tmp" --strip-components=1
  cp "$work/src/$pkg.version" "$work/linux.tmp/.hwcap-source"
  mv "$work/linux.tmp" "$work/linux"
}

# The tree holds the pristine source plus at most one patch, recorded in .hwcap-applied.patch.
apply_patch() {
  local t=$work/linux
  if [ -f "$t/.hwcap-applied.patch" ]; then
    cmp -s "$t/.hwcap-applied.patch" "$patch_file" && return 0
    log "reversing the previously applied patch"
    patch -d "$t" -p1 -R -s < "$t/.hwcap-applied.patch" || return 1
    rm -f "$t/.hwcap-applied.patch"
  fi
  patch -d "$t" -p1 -s --no-backup-if-mismatch < "$patch_file"
  cp "$patch_file" "$t/.hwcap-applied.patch"
}

configure() {
  local t=$work/linux
  make -C "$t" -s tinyconfig >/dev/null
  "$t/scripts/kconfig/merge_config.sh" -m -O "$t" "$t/.config" "$fragment" >/dev/null
  make -C "$t" -s olddefconfig
  # merge_config only warns about an option that a dependency turned off: check each one.
  local line k bad=0
  while IFS= read -r line; do
    case $line in
      CONFIG_*=n) k=${line%=n}; grep -q "^$k=" "$t/.config" && { log "config: $k is set, asked off"; bad=1; } ;;
      CONFIG_*) grep -qxF "$line" "$t/.config" || { log "config: $line did not stick"; bad=1; } ;;
    esac
  done < "$fragment"
  return "$bad"
}

build() {
  make -C "$work/linux" -s -j"$jobs" bzImage > "$work/build.log" 2>&1 || { tail -40 "$work/build.log" >&2; return 1; }
}

mkdir -p "$work/timings"
if [ -s "$tarball" ] && [ -s "$work/src/$pkg.version" ]; then
  log "source present: $(cat "$work/src/$pkg.version")"
  echo cached > "$work/timings/download"
else
  timed download download
fi
if [ -f "$work/linux/.hwcap-source" ] && cmp -s "$work/linux/.hwcap-source" "$work/src/$pkg.version"; then
  echo kept > "$work/timings/unpack"
  apply_patch || { log "the tree does not take the patch cleanly: unpacking it again"; timed unpack unpack; apply_patch; }
else
  timed unpack unpack
  apply_patch
fi
timed config configure
log "building bzImage with -j$jobs (log: $work/build.log)"
timed build build
mkdir -p "$out.tmp"
cp "$work/linux/arch/x86/boot/bzImage" "$out.tmp/bzImage"
cp "$work/linux/.config" "$out.tmp/config"
{ cat "$work/src/$pkg.version"; printf 'patch sha256 %s\n' "$(sha256sum < "$patch_file" | cut -c1-16)"; } > "$out.tmp/version"
rm -rf "$out" && mv "$out.tmp" "$out"
log "kernel $key ready: $out/bzImage ($(du -h "$out/bzImage" | cut -f1))"
printf '%s\n' "$out/bzImage"
