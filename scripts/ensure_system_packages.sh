#!/usr/bin/env bash
# Make sure the given Debian packages are installed.
#
#   scripts/ensure_system_packages.sh PKG...
#
# Packages dpkg already reports as installed are skipped. If any are missing,
# `apt-get update` runs once and the missing ones are installed with
# --no-install-recommends. Needs root, or sudo when run as another user.
set -euo pipefail

log() { printf 'ensure_system_packages: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

[ "$#" -gt 0 ] || exit 0

if ! command -v dpkg-query >/dev/null 2>&1 || ! command -v apt-get >/dev/null 2>&1; then
    die "dpkg/apt-get not found: this needs a Debian-based system (wanted: $*)"
fi

is_installed() {
    [ "$(dpkg-query -W -f='${Status}' "$1" 2>/dev/null || true)" = "install ok installed" ]
}

missing=()
for pkg in "$@"; do
    if is_installed "$pkg"; then
        continue
    fi
    missing+=("$pkg")
done

if [ "${#missing[@]}" -eq 0 ]; then
    log "already installed: $*"
    exit 0
fi

as_root=()
if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null 2>&1 \
        || die "not root and sudo is not available; install these as root: ${missing[*]}"
    as_root=(sudo)
fi

apt_opts=(-q -o DPkg::Lock::Timeout=300)

log "installing: ${missing[*]}"
"${as_root[@]}" env DEBIAN_FRONTEND=noninteractive apt-get "${apt_opts[@]}" update >&2
"${as_root[@]}" env DEBIAN_FRONTEND=noninteractive \
    apt-get "${apt_opts[@]}" install -y --no-install-recommends "${missing[@]}" >&2

for pkg in "${missing[@]}"; do
    is_installed "$pkg" || die "$pkg is still not installed after apt-get install"
done
log "installed: ${missing[*]}"
