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
# shellcheck source=scripts/arm64/sysroot.sh
. "$(dirname "$0")/sysroot.sh"

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

# Node's headers for node-gyp, only when the host has none (build.sh looks in the same places);
# the headers alone are needed, not libnode-dev's dependencies.
extra=()
nodedir=${npm_config_nodedir:-/usr}
if [ ! -f "$nodedir/include/node/node_api.h" ] && [ ! -f /usr/include/node/node_api.h ]; then extra+=(libnode-dev); fi
arm64_sysroot "$sysroot" nodejs coreutils -- "${extra[@]}"
log "sysroot ready: $sysroot ($(head -n1 "$stamp"))"
