#!/usr/bin/env bash
# npm packages the Node binding's tests use (not the binding itself, which
# needs none): TypeScript to type-check the TypeScript example against
# index.d.ts, with Node's types, and a YAML parser for the coupon test
# files. Installed once into $COUPONLIB_CACHE/node/node_modules, which the
# tests find through NODE_PATH; nothing is downloaded at test time.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"

want="typescript@5.9.3 yaml@2.9.1 @types/node@20.19.43"
dir="$COUPONLIB_CACHE/node"
if stamp_ok node "$want" && [ -x "$dir/node_modules/.bin/tsc" ]; then
    exit 0
fi
mkdir -p "$dir"
[ -f "$dir/package.json" ] || echo '{ "name": "couponlib-node-test-deps", "private": true }' >"$dir/package.json"
echo "deps: npm install $want" >&2
# shellcheck disable=SC2086
npm install --prefix "$dir" --no-audit --no-fund --no-save --loglevel=error $want >/dev/null
stamp_set node "$want"
