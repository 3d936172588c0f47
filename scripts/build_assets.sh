#!/usr/bin/env bash
# Install the pinned front-end packages from frontend/package-lock.json and
# copy the few dist files the web app serves into zhufang/web/static/vendor/.
#
# Assets come from the npm registry at install time only: nothing is fetched
# when the app runs, and nothing in vendor/ points at a CDN.
#
# Skipped when vendor/.stamp matches the current lock file and this script
# (and every copied file is present). FORCE=1 rebuilds anyway.
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

log() { printf 'build_assets: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

FRONTEND=frontend
DEST=zhufang/web/static/vendor
STAMP="$DEST/.stamp"

# source (under frontend/node_modules) -> name in $DEST
ASSETS=(
    "echarts/dist/echarts.min.js:echarts.min.js"
    "htmx.org/dist/htmx.min.js:htmx.min.js"
    "@tabler/core/dist/css/tabler.min.css:tabler.min.css"
    "@tabler/core/dist/js/tabler.min.js:tabler.min.js"
)

[ -f "$FRONTEND/package-lock.json" ] || die "$FRONTEND/package-lock.json is missing"

want="$(cat "$FRONTEND/package.json" "$FRONTEND/package-lock.json" "${BASH_SOURCE[0]}" | sha256sum | cut -d' ' -f1)"

up_to_date() {
    [ "${FORCE:-0}" != 1 ] || return 1
    [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$want" ] || return 1
    local entry
    for entry in "${ASSETS[@]}"; do
        [ -s "$DEST/${entry#*:}" ] || return 1
    done
}

if up_to_date; then
    log "vendor assets up to date ($DEST)"
    exit 0
fi

command -v npm >/dev/null 2>&1 || die "npm not found (install nodejs and npm first)"

log "npm ci in $FRONTEND/"
(cd "$FRONTEND" && npm ci --no-audit --no-fund --ignore-scripts --loglevel=error) >&2

mkdir -p "${DEST%/*}"
tmp="$(mktemp -d "${DEST%/*}/.vendor.XXXXXX")"
trap 'rm -rf "$tmp"' EXIT

for entry in "${ASSETS[@]}"; do
    src="$FRONTEND/node_modules/${entry%%:*}"
    name="${entry#*:}"
    [ -s "$src" ] || die "$src not found in the installed package"
    # Drop source-map comments: the .map files are not shipped, and Django's
    # ManifestStaticFilesStorage fails collectstatic on a missing referenced file.
    sed -e 's@^//# sourceMappingURL=.*$@@' -e 's@/\*# sourceMappingURL=[^*]*\*/@@g' "$src" >"$tmp/$name"
    if grep -qE 'sourceMappingURL=|url\((["'"'"']?)(https?:)?//' "$tmp/$name"; then
        die "$name still references a source map or a remote URL"
    fi
done

echo "$want" >"$tmp/.stamp"
rm -rf "$DEST"
mv "$tmp" "$DEST"
chmod 755 "$DEST"
trap - EXIT

for entry in "${ASSETS[@]}"; do
    name="${entry#*:}"
    log "$DEST/$name ($(wc -c <"$DEST/$name") bytes)"
done
