# Sourced by scripts/kernel/build.sh and scripts/kernel/initramfs.sh: a private apt state (.kernel/apt) that lists the machine's
# own Debian mirror with the suite `trixie` (Debian 13), whose linux-source-6.12 is an
# `arch: all` package. The host's apt sources, lists and dpkg state stay as they were: apt reads
# only this directory (Dir::Etc, Dir::State, Dir::Cache) and only downloads (never installs).
# Needs $work (the .kernel directory). HWCAP_KERNEL_SUITE overrides the suite.
apt_root=$work/apt
kernel_suite=${HWCAP_KERNEL_SUITE:-trixie}
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

# Creates the state with one entry: <mirror> <suite> main, signed by Debian's archive keyring.
# Keeps an existing state.
apt_state_init() {
  local mirror
  mkdir -p "$apt_root"/{etc/apt.conf.d,etc/preferences.d,etc/sources.list.d,state/lists/partial,cache/archives/partial,debs}
  [ -f "$apt_root/status" ] || : > "$apt_root/status"
  [ -s "$apt_root/etc/sources.list.d/hwcap-kernel.sources" ] && return 0
  mirror=$(host_mirror) || { echo "kernel: no Debian mirror found in the host's apt sources" >&2; return 1; }
  : > "$apt_root/etc/sources.list"
  printf 'Types: deb\nURIs: %s\nSuites: %s\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' \
    "$mirror" "$kernel_suite" > "$apt_root/etc/sources.list.d/hwcap-kernel.sources"
}

apt_update() {
  apt-get "${apt_opts[@]}" update -qq >/dev/null 2>"$apt_root/update.err" || { cat "$apt_root/update.err" >&2; return 1; }
}
