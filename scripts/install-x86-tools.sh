#!/bin/sh
# Installs the tools the x86-64 CPUID tests compare against (Debian packages):
#   cpuid      the `cpuid` tool (raw leaves: `cpuid -1 -r`), test/core/x86-node.test.ts
#   qemu-user  qemu-x86_64, whose CPU models stand in for other CPUs and for a masked CPUID,
#              test/core/x86-models.test.ts (no recommends: qemu-user-binfmt would register
#              binfmt_misc handlers system-wide)
#   strace     a foreign tracer (test/launcher/nesting.test.ts, traced.test.ts) and the packed
#              install's trace of what it execs (test/packed/x64.packed.ts)
# The tests skip, saying why, where a tool is absent; on other architectures this does nothing.
set -eu
case "$(uname -m)" in
  x86_64 | amd64) ;;
  *) echo "install-x86-tools: not x86-64, nothing to install"; exit 0 ;;
esac
. "$(dirname "$0")/lib/apt-install.sh"
need cpuid cpuid
need qemu-x86_64 qemu-user
need strace strace
[ -z "$pkgs" ] || apt_install $pkgs
