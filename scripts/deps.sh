#!/usr/bin/env bash
# Installs what couponlib needs, idempotently: Debian packages already present
# are left alone and apt-get runs only when something is missing; each
# group's own step (pip, npm, go) is skipped when its stamp says it is done.
#
#   scripts/deps.sh core        build and test the library and couponc
#   scripts/deps.sh GROUP...    also other groups (see scripts/deps/)
#   scripts/deps.sh all         every group
#
# A group is scripts/deps/GROUP.apt (Debian packages, one per line, '#'
# comments) and optionally scripts/deps/GROUP.sh (run after the packages are
# installed; it must be idempotent and fast when there is nothing to do).
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)

groups=("$@")
[ ${#groups[@]} -eq 0 ] && groups=(core)
if [ "${groups[0]}" = all ]; then
    groups=()
    for f in "$here"/deps/*.apt; do groups+=("$(basename "$f" .apt)"); done
fi

want=()
for g in "${groups[@]}"; do
    [ -f "$here/deps/$g.apt" ] || { echo "deps: no group $g" >&2; exit 2; }
    while read -r p; do
        p=${p%%#*}; p=${p//[[:space:]]/}
        [ -n "$p" ] && want+=("$p")
    done <"$here/deps/$g.apt"
done

missing=()
for p in "${want[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
        missing+=("$p")
    fi
done

if [ ${#missing[@]} -gt 0 ]; then
    sudo=""
    if [ "$(id -u)" -ne 0 ]; then
        if command -v sudo >/dev/null 2>&1; then
            sudo="sudo"
        else
            echo "deps: need root to install: ${missing[*]}" >&2
            exit 1
        fi
    fi
    echo "deps: installing ${missing[*]}" >&2
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends \
        "${missing[@]}" >/dev/null
fi

for g in "${groups[@]}"; do
    if [ -f "$here/deps/$g.sh" ]; then
        bash "$here/deps/$g.sh"
    fi
done
