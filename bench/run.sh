#!/usr/bin/env bash
# bench/run.sh: couponlib side by side with the engines a shop would pick
# instead (issue 8), on five workloads, and the table of medians and ratios.
#
#   bench/run.sh [--quick] [--smoke] [--docs] [--out DIR] [--only LIST]
#
#   W1  one coupon of seven conditions and a capped percent, a 10-line cart
#   W2  the best choice among 10,000 coupons for a 10-line cart
#   W3  one coupon against 1,000,000 distinct carts
#   W4  compiling 10,000 coupons
#   W5  1,000,000 unique codes
#
# couponlib runs through its C API (bench/c/cbench), its Node binding and its
# Python binding; the hand-written C of bench/c/floor.c is W1's floor. The
# peers: @gorules/zen-engine, json-rules-engine and @marcbachmann/cel-js
# from Node; zen-engine and rule-engine from Python (scripts/deps/bench.sh
# installs them, pinned, once). Every runner decides on the same carts and
# reports what it decided; the table says whether each matches couponlib's.
#
#   --quick   fewer and shorter runs, W3's slow runners on samples (minutes)
#   --smoke   the C API only, one run each (seconds): what the test suite runs
#   --docs    also writes the table and the plot into docs/PERFORMANCE.md
#             and docs/performance.svg
#   --out     where the results go (default build/bench/results)
#   --only    runners to run: c, node, python (default all three)
#   --build   an existing meson build directory to take cbench from, instead
#             of the optimized one this script makes (the smoke test)
#
# Figures are CPU time (process or thread, so that other programs on a
# shared machine are not counted), medians of repeated runs; the spread is
# shown. Nothing here asserts a timing. Needs internet access only the first
# time, for the peers (npm, PyPI) and Debian packages.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
quick=() smoke=0 docs=0 out="" only="c,node,python" given=""
while [ $# -gt 0 ]; do
    case $1 in
        --quick) quick=(--quick) ;;
        --smoke) smoke=1 quick=(--quick) only=c ;;
        --docs) docs=1 ;;
        --out) out=$2; shift ;;
        --only) only=$2; shift ;;
        --build) given=$(cd "$2" && pwd); shift ;;
        *) echo "usage: bench/run.sh [--quick] [--smoke] [--docs] [--out DIR] [--only c,node,python]" >&2
           exit 2 ;;
    esac
    shift
done
has() { [[ ",$only," == *",$1,"* ]]; }
say() { echo "bench: $*" >&2; }

build=${given:-$root/build/bench}
out=${out:-$build/results}
if [ $smoke = 0 ]; then
    "$root/scripts/deps.sh" core node python bench
fi
. "$root/scripts/deps/lib.sh"

# An optimized build of its own, with the Node addon when node and swig
# are there.
if [ -z "$given" ]; then
    if [ ! -f "$build/build.ninja" ]; then
        say "meson setup $build (release)"
        meson setup "$build" "$root" -Dbuildtype=release -Db_ndebug=true >/dev/null
    fi
    ninja -C "$build" -j2 bench/cbench src/couponc >/dev/null
fi
if has node; then
    [ -n "$given" ] || ninja -C "$build" -j2 bindings/node/couponlib_native.node >/dev/null
    export COUPONLIB_NODE_ADDON="$build/bindings/node/couponlib_native.node"
fi

# The Python binding, installed as a user would into a virtualenv of the
# benchmark that also sees the project's (where the peers are).
py="$build/venv/bin/python"
if has python; then
    if [ ! -x "$py" ]; then
        "$COUPONLIB_VENV/bin/python" -m venv "$build/venv"
        site=$("$py" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])')
        "$COUPONLIB_VENV/bin/python" -c 'import sysconfig; print(sysconfig.get_paths()["purelib"])' \
            >"$site/couponlib-bench-peers.pth"
    fi
    stamp="$build/venv/couponlib.stamp"
    want=$(cd "$root" && cat src/*.c src/*.h include/couponlib/*.h bindings/python/couponlib/*.py \
           bindings/python/*.c bindings/python/*.h bindings/python/*.i | sha1sum)
    if [ ! -f "$stamp" ] || [ "$(cat "$stamp")" != "$want" ]; then
        say "pip install bindings/python (offline)"
        COUPONLIB_BUILD_DIR="$build/pyobjects" "$py" -m pip install --no-index --no-deps \
            --force-reinstall --quiet --disable-pip-version-check "$root/bindings/python"
        echo "$want" >"$stamp"
    fi
fi

data="$out/data"
python3 "$root/bench/workloads.py" "$data"
mkdir -p "$out"
results="$out/results.jsonl"
: >"$results"

loadavg() { cut -d' ' -f1-3 /proc/loadavg; }
load_before=$(loadavg)

if [ $smoke = 1 ]; then
    "$build/bench/cbench" "$data" "$root/bench/w1.yaml" --smoke W1 W1-floor W2 W3 W3-floor W4 W5 >>"$results"
else
    if has c; then
        say "C API (bench/c/cbench)"
        nice "$build/bench/cbench" "$data" "$root/bench/w1.yaml" "${quick[@]}" >>"$results"
    fi
    if has node; then
        say "Node (bench/node/run.js)"
        COUPONLIB_BENCH_PEERS="$COUPONLIB_CACHE/bench-node/node_modules" \
            nice node "$root/bench/node/run.js" "$data" "$root/bench/w1.yaml" "${quick[@]}" >>"$results"
    fi
    if has python; then
        say "Python (bench/python/run.py)"
        nice "$py" "$root/bench/python/run.py" "$data" "$root/bench/w1.yaml" "${quick[@]}" >>"$results"
    fi
fi

load_after=$(loadavg)
cpu=$(lscpu 2>/dev/null | sed -n 's/^Model name:[[:space:]]*//p' | head -1)
version=$("$build/src/couponc" --version 2>/dev/null | head -1 || true)
node_v=$(node --version 2>/dev/null || echo none)
py_v=$("$py" --version 2>/dev/null || python3 --version)
cc_v=$(cc --version | head -1)
python3 - "$out/machine.json" <<EOF
import json, sys
json.dump({"cpu": "${cpu:-unknown}", "cores": "$(nproc)", "load_before": "$load_before",
           "load_after": "$load_after", "version": "${version#couponc }",
           "system": "$(uname -sr), $cc_v, node $node_v, $py_v",
           "date": "$(date -u +%Y-%m-%d)"}, open(sys.argv[1], "w"))
EOF

status=0
counts=()
[ $smoke = 1 ] && counts=(BENCH_COUNTS=1)
env "${counts[@]}" python3 "$root/bench/report.py" "$results" "$out/machine.json" "$out" || status=$?
if command -v gnuplot >/dev/null && [ -s "$out/speedups.dat" ] && grep -q '^"' "$out/speedups.dat"; then
    gnuplot -e "data='$out/speedups.dat'; out='$out/performance.svg'" "$root/bench/plot.gp"
    say "plot: $out/performance.svg"   # on stderr: the table's last line stays last
fi
if [ $docs = 1 ]; then
    python3 - "$root/docs/PERFORMANCE.md" "$out/table.md" <<'EOF'
import sys
doc, table = sys.argv[1], open(sys.argv[2], encoding="utf-8").read()
text = open(doc, encoding="utf-8").read()
begin, end = "<!-- bench/run.sh table -->\n", "<!-- end of the table -->\n"
i, j = text.index(begin) + len(begin), text.index(end)
open(doc, "w", encoding="utf-8").write(text[:i] + table + text[j:])
EOF
    [ -f "$out/performance.svg" ] && cp "$out/performance.svg" "$root/docs/performance.svg"
    say "docs/PERFORMANCE.md and docs/performance.svg updated"
fi
exit $status
