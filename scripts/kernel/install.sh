#!/usr/bin/env bash
# Installs on the host what the kernel guest (npm run test:kernel) needs, from the machine's own
# Debian sources, without recommends:
#   qemu-system-x86        qemu-system-x86_64 (TCG)
#   flex bison bc libelf-dev libssl-dev   the kernel build (gcc and make are already there)
#   xz-utils cpio gzip     unpacking the source, packing the initramfs
# Idempotent: present packages are not touched. Needs root or sudo when something is missing.
set -euo pipefail
pkgs=(qemu-system-x86 flex bison bc libelf-dev libssl-dev xz-utils cpio gzip gcc make libc6-dev)
log() { printf 'kernel: %s\n' "$*" >&2; }
as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"
  elif command -v sudo >/dev/null; then sudo "$@"
  else log "needs root or sudo to run: $*"; return 1
  fi
}
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null | grep -qx installed || missing+=("$p")
done
if [ ${#missing[@]} -eq 0 ]; then
  log "host packages present: ${pkgs[*]}"
  exit 0
fi
log "installing ${missing[*]}"
# /tmp/apt.lock serialises apt with other scripts of this machine that take the same lock.
lock=(); command -v flock >/dev/null && lock=(flock /tmp/apt.lock)
as_root "${lock[@]}" apt-get update -qq
as_root "${lock[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
