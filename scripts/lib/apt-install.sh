# Sourced by every scripts/install-*.sh: the one way they install Debian packages on this machine.
#   apt_install PKG...   installs the packages (no recommends), as root or through sudo, under one
#                        lock (/tmp/apt.lock, so that scripts run side by side wait for each other)
#                        and dpkg's own lock timeout; the package lists are updated first where
#                        there are none, and once more when an install fails (a new machine's lists
#                        may be old).
#   need CMD PKG         adds PKG to $pkgs unless CMD is on PATH; a script then calls
#                        apt_install $pkgs when $pkgs is not empty.
# POSIX sh: the install scripts run under sh and bash alike.
pkgs=""
need() {
  command -v "$1" >/dev/null 2>&1 || pkgs="$pkgs $2"
}

apt_install() {
  _sudo=""
  [ "$(id -u)" -eq 0 ] || _sudo=sudo
  _apt="flock /tmp/apt.lock $_sudo env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=900"
  if [ ! -d /var/lib/apt/lists ] || [ -z "$(ls -A /var/lib/apt/lists 2>/dev/null | grep -v -e '^partial$' -e '^lock$')" ]; then
    $_apt update -qq
  fi
  # shellcheck disable=SC2086 # one word per package
  if ! $_apt install -y -qq --no-install-recommends "$@"; then
    $_apt update -qq
    $_apt install -y -qq --no-install-recommends "$@"
  fi
}
