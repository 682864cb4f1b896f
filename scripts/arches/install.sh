#!/usr/bin/env bash
# Installs what the other architectures' proving ground (npm run test:arches) needs, from the
# machine's Debian package sources:
#   - on the host: qemu-user (qemu-ppc64le, qemu-s390x, qemu-riscv64), no recommends;
#   - .arches/ppc64le/sysroot and .arches/s390x/sysroot: Debian's libc6 and busybox (the dynamic
#     build, linked against that libc6) for ppc64el and s390x, unpacked with dpkg -x;
#   - .arches/riscv64/sysroot: Debian 12 has no riscv64 port, so Debian's riscv64 glibc comes from
#     libc6-riscv64-cross (the same glibc 2.36 built for riscv64, arch all) and the kernel's uapi
#     headers for riscv64 (Linux 6.1) from linux-libc-dev-riscv64-cross.
# Every package comes through the private apt state of scripts/lib/apt-private.sh (.arches/apt,
# listing ppc64el and s390x), so the host's dpkg keeps its architectures and its apt lists stay as
# they were. Idempotent: a sysroot with its stamp is kept; delete .arches/ to start over.
# A part that cannot be installed writes its reason to .arches/<arch>/unavailable.txt (the tests
# skip it saying so, and .ci/run fails unless .ci/unavailable excuses it); the script goes on.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
work=${HWCAP_ARCHES_DIR:-$root/.arches}
apt_archs=(ppc64el s390x)
# shellcheck source=scripts/lib/apt-private.sh
. "$root/scripts/lib/apt-private.sh"
mkdir -p "$work"

log() { printf 'arches: %s\n' "$*" >&2; }
as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"
  elif command -v sudo >/dev/null; then sudo "$@"
  else return 1
  fi
}
unavailable() { # <arch> <reason>
  mkdir -p "$work/$1"
  printf '%s\n' "$2" > "$work/$1/unavailable.txt"
  log "$1: $2"
}

# ---- host ------------------------------------------------------------------------------------
if ! command -v qemu-ppc64le >/dev/null || ! command -v qemu-s390x >/dev/null || ! command -v qemu-riscv64 >/dev/null; then
  log "installing qemu-user"
  # No recommends: qemu-user-binfmt would register binfmt_misc handlers system-wide.
  as_root apt-get -o DPkg::Lock::Timeout=900 update -qq || true
  as_root env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=900 install -y -qq --no-install-recommends qemu-user >/dev/null \
    || log "apt-get install qemu-user failed (needs root or sudo)"
fi

# ---- sysroots --------------------------------------------------------------------------------
# arch (hwcap's name) → the Debian architecture, the packages, and the qemu it runs under.
declare -A deb=([ppc64le]=ppc64el [s390x]=s390x [riscv64]=all)
declare -A pkgs=([ppc64le]="libc6:ppc64el busybox:ppc64el" [s390x]="libc6:s390x busybox:s390x"
  [riscv64]="libc6-riscv64-cross linux-libc-dev-riscv64-cross")
declare -A qemu=([ppc64le]=qemu-ppc64le [s390x]=qemu-s390x [riscv64]=qemu-riscv64)

# Absolute symlinks (ppc64el's /lib64/ld64.so.2 -> /lib/powerpc64le-linux-gnu/ld64.so.2) point
# out of the sysroot, where qemu's -L does not follow them: make them relative.
relativize_links() {
  local dir=$1 link target
  while IFS= read -r -d '' link; do
    target=$(readlink "$link")
    case $target in
      /*) ln -sfn "$(realpath -m --relative-to="$(dirname "$link")" "$dir$target")" "$link" ;;
    esac
  done < <(find "$dir" -type l -print0)
}

updated=0
for arch in ppc64le s390x riscv64; do
  dir=$work/$arch
  sysroot=$dir/sysroot
  mkdir -p "$dir"
  rm -f "$dir/unavailable.txt"
  command -v "${qemu[$arch]}" >/dev/null || { unavailable "$arch" "${qemu[$arch]} is missing (Debian's qemu-user)"; continue; }
  if [ -f "$sysroot/.hwcap-sysroot" ]; then
    log "$arch sysroot present: $(paste -sd' ' "$sysroot/.hwcap-sysroot")"
    continue
  fi
  if [ "$updated" = 0 ]; then
    apt_state_init
    log "updating the package lists (private apt state in $apt_root, ${apt_archs[*]})"
    # A mirror caught mid-sync fails one index (seen with bookworm-security's ppc64el list);
    # the download below decides whether what was fetched is enough.
    apt_update || log "apt-get update reported errors (above); going on with the lists it fetched"
    updated=1
  fi
  rm -f "$apt_root"/debs/*.deb
  # shellcheck disable=SC2086 # a list of package names
  if ! (cd "$apt_root/debs" && apt-get "${apt_opts[@]}" download -qq ${pkgs[$arch]}) >/dev/null 2>"$dir/download.err"; then
    unavailable "$arch" "apt-get download ${pkgs[$arch]} failed: $(tail -n 1 "$dir/download.err")"
    continue
  fi
  rm -rf "$sysroot.tmp" && mkdir -p "$sysroot.tmp"
  for f in "$apt_root"/debs/*.deb; do dpkg -x "$f" "$sysroot.tmp"; done
  relativize_links "$sysroot.tmp"
  for f in "$apt_root"/debs/*.deb; do dpkg-deb --show --showformat='${Package}:${Architecture} ${Version}\n' "$f"; done > "$sysroot.tmp/.hwcap-sysroot"
  rm -rf "$sysroot" && mv "$sysroot.tmp" "$sysroot"
  rm -f "$apt_root"/debs/*.deb
  log "$arch sysroot ready (${deb[$arch]}): $(paste -sd' ' "$sysroot/.hwcap-sysroot")"
done
