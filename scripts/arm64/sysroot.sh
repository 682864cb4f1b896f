# Sourced (bash) by scripts/arm64/install.sh and scripts/arm64/node.sh: unpacks Debian arm64
# packages, with the closure of their hard dependencies, into a sysroot that qemu-aarch64 -L runs
# programs from. The packages come through the private apt state of scripts/lib/apt-private.sh,
# sourced before this with $work, apt_archs=(arm64) and, for another suite, apt_suite set.
#
#   arm64_sysroot SYSROOT PACKAGE... [-- EXTRA...]
#     PACKAGE  fetched with its Depends and Pre-Depends, recursively (virtual packages resolved by
#              apt to a real provider);
#     EXTRA    fetched alone, without their dependencies (libnode-dev's headers, say).
# The sysroot is made in SYSROOT.tmp and moved into place whole; when nodejs is asked for,
# usr/bin/node must be there. SYSROOT/.hwcap-sysroot, the
# stamp, names the nodejs package first (when there is one), then every package unpacked. A
# merged-/usr release (trixie) ships its files under usr/ only: when no /lib was unpacked, the
# /lib, /bin and /sbin links that base-files makes are made here, so that qemu finds
# /lib/ld-linux-aarch64.so.1.

arm64_sysroot() {
  local sysroot=$1 deb d
  shift
  local top=() extra=()
  while [ $# -gt 0 ] && [ "$1" != -- ]; do top+=("$1"); shift; done
  [ $# -gt 0 ] && shift
  extra=("$@")

  apt_state_init
  log "updating the arm64 package lists (private apt state in $apt_root${apt_suite:+, suite $apt_suite})"
  apt_update || return 1

  local pkgs=()
  mapfile -t pkgs < <(apt-cache "${apt_opts[@]}" depends --recurse --no-recommends --no-suggests \
      --no-conflicts --no-breaks --no-replaces --no-enhances "${top[@]}" \
    | awk '/^[a-z0-9]/ { print $1 }' | sed 's/:arm64$//' | sort -u)
  [ ${#pkgs[@]} -gt 0 ] || { log "apt-cache depends found nothing for ${top[*]}"; return 1; }
  pkgs+=("${extra[@]}")
  log "fetching ${#pkgs[@]} arm64 packages"
  rm -f "$apt_root"/debs/*.deb
  ( cd "$apt_root/debs" && apt-get "${apt_opts[@]}" download -qq "${pkgs[@]/%/:arm64}" ) >/dev/null || return 1

  rm -rf "$sysroot.tmp" && mkdir -p "$sysroot.tmp"
  for deb in "$apt_root"/debs/*.deb; do dpkg -x "$deb" "$sysroot.tmp"; done
  if [ ! -e "$sysroot.tmp/lib" ]; then
    for d in lib bin sbin; do ln -s "usr/$d" "$sysroot.tmp/$d"; done
  fi
  if [[ " ${top[*]} " == *" nodejs "* ]]; then
    # Debian's nodejs ships usr/bin/node (older releases: nodejs); make both names exist.
    [ -x "$sysroot.tmp/usr/bin/node" ] || [ -e "$sysroot.tmp/usr/bin/nodejs" ] || { log "no usr/bin/node in the unpacked packages"; return 1; }
    [ -e "$sysroot.tmp/usr/bin/node" ] || ln -s nodejs "$sysroot.tmp/usr/bin/node"
  fi
  {
    if compgen -G "$apt_root/debs/nodejs_*.deb" >/dev/null; then
      dpkg-deb --show --showformat='${Package}:${Architecture} ${Version}\n' "$apt_root"/debs/nodejs_*.deb
    fi
    for deb in "$apt_root"/debs/*.deb; do dpkg-deb --show --showformat='${Package}:${Architecture} ${Version}\n' "$deb"; done
  } > "$sysroot.tmp/.hwcap-sysroot"
  rm -rf "$sysroot" && mv "$sysroot.tmp" "$sysroot"
  rm -f "$apt_root"/debs/*.deb
}
