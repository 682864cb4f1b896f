#!/bin/sh
# Installs musl-gcc (Debian's musl-tools), which scripts/build-launcher.sh links the launcher with.
# test/launcher/static.test.ts fails on a launcher linked with glibc's static libc instead.
set -eu
command -v musl-gcc >/dev/null 2>&1 && exit 0
sudo_=""
[ "$(id -u)" = 0 ] || sudo_=sudo
# The package lists of a new machine may be empty or old: update them first.
$sudo_ apt-get update -qq
$sudo_ env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends musl-tools
command -v musl-gcc
