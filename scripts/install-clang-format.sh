#!/bin/sh
# Installs clang-format (Debian package clang-format), which `npm run lint:c` needs.
set -eu
. "$(dirname "$0")/lib/apt-install.sh"
need clang-format clang-format
[ -z "$pkgs" ] || apt_install $pkgs
clang-format --version
