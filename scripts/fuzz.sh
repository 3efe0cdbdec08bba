#!/usr/bin/env bash
# Runs the libFuzzer targets of tests/fuzz (docs/robustness.md).
#
#   scripts/fuzz.sh [SECONDS [TARGET...]]
#
# Builds them once in build/fuzz (clang, -Dfuzz=true, ASan and UBSan), then
# runs each TARGET (default: compile load context best) for SECONDS seconds
# (default 25) at low priority. Each run starts from the seed corpus
# (tests/fuzz/corpus/T) and the regression cases (tests/fuzz/regress/T),
# with the target's dictionary, and keeps what it finds in build/fuzz/corpus/T,
# so later runs go on from there. A crash, leak, timeout or sanitizer report
# leaves its input in build/fuzz/artifacts/T/: copy it into
# tests/fuzz/regress/T/ once fixed, so that the suite replays it for ever.
#
# FUZZ_SEED=N fixes libFuzzer's random seed (0, the default: a new one each
# run); scripts/test.sh uses 1, so that CI runs the same mutations each time.
#
# Writes build/fuzz/fuzz-log.json (one meson-style JSON line per target, for
# scripts/summarize.py), appends each run to build/fuzz/history.txt, and
# ends with "N passed, M failed". Exit status 1 when a target failed.
set -uo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
secs=${1:-25}
[ $# -gt 0 ] && shift
targets=("$@")
[ ${#targets[@]} -eq 0 ] && targets=(compile load context best)
dir=build/fuzz

if [ -f "$dir/build.ninja" ]; then
    meson setup --reconfigure "$dir" >/dev/null || { echo "fuzz: setup failed"; echo "0 passed, 1 failed"; exit 1; }
else
    CC=clang meson setup "$dir" -Dfuzz=true -Dwerror=true -Dbuildtype=debugoptimized \
        -Db_sanitize=address,undefined -Db_lundef=false >/dev/null ||
        { echo "fuzz: setup failed"; echo "0 passed, 1 failed"; exit 1; }
fi
bins=()
for t in "${targets[@]}"; do bins+=("tests/fuzz/fuzz_$t"); done
if ! ninja -C "$dir" -j2 "${bins[@]}" >"$dir/fuzz-build.log" 2>&1; then
    tail -20 "$dir/fuzz-build.log"
    echo "fuzz: build failed"; echo "0 passed, 1 failed"; exit 1
fi

export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-halt_on_error=1:print_stacktrace=1}
log="$dir/fuzz-log.json"
: >"$log"
passed=0 failed=0
for t in "${targets[@]}"; do
    work="$dir/corpus/$t" art="$dir/artifacts/$t"
    mkdir -p "$work" "$art"
    dict=()
    [ -f "tests/fuzz/$t.dict" ] && dict=(-dict="tests/fuzz/$t.dict")
    out="$dir/fuzz-$t.log"
    start=$SECONDS
    nice -n 10 "$dir/tests/fuzz/fuzz_$t" -max_total_time="$secs" -timeout=10 -seed="${FUZZ_SEED:-0}" \
        -rss_limit_mb=2048 -print_final_stats=1 -artifact_prefix="$art/" "${dict[@]}" \
        "$work" "tests/fuzz/corpus/$t" "tests/fuzz/regress/$t" >"$out" 2>&1
    rc=$?
    took=$((SECONDS - start))
    execs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$out" | tail -1)
    cov=$(grep -o 'cov: [0-9]*' "$out" | tail -1)
    if [ $rc -eq 0 ]; then
        result=OK; passed=$((passed + 1))
        echo "fuzz_$t: ok, ${took}s, ${execs:-?} executions, ${cov:-cov: ?}"
    else
        result=FAIL; failed=$((failed + 1))
        echo "fuzz_$t: FAILED (exit $rc) after ${took}s, see $out and $art/"
        grep -E "ERROR|runtime error|fuzz: |SUMMARY" "$out" | head -5
    fi
    echo "$(date -u +%FT%TZ) $t ${took}s ${execs:-0} $result" >>"$dir/history.txt"
    python3 - "$t" "$result" "$out" >>"$log" <<'PY'
import json, sys
name, result, path = sys.argv[1:4]
text = open(path, errors="replace").read()[-4000:]
print(json.dumps({"name": "fuzz_" + name, "result": result, "stdout": text}))
PY
done
echo "$passed passed, $failed failed"
[ $failed -eq 0 ]
