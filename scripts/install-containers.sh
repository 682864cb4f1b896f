#!/bin/sh
# Installs the container engines the OCI runtime tests (test/oci) run hwcap-runtime under
# (Debian packages):
#   runc            the OCI runtime hwcap-runtime delegates to (1.1.5 on bookworm)
#   crun            the other runtime it can delegate to
#   podman          the engine of the podman and checkpoint tests (4.3.1 on bookworm)
#   containerd      ctr and the runc shim: `ctr run --runc-binary` (1.6.20 on bookworm); the
#                   tests start their own containerd (private config, root, state and socket),
#                   never the system's service
#   docker.io       dockerd 20.10 and its client (about 18 s of apt): the tests start their own
#                   dockerd (private data root, exec root, socket; no bridge, no iptables) whose
#                   daemon.json names hwcap-runtime's handler
#   busybox-static  the rootfs of the test images (no registry: `podman import` of a tar)
# No recommends: containerd's and podman's recommends would pull in services and networks the
# tests do not use. The tests skip, saying why, where a tool is absent; CI requires them.
set -eu
. "$(dirname "$0")/lib/apt-install.sh"
need runc runc
need crun crun
need podman podman
need containerd containerd
need dockerd docker.io
dpkg -s busybox-static >/dev/null 2>&1 || pkgs="$pkgs busybox-static"
[ -z "$pkgs" ] || {
  # docker.io's postinst starts the system's dockerd where the init system lets it (a bridge,
  # iptables rules); nothing here needs that daemon. Where the machine has no policy-rc.d, one
  # that denies every start stands for the length of this install.
  deny=""
  if [ ! -e /usr/sbin/policy-rc.d ] && [ "$(id -u)" -eq 0 ]; then
    deny=/usr/sbin/policy-rc.d
    printf '#!/bin/sh\nexit 101\n' > "$deny"
    chmod 755 "$deny"
    trap 'rm -f "$deny"' EXIT
  fi
  apt_install $pkgs
}
