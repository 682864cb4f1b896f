#!/bin/sh
# Installs the tools the x86-64 CPUID tests compare against (Debian packages):
#   cpuid      the `cpuid` tool (raw leaves: `cpuid -1 -r`), test/core/x86-node.test.ts
#   qemu-user  qemu-x86_64, whose CPU models stand in for other CPUs and for a masked CPUID,
#              test/core/x86-models.test.ts (no recommends: qemu-user-binfmt would register
#              binfmt_misc handlers system-wide)
# The tests skip, saying why, where a tool is absent; on other architectures this does nothing.
set -eu
case "$(uname -m)" in
  x86_64 | amd64) ;;
  *) echo "install-x86-tools: not x86-64, nothing to install"; exit 0 ;;
esac
pkgs=""
command -v cpuid >/dev/null 2>&1 || pkgs="$pkgs cpuid"
command -v qemu-x86_64 >/dev/null 2>&1 || pkgs="$pkgs qemu-user"
[ -n "$pkgs" ] || exit 0
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
if [ ! -d /var/lib/apt/lists ] || [ -z "$(ls -A /var/lib/apt/lists 2>/dev/null)" ]; then
  flock /tmp/apt.lock $SUDO apt-get update
fi
# shellcheck disable=SC2086 # one word per package
flock /tmp/apt.lock $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends $pkgs
