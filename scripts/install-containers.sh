#!/bin/sh
# Installs the container engines the OCI runtime tests (test/oci) run hwcap-runtime under
# (Debian packages):
#   runc            the OCI runtime hwcap-runtime delegates to (1.1.5 on bookworm)
#   crun            the other runtime it can delegate to
#   podman          the engine of the podman and checkpoint tests (4.3.1 on bookworm)
#   containerd      ctr and the runc shim: `ctr run --runc-binary` (1.6.20 on bookworm); the
#                   tests start their own containerd (private config, root, state and socket),
#                   never the system's service
#   busybox-static  the rootfs of the test images (no registry: `podman import` of a tar)
# No recommends: containerd's and podman's recommends would pull in services and networks the
# tests do not use. The tests skip, saying why, where a tool is absent; CI requires them.
set -eu
pkgs=""
command -v runc >/dev/null 2>&1 || pkgs="$pkgs runc"
command -v crun >/dev/null 2>&1 || pkgs="$pkgs crun"
command -v podman >/dev/null 2>&1 || pkgs="$pkgs podman"
command -v containerd >/dev/null 2>&1 || pkgs="$pkgs containerd"
dpkg -s busybox-static >/dev/null 2>&1 || pkgs="$pkgs busybox-static"
[ -n "$pkgs" ] || exit 0
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO="sudo"
apt="flock /tmp/apt.lock $SUDO env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=900"
if [ ! -d /var/lib/apt/lists ] || [ -z "$(ls -A /var/lib/apt/lists 2>/dev/null)" ]; then
  $apt update -qq
fi
# shellcheck disable=SC2086 # one word per package
if ! $apt install -y -qq --no-install-recommends $pkgs; then
  # The package lists of a new machine may be old: update them once, then try again.
  $apt update -qq
  # shellcheck disable=SC2086
  $apt install -y -qq --no-install-recommends $pkgs
fi
