#!/usr/bin/env bash
# Installs what the arm64 proving ground needs, from the machine's Debian package sources:
#   - on the host: qemu-user (qemu-aarch64) and the aarch64 cross toolchain;
#   - in .arm64/sysroot: Debian's arm64 nodejs and the arm64 shared libraries it needs,
#     plus coreutils (an arm64 /bin/true for glibc's LD_SHOW_AUXV), unpacked with dpkg -x.
# The arm64 packages come through a private apt state (.arm64/apt) that lists only arm64,
# so the host's dpkg keeps its architectures and its apt lists stay as they were.
# Idempotent: installed host packages and an unpacked sysroot are kept.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
work=${HWCAP_ARM64_DIR:-$root/.arm64}
sysroot=$work/sysroot
apt_archs=(arm64)
# shellcheck source=scripts/lib/apt-private.sh
. "$(dirname "$0")/../lib/apt-private.sh"

log() { printf 'arm64: %s\n' "$*" >&2; }
as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"
  elif command -v sudo >/dev/null; then sudo "$@"
  else log "needs root or sudo to run: $*"; exit 1
  fi
}

# ---- host packages -------------------------------------------------------------------------
host_pkgs=(qemu-user gcc-aarch64-linux-gnu g++-aarch64-linux-gnu libc6-dev-arm64-cross)
missing=()
for p in "${host_pkgs[@]}"; do
  if ! dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null | grep -qx installed; then missing+=("$p"); fi
done
if [ ${#missing[@]} -gt 0 ]; then
  log "installing ${missing[*]}"
  as_root apt-get -o DPkg::Lock::Timeout=900 update -qq
  # No recommends: qemu-user-binfmt would register binfmt_misc handlers system-wide.
  as_root env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=900 install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
else
  log "host packages present: ${host_pkgs[*]}"
fi

# ---- arm64 sysroot -------------------------------------------------------------------------
# The stamp names the packages unpacked; delete .arm64/sysroot to start over.
stamp=$sysroot/.hwcap-sysroot
if [ -f "$stamp" ] && [ -x "$sysroot/usr/bin/node" ]; then
  log "sysroot present: $sysroot ($(head -n1 "$stamp"))"
  exit 0
fi

apt_state_init
log "updating the arm64 package lists (private apt state in $apt_root)"
apt_update || exit 1

# The closure of hard dependencies, resolved by apt-cache depends. Pre-Depends count;
# virtual packages (shown as <name>) are resolved by apt to a real provider below.
top=(nodejs coreutils)
mapfile -t pkgs < <(apt-cache "${apt_opts[@]}" depends --recurse --no-recommends --no-suggests \
    --no-conflicts --no-breaks --no-replaces --no-enhances "${top[@]}" \
  | awk '/^[a-z0-9]/ { print $1 }' | sed 's/:arm64$//' | sort -u)
[ ${#pkgs[@]} -gt 0 ] || { log "apt-cache depends found nothing for ${top[*]}"; exit 1; }
# Node's headers for node-gyp, only when the host has none (build.sh looks in the same places);
# the headers alone are needed, not libnode-dev's dependencies.
nodedir=${npm_config_nodedir:-/usr}
if [ ! -f "$nodedir/include/node/node_api.h" ] && [ ! -f /usr/include/node/node_api.h ]; then pkgs+=(libnode-dev); fi
log "fetching ${#pkgs[@]} arm64 packages"
( cd "$apt_root/debs" && apt-get "${apt_opts[@]}" download -qq "${pkgs[@]/%/:arm64}" ) >/dev/null

rm -rf "$sysroot.tmp" && mkdir -p "$sysroot.tmp"
for deb in "$apt_root"/debs/*.deb; do dpkg -x "$deb" "$sysroot.tmp"; done
[ -x "$sysroot.tmp/usr/bin/node" ] || [ -e "$sysroot.tmp/usr/bin/nodejs" ] || { log "no usr/bin/node in the unpacked packages"; exit 1; }
# Debian's nodejs ships usr/bin/node (older releases: nodejs); make both names exist.
[ -e "$sysroot.tmp/usr/bin/node" ] || ln -s nodejs "$sysroot.tmp/usr/bin/node"
# The stamp: the nodejs package first, then every package unpacked.
{
  dpkg-deb --show --showformat='${Package}:${Architecture} ${Version}\n' "$apt_root"/debs/nodejs_*.deb
  for deb in "$apt_root"/debs/*.deb; do dpkg-deb --show --showformat='${Package}:${Architecture} ${Version}\n' "$deb"; done
} > "$sysroot.tmp/.hwcap-sysroot"
rm -rf "$sysroot" && mv "$sysroot.tmp" "$sysroot"
rm -f "$apt_root"/debs/*.deb
log "sysroot ready: $sysroot ($(head -n1 "$stamp"))"
