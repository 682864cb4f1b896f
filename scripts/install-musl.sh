#!/bin/sh
# Installs musl-gcc (Debian's musl-tools), which scripts/build-launcher.sh links the launcher with.
# test/launcher/static.test.ts fails on a launcher linked with glibc's static libc instead.
set -eu
command -v musl-gcc >/dev/null 2>&1 && exit 0
flock /tmp/apt.lock apt-get install -y musl-tools
