#!/usr/bin/env bash
# Builds CRIU 4.1.1 into .criu/ (ignored by git) for the checkpoint tests, and prints the path of
# the criu binary on stdout. Debian bookworm's criu 3.17 fails on kernels 6.x ("vdso: Unexpected
# rt vDSO area bounds"), so the source is upstream 4.1.1: the criu_4.1.1.orig.tar.xz of Debian
# trixie's source package. It is fetched through a private apt state (.criu/apt,
# scripts/lib/apt-private.sh) whose only entry is a "Types: deb-src" one for trixie, on the same
# Debian mirror as the machine's own sources; the machine's apt sources and lists stay as they were. The tarball's sha256 is taken
# from trixie's Sources index (the .dsc may be missing on the mirror; the tarball is there) and
# checked by apt's own downloader. The build dependencies are bookworm's packages, installed
# into the system as the install scripts install theirs (scripts/lib/apt-install.sh).
# Idempotent: a built .criu/bin/criu that reports 4.1.1 is kept.
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
work=${HWCAP_CRIU_DIR:-$root/.criu}
version=4.1.1
tarball=criu_$version.orig.tar.xz
src=$work/criu-$version
bin=$work/bin/criu

log() { printf 'criu: %s\n' "$*" >&2; }
as_root() {
  if [ "$(id -u)" = 0 ]; then "$@"
  elif command -v sudo >/dev/null; then sudo "$@"
  else log "needs root or sudo to run: $*"; exit 1
  fi
}

if [ -x "$bin" ] && "$bin" --version 2>/dev/null | grep -q "Version: $version\$"; then
  log "present: $bin ($version)"
  echo "$bin"
  exit 0
fi

# ---- build dependencies (bookworm, the machine's own sources) ------------------------------
deps=(build-essential pkg-config python3 libbsd-dev libcap-dev libnet1-dev libnftables-dev
  libnl-3-dev libprotobuf-c-dev libprotobuf-dev protobuf-c-compiler protobuf-compiler
  xz-utils)
missing=()
for p in "${deps[@]}"; do
  dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null | grep -qx installed || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  log "installing ${missing[*]}"
  # shellcheck source=scripts/lib/apt-install.sh
  . "$root/scripts/lib/apt-install.sh"
  apt_install "${missing[@]}" >/dev/null
fi

# ---- the source tarball --------------------------------------------------------------------
if [ ! -f "$work/$tarball" ]; then
  apt_suite=trixie
  apt_types=deb-src
  # shellcheck source=scripts/lib/apt-private.sh
  . "$root/scripts/lib/apt-private.sh"
  apt_state_init
  mirror=$(host_mirror) || { log "no Debian mirror found in /etc/apt/sources.list{,.d}"; exit 1; }
  log "updating trixie's source index (private apt state in $apt_root)"
  apt_update || exit 1
  index=$(find "$apt_root/state/lists" -maxdepth 1 -name '*_trixie_main_source_Sources*' | head -n1)
  [ -n "$index" ] || { log "no trixie Sources index in $apt_root/state/lists"; exit 1; }
  cat_index() { case $1 in *.xz) xz -dc "$1" ;; *.gz) gzip -dc "$1" ;; *.lz4) lz4 -dc "$1" ;; *) cat "$1" ;; esac; }
  # The criu stanza that lists the tarball: its Directory and the tarball's sha256 and size.
  read -r directory sha size < <(cat_index "$index" | awk -v tb="$tarball" '
    /^Package: / { pkg = $2; dir = ""; sha = ""; size = "" }
    pkg == "criu" && /^Directory: / { dir = $2 }
    pkg == "criu" && /^Checksums-Sha256:/ { insha = 1; next }
    insha && /^ / { if ($3 == tb) { sha = $1; size = $2 } next }
    { insha = 0 }
    /^$/ && pkg == "criu" && dir != "" && sha != "" { print dir, sha, size; exit }
    END { if (pkg == "criu" && dir != "" && sha != "") print dir, sha, size }' | head -n1)
  [ -n "${sha:-}" ] || { log "trixie's Sources index lists no $tarball"; exit 1; }
  log "fetching $directory/$tarball ($size bytes, sha256 $sha)"
  /usr/lib/apt/apt-helper "${apt_opts[@]}" download-file "$mirror/$directory/$tarball" \
    "$work/$tarball.part" "SHA256:$sha" >/dev/null
  # apt-helper checks the hash; check again here so that a wrong file never lands.
  echo "$sha  $work/$tarball.part" | sha256sum -c --quiet - || { rm -f "$work/$tarball.part"; exit 1; }
  mv "$work/$tarball.part" "$work/$tarball"
fi

# ---- the build -----------------------------------------------------------------------------
rm -rf "$src" && mkdir -p "$src"
tar -xJf "$work/$tarball" -C "$src" --strip-components=1
log "building in $src (make -j2)"
start=$(date +%s)
# Only the criu binary and crit's python sources; no docs (asciidoc/xmlto are not needed).
make -C "$src" -j2 criu >"$work/build.log" 2>&1 || { tail -n 40 "$work/build.log" >&2; log "make failed (log: $work/build.log)"; exit 1; }
log "built in $(( $(date +%s) - start )) s"
mkdir -p "$work/bin"
ln -sf "$src/criu/criu" "$bin"
"$bin" --version >&2
echo "$bin"
