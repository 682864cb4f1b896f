#!/bin/sh
# Installs Debian's `cpuid` tool, an oracle for the CPUID masking tests
# (test/launcher/cpuid-programs.test.ts skips its test without it).
set -e
command -v cpuid >/dev/null 2>&1 && exit 0
flock /tmp/apt.lock apt-get install -y --no-install-recommends cpuid
