#!/usr/bin/env bash
# playwright-core for the console's browser tests, installed once into
# $COUPONLIB_CACHE/console/node_modules (the tests find it there). It drives
# Debian's /usr/bin/chromium: playwright-core downloads no browser, and
# nothing is downloaded at test time.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"

want="playwright-core@1.65.1"
dir="$COUPONLIB_CACHE/console"
if stamp_ok console "$want" && [ -f "$dir/node_modules/playwright-core/package.json" ]; then
    exit 0
fi
mkdir -p "$dir"
[ -f "$dir/package.json" ] || echo '{ "name": "couponlib-console-test-deps", "private": true }' >"$dir/package.json"
echo "deps: npm install $want" >&2
npm install --prefix "$dir" --no-audit --no-fund --no-save --loglevel=error "$want" >/dev/null
stamp_set console "$want"
