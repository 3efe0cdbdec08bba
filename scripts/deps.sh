#!/usr/bin/env bash
# Installs what couponlib needs from Debian, idempotently: packages already
# present are left alone, and apt-get runs only when something is missing.
#
#   scripts/deps.sh core      build and test the library and couponc
#   scripts/deps.sh all       everything (bindings, services, benchmarks)
set -euo pipefail

core=(gcc clang meson ninja-build pkg-config libyaml-dev libpcre2-dev libbsd-dev check
      valgrind tzdata python3 libclang-rt-14-dev)

want=("${core[@]}")

missing=()
for p in "${want[@]}"; do
    if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
        missing+=("$p")
    fi
done

if [ ${#missing[@]} -eq 0 ]; then
    exit 0
fi

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
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
