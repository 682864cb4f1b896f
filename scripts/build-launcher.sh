#!/bin/sh
# Links a launcher executable statically (binding.gyp runs this for hwcap-exec and hwcap-exec-test).
#
#   sh scripts/build-launcher.sh OUTPUT GENERATED_INCLUDE_DIR [-DNAME ...] SOURCE...
#
# Static, so that no dynamic loader runs in the launcher: LD_PRELOAD, LD_LIBRARY_PATH,
# LD_SHOW_AUXV, LD_DEBUG, LD_AUDIT act only on the program it runs. With musl
# (Debian's musl-tools, `musl-gcc`), which is the choice: musl's static startup reads no
# environment variable at all, so GLIBC_TUNABLES and MALLOC_* do not act on the launcher
# either, and the binary is about 90 KiB against 820 KiB (bench figures: docs/launcher-protocol.md).
# Without musl-gcc, glibc's static libc is used, with a warning: there glibc's startup
# still reads GLIBC_TUNABLES (and so the MALLOC_* tunables) for the launcher itself.
#
#   HWCAP_LAUNCHER_CC=cc   force a compiler (it is given -static)
set -eu
out=$1
gen=$2
shift 2
defs=""
while [ $# -gt 0 ]; do
  case "$1" in
    -D*) defs="$defs $1"; shift ;;
    *) break ;;
  esac
done
cc=${HWCAP_LAUNCHER_CC:-}
if [ -z "$cc" ]; then
  if command -v musl-gcc >/dev/null 2>&1; then
    cc=musl-gcc
  else
    cc=${CC:-cc}
    echo "hwcap: musl-gcc not found (Debian: apt-get install musl-tools); linking $(basename "$out") with glibc's static libc, whose startup reads GLIBC_TUNABLES" >&2
  fi
fi
# shellcheck disable=SC2086
exec $cc -std=gnu11 -O2 -Wall -Wextra -D_GNU_SOURCE $defs -I"$gen" -static -o "$out" "$@"
