#!/usr/bin/env bash
# The engines bench/run.sh measures couponlib against (issue 8): from npm
# @gorules/zen-engine, json-rules-engine and @marcbachmann/cel-js, installed
# once into $COUPONLIB_CACHE/bench-node; from PyPI zen-engine and
# rule-engine, into the project's virtualenv. Pinned, so that every run
# measures the same peers; nothing is downloaded when the stamps are current.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
. "$here/lib.sh"

want="@gorules/zen-engine@0.54.0 json-rules-engine@7.3.1 @marcbachmann/cel-js@8.0.0"
dir="$COUPONLIB_CACHE/bench-node"
if ! stamp_ok bench-node "$want" || [ ! -d "$dir/node_modules/@gorules/zen-engine" ]; then
    mkdir -p "$dir"
    [ -f "$dir/package.json" ] ||
        echo '{ "name": "couponlib-bench-peers", "private": true }' >"$dir/package.json"
    echo "deps: npm install $want" >&2
    # shellcheck disable=SC2086
    npm install --prefix "$dir" --no-audit --no-fund --no-save --loglevel=error $want >/dev/null
    stamp_set bench-node "$want"
fi

venv_install zen-engine==2.1.3 rule-engine==5.1.0
