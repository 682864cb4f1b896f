# Sourced (bash) by the scripts that fetch Debian packages without installing them: a private apt
# state in $work/apt, which apt reads instead of the host's (Dir::Etc, Dir::State, Dir::Cache), so
# the host's sources, lists, dpkg state and architectures stay as they were. apt only downloads.
#   $work        the state's parent directory (.arm64, .arches, the kernel cache): set before
#   apt_archs    the Debian architectures the state lists, the first the default (unset: the host's)
#   apt_suite    unset: the host's own source entries, copied as they are (whatever mirror this
#                machine uses); set: one entry, the host's mirror with that suite (the kernel's
#                trixie, for its `arch: all` linux-source), signed by Debian's archive keyring
#   apt_types    that entry's type: deb (unset), or deb-src for source indexes only (CRIU's
#                tarball; no Packages index is fetched then)
# Used by scripts/arm64 (apt_archs=(arm64)), scripts/arches (ppc64el s390x), scripts/kernel
# (apt_suite) and scripts/criu (apt_suite, apt_types=deb-src).
apt_types=${apt_types:-deb}
apt_root=$work/apt
apt_opts=(
  -o "Dir::Etc=$apt_root/etc"
  -o "Dir::Etc::SourceList=$apt_root/etc/sources.list"
  -o "Dir::Etc::SourceParts=$apt_root/etc/sources.list.d"
  -o "Dir::Etc::Parts=$apt_root/etc/apt.conf.d"
  -o "Dir::Etc::PreferencesParts=$apt_root/etc/preferences.d"
  -o "Dir::Etc::Trusted=/etc/apt/trusted.gpg"
  -o "Dir::Etc::TrustedParts=/etc/apt/trusted.gpg.d"
  -o "Dir::State=$apt_root/state"
  -o "Dir::State::status=$apt_root/status"
  -o "Dir::Cache=$apt_root/cache"
  -o "APT::Sandbox::User=root"
  -o "Acquire::Languages=none"
  -o "Debug::NoLocking=1"
)
[ "$apt_types" != deb-src ] || apt_opts+=(-o "Acquire::IndexTargets::deb::Packages::DefaultEnabled=false")
if [ -n "${apt_archs+x}" ]; then
  apt_opts+=(-o "APT::Architecture=${apt_archs[0]}")
  for a in "${apt_archs[@]}"; do apt_opts+=(-o "APT::Architectures::=$a"); done
fi

# The mirror: the first URI of the host's entries for its own release (not -security, whose
# archive has no linux-source), from deb822 .sources or one-line .list files. Printed, not stored.
host_mirror() {
  local codename f
  codename=$(. /etc/os-release && printf '%s' "${VERSION_CODENAME:-}")
  for f in /etc/apt/sources.list.d/*.sources; do
    [ -f "$f" ] || continue
    awk -v c="$codename" 'BEGIN { RS = ""; FS = "\n" }
      { uri = ""; ok = 0
        for (i = 1; i <= NF; i++) {
          if ($i ~ /^URIs:/) { split($i, u, /[ \t]+/); uri = u[2] }
          if ($i ~ /^Suites:/) { m = split($i, s, /[ \t]+/); for (j = 2; j <= m; j++) if (s[j] == c) ok = 1 }
          if ($i ~ /^Types:/ && $i !~ /deb([ \t]|$)/) ok = -1
        }
        if (ok == 1 && uri != "") { print uri; exit } }' "$f"
  done | head -n1 | grep . && return 0
  for f in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
    [ -f "$f" ] || continue
    awk -v c="$codename" '$1 == "deb" { for (i = 2; i <= NF; i++) if ($i == c) { for (k = 2; k < NF; k++) if ($k ~ /:\/\//) { print $k; exit } } }' "$f"
  done | head -n1 | grep .
}

# Creates the state (see apt_suite above). Keeps an existing one.
apt_state_init() {
  local mirror
  mkdir -p "$apt_root"/{etc/apt.conf.d,etc/preferences.d,etc/sources.list.d,state/lists/partial,cache/archives/partial,debs}
  [ -f "$apt_root/status" ] || : > "$apt_root/status"
  if [ -z "${apt_suite:-}" ]; then
    [ -f "$apt_root/etc/sources.list" ] && return 0
    if [ -f /etc/apt/sources.list ]; then cp /etc/apt/sources.list "$apt_root/etc/sources.list"; else : > "$apt_root/etc/sources.list"; fi
    find /etc/apt/sources.list.d -maxdepth 1 \( -name '*.list' -o -name '*.sources' \) -exec cp {} "$apt_root/etc/sources.list.d/" \; 2>/dev/null || true
    return 0
  fi
  local entry=$apt_root/etc/sources.list.d/hwcap-suite.sources
  [ -s "$entry" ] && grep -qx "Suites: $apt_suite" "$entry" && grep -qx "Types: $apt_types" "$entry" && return 0
  mirror=$(host_mirror) || { echo "apt: no Debian mirror found in the host's apt sources" >&2; return 1; }
  : > "$apt_root/etc/sources.list"
  rm -f "$apt_root"/etc/sources.list.d/hwcap-*.sources
  printf 'Types: %s\nURIs: %s\nSuites: %s\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' \
    "$apt_types" "$mirror" "$apt_suite" > "$entry"
}

apt_update() {
  apt-get "${apt_opts[@]}" update -qq >/dev/null 2>"$apt_root/update.err" || { cat "$apt_root/update.err" >&2; return 1; }
}
