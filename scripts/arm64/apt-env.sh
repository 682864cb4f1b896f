# Sourced by scripts/arm64/install.sh and scripts/arm64/system.sh: the private apt state that
# fetches arm64 packages (.arm64/apt). It lists only arm64, so the host's dpkg keeps its
# architectures and its apt lists stay as they were. Needs $work (the .arm64 directory).
# scripts/arches/install.sh sources it too, with $work=.arches and apt_archs=(ppc64el s390x):
# the Debian architectures the state lists, the first one the default (arm64 when unset).
[ -n "${apt_archs+x}" ] || apt_archs=(arm64)
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
  -o "APT::Architecture=${apt_archs[0]}"
  -o "APT::Sandbox::User=root"
  -o "Acquire::Languages=none"
  -o "Debug::NoLocking=1"
)
for a in "${apt_archs[@]}"; do apt_opts+=(-o "APT::Architectures::=$a"); done

# Creates the state with the host's own source entries (whatever Debian mirror this machine
# uses), copied as they are. Keeps an existing state.
apt_state_init() {
  mkdir -p "$apt_root"/{etc/apt.conf.d,etc/preferences.d,etc/sources.list.d,state/lists/partial,cache/archives/partial,debs}
  [ -f "$apt_root/status" ] || : > "$apt_root/status"
  [ -f "$apt_root/etc/sources.list" ] && return 0
  if [ -f /etc/apt/sources.list ]; then cp /etc/apt/sources.list "$apt_root/etc/sources.list"; else : > "$apt_root/etc/sources.list"; fi
  find /etc/apt/sources.list.d -maxdepth 1 \( -name '*.list' -o -name '*.sources' \) -exec cp {} "$apt_root/etc/sources.list.d/" \; 2>/dev/null || true
}

apt_update() {
  apt-get "${apt_opts[@]}" update -qq >/dev/null 2>"$apt_root/update.err" || { cat "$apt_root/update.err" >&2; return 1; }
}
