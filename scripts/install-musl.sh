#!/bin/sh
# Installs musl-gcc (Debian's musl-tools), which scripts/build-launcher.sh links the launcher with.
# test/launcher/static.test.ts fails on a launcher linked with glibc's static libc instead.
set -eu
. "$(dirname "$0")/lib/apt-install.sh"
need musl-gcc musl-tools
[ -z "$pkgs" ] || apt_install $pkgs
command -v musl-gcc
