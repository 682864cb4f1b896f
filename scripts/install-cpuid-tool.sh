#!/bin/sh
# Installs Debian's `cpuid` tool, an oracle for the CPUID masking tests
# (test/launcher/cpuid-programs.test.ts skips its test without it).
set -eu
. "$(dirname "$0")/lib/apt-install.sh"
need cpuid cpuid
[ -z "$pkgs" ] || apt_install $pkgs
