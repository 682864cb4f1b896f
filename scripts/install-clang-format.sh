#!/usr/bin/env bash
# Installs clang-format (Debian package clang-format), which `npm run lint:c` needs.
set -euo pipefail
if command -v clang-format >/dev/null; then
  clang-format --version
  exit 0
fi
sudo_=""
[ "$(id -u)" = 0 ] || sudo_=sudo
$sudo_ apt-get update
$sudo_ apt-get install -y --no-install-recommends clang-format
clang-format --version
