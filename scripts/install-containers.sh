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
. "$(dirname "$0")/lib/apt-install.sh"
need runc runc
need crun crun
need podman podman
need containerd containerd
dpkg -s busybox-static >/dev/null 2>&1 || pkgs="$pkgs busybox-static"
[ -z "$pkgs" ] || apt_install $pkgs
