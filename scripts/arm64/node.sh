#!/usr/bin/env bash
# An arm64 Node that the package supports (package.json engines: >= 20), for the packed package's
# arm64 install (npm run test:packed): Debian trixie's nodejs (Node 20) and the arm64 libraries it
# needs, unpacked into .arm64/trixie/sysroot, which qemu-aarch64 -L runs it from. The proving
# ground's own sysroot (.arm64/sysroot, install.sh) keeps the machine's release's nodejs (Node 18
# on bookworm), which test/arm64 runs; this one is apart from it, with its own private apt state
# (.arm64/trixie/apt, one entry: the machine's Debian mirror with suite trixie, signed by Debian's
# archive keyring), so that neither the host's apt nor the proving ground's state changes.
# qemu-user (qemu-aarch64) comes from install.sh. Idempotent: an unpacked sysroot is kept (delete
# .arm64/trixie to start over). About 30 MB of packages, a few seconds from a near mirror.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
work=${HWCAP_ARM64_DIR:-$root/.arm64}/trixie
sysroot=$work/sysroot
stamp=$sysroot/.hwcap-sysroot
apt_archs=(arm64)
apt_suite=trixie
# shellcheck source=scripts/lib/apt-private.sh
. "$(dirname "$0")/../lib/apt-private.sh"
# shellcheck source=scripts/arm64/sysroot.sh
. "$(dirname "$0")/sysroot.sh"

log() { printf 'arm64 node: %s\n' "$*" >&2; }

if [ -f "$stamp" ] && [ -x "$sysroot/usr/bin/node" ]; then
  log "sysroot present: $sysroot ($(head -n1 "$stamp"))"
  exit 0
fi
mkdir -p "$work"
arm64_sysroot "$sysroot" nodejs
log "sysroot ready: $sysroot ($(head -n1 "$stamp"))"
