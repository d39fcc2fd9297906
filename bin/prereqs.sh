# Sourced by bin/multinet-proxy and bin/test: checks for the system parts the kernel dataplane uses
# (libnftables.so.1, nft, ip, conntrack; bin/test also dig) and, as root on Debian or Ubuntu, installs the missing ones
# with apt. Otherwise it prints one line naming what is missing and the command that installs it.
#
# Where it looks (both settable, e.g. for unusual layouts):
#   MULTINET_PREREQ_PATH     directories searched for commands; default: $PATH and the sbin dirs
#   MULTINET_PREREQ_LIBPATH  directories searched for libnftables.so.1; default: the dynamic
#                            loader's cache (ldconfig -p) and $LD_LIBRARY_PATH
#   MULTINET_OS_RELEASE      the os-release file naming the distribution; default: /etc/os-release

PREREQ_ALL=(libnftables.so.1 nft ip conntrack)
# What bin/test adds: the real DNS client the DNS tests query the node proxy with.
PREREQ_TEST=(dig)

# Prints the first executable NAME in the search path; fails when there is none.
prereq_find_command() {
  local dir IFS=:
  for dir in ${MULTINET_PREREQ_PATH:-$PATH:/usr/local/sbin:/usr/sbin:/sbin}; do
    if [ -n "$dir" ] && [ -x "$dir/$1" ] && [ ! -d "$dir/$1" ]; then
      echo "$dir/$1"
      return 0
    fi
  done
  return 1
}

# Whether the dynamic loader would find library $1 (a soname such as libnftables.so.1).
prereq_has_library() {
  local dir ldconfig dirs
  if [ -n "${MULTINET_PREREQ_LIBPATH+set}" ]; then
    dirs=$MULTINET_PREREQ_LIBPATH
  else
    dirs=${LD_LIBRARY_PATH:-}
    ldconfig=$(PATH=/usr/sbin:/sbin:/usr/bin:/bin command -v ldconfig) || ldconfig=""
    # Lines read "<TAB>libnftables.so.1 (libc6,x86-64) => /lib/.../libnftables.so.1".
    if [ -n "$ldconfig" ] && "$ldconfig" -p 2>/dev/null | awk -v n="$1" '$1 == n { f = 1 } END { exit !f }'; then
      return 0
    fi
  fi
  local IFS=:
  for dir in $dirs; do
    [ -n "$dir" ] && [ -e "$dir/$1" ] && return 0
  done
  return 1
}

# The distribution's ID and ID_LIKE words, lower case, on one line.
prereq_distribution() {
  local file=${MULTINET_OS_RELEASE:-/etc/os-release}
  [ -r "$file" ] || return 0
  # shellcheck disable=SC1090
  (. "$file" && echo "${ID:-} ${ID_LIKE:-}" | tr '[:upper:]' '[:lower:]')
}

# The package manager family for this distribution: apt, dnf, zypper, pacman, apk or unknown.
prereq_family() {
  local word
  for word in $(prereq_distribution); do
    case "$word" in
      debian | ubuntu) echo apt; return ;;
      fedora | rhel | centos) echo dnf; return ;;
      suse | opensuse*) echo zypper; return ;;
      arch) echo pacman; return ;;
      alpine) echo apk; return ;;
    esac
  done
  echo unknown
}

# The package providing prerequisite $2 in package family $1.
prereq_package() {
  case "$1:$2" in
    apt:libnftables.so.1) echo libnftables1 ;;
    zypper:libnftables.so.1) echo libnftables1 ;;
    *:libnftables.so.1 | *:nft) echo nftables ;;
    apt:ip | zypper:ip | pacman:ip | apk:ip) echo iproute2 ;;
    *:ip) echo iproute ;;
    apt:conntrack) echo conntrack ;;
    *:iptables-legacy-restore | *:iptables-nft-restore) echo iptables ;;
    *:conntrack) echo conntrack-tools ;;
    apt:dig) echo bind9-dnsutils ;;
    dnf:dig | zypper:dig) echo bind-utils ;;
    apk:dig) echo bind-tools ;;
    pacman:dig) echo bind ;;
    *) echo "$2" ;; # a command its own package provides, such as unzip
  esac
}

# The command that installs packages "$2..." with package family $1 (sudo unless root).
prereq_install_command() {
  local family=$1 sudo=""
  shift
  [ "$(id -u)" -eq 0 ] || sudo="sudo "
  case "$family" in
    apt) echo "${sudo}apt-get install -y $*" ;;
    dnf) echo "${sudo}dnf install -y $*" ;;
    zypper) echo "${sudo}zypper install -y $*" ;;
    pacman) echo "${sudo}pacman -S --needed $*" ;;
    apk) echo "${sudo}apk add $*" ;;
  esac
}

# Sets PREREQ_MISSING to the prerequisites among "$@" that are absent.
prereq_missing() {
  local p
  PREREQ_MISSING=()
  for p in "$@"; do
    case "$p" in
      *.so.*) prereq_has_library "$p" || PREREQ_MISSING+=("$p") ;;
      *) prereq_find_command "$p" >/dev/null || PREREQ_MISSING+=("$p") ;;
    esac
  done
}

# Joins "$@" with ", ".
prereq_join() {
  local out="" x
  for x in "$@"; do out+="${out:+, }$x"; done
  echo "$out"
}

# prereq_ensure WHO NO_INSTALL PREREQ...: returns when every PREREQ is present, installing the
# missing ones with apt when running as root on Debian/Ubuntu and NO_INSTALL is 0; otherwise prints
# one line on stderr (prefixed WHO) naming what is missing and how to install it, and exits 2.
prereq_ensure() {
  local who=$1 no_install=$2
  shift 2
  prereq_missing "$@"
  [ ${#PREREQ_MISSING[@]} -eq 0 ] && return 0

  local family packages=() p pkg missing
  family=$(prereq_family)
  missing=$(prereq_join "${PREREQ_MISSING[@]}")
  if [ "$family" = unknown ]; then
    echo "$who: missing $missing; install the packages that provide them (nftables with libnftables, iproute2, conntrack-tools), then run this again" >&2
    exit 2
  fi
  for p in "${PREREQ_MISSING[@]}"; do
    pkg=$(prereq_package "$family" "$p")
    case " ${packages[*]} " in *" $pkg "*) ;; *) packages+=("$pkg") ;; esac
  done
  local install
  install=$(prereq_install_command "$family" "${packages[@]}")
  if [ "$no_install" != 0 ] || [ "$family" != apt ] || [ "$(id -u)" -ne 0 ]; then
    echo "$who: missing $missing; install with: $install" >&2
    exit 2
  fi

  echo "$who: installing ${packages[*]} with apt-get (missing: $missing)" >&2
  local log rc=0
  log=$(mktemp)
  # A stale package index cannot locate the packages: refresh it only then.
  prereq_apt_install "${packages[@]}" >"$log" 2>&1 \
    || { apt-get -q update >>"$log" 2>&1 && prereq_apt_install "${packages[@]}" >>"$log" 2>&1; } \
    || rc=$?
  if [ "$rc" -ne 0 ]; then
    local last
    last=$(grep -E '^(E|W):' "$log" | tail -n 1) || true
    [ -n "$last" ] || last=$(tail -n 1 "$log")
    echo "$who: '$install' failed (exit $rc): $last" >&2
    rm -f "$log"
    exit 2
  fi
  rm -f "$log"
  prereq_missing "$@"
  if [ ${#PREREQ_MISSING[@]} -ne 0 ]; then
    echo "$who: still missing $(prereq_join "${PREREQ_MISSING[@]}") after '$install'" >&2
    exit 2
  fi
}

prereq_apt_install() {
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends \
    -o DPkg::Lock::Timeout=300 "$@"
}
