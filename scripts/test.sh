#!/usr/bin/env bash
# The whole test suite, from a fresh machine: installs what it needs, builds
# with gcc (-Werror) and with clang under AddressSanitizer and
# UndefinedBehaviorSanitizer (-Werror), runs every test in both builds, runs
# the core tests again under valgrind, runs each fuzz target briefly, prints
# the coverage of src/, and ends with "N passed, M failed".
set -uo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)

scripts/deps.sh all || { echo "0 passed, 1 failed"; exit 1; }

logs=()
status=0

# setup DIR ARGS...: configures a build directory once, then reuses it.
setup() {
    local dir=$1; shift
    if [ -f "$dir/build.ninja" ]; then
        meson setup --reconfigure "$dir" "$@" >/dev/null || return 1
    else
        meson setup "$dir" "$@" >/dev/null || return 1
    fi
}

# run NAME DIR SETUP [MESON-TEST-ARGS...]: runs one test pass ("-" for no
# setup) and keeps its JSON log under a name of its own.
run() {
    local name=$1 dir=$2 setup=$3; shift 3
    local args=() log=testlog.json
    if [ "$setup" != "-" ]; then
        args=(--setup "$setup")
        log="testlog-$setup.json"
    fi
    echo "== tests: $name (at ${SECONDS} s)"
    rm -f "$dir/meson-logs/$log"
    meson test -C "$dir" --print-errorlogs --num-processes 2 "${args[@]}" "$@" || status=1
    cp "$dir/meson-logs/$log" "$dir/meson-logs/run-$name.json" 2>/dev/null
    logs+=("$root/$dir/meson-logs/run-$name.json")
}

echo "== build: gcc (at ${SECONDS} s)"
if setup build/gcc -Dwerror=true -Dbuildtype=debugoptimized && ninja -C build/gcc; then
    run gcc build/gcc -
    run valgrind build/gcc valgrind --suite core
else
    echo "gcc build failed"; status=1; logs+=("build-failed:gcc")
fi

echo "== build: clang with ASan and UBSan (at ${SECONDS} s)"
if CC=clang setup build/asan -Dwerror=true -Dbuildtype=debug -Db_sanitize=address,undefined \
        -Db_lundef=false && ninja -C build/asan; then
    run asan build/asan asan
else
    echo "clang build failed"; status=1; logs+=("build-failed:clang")
fi

# --- Hardening (docs/robustness.md) ------------------------------------
# Each libFuzzer target for FUZZ_SECONDS (20) from its corpus: its JSON log
# is counted like the others. Then the coverage figure of src/ (a gcc build
# with -Db_coverage=true running the suite again; the figure is printed, a
# failure to measure it fails the run).
echo "== fuzz: each target for ${FUZZ_SECONDS:-20} s (at ${SECONDS} s)"
rm -f build/fuzz/fuzz-log.json
FUZZ_SEED=1 scripts/fuzz.sh "${FUZZ_SECONDS:-20}" || status=1
logs+=("$root/build/fuzz/fuzz-log.json")
echo "== coverage (at ${SECONDS} s)"
scripts/coverage.sh >build/coverage.log 2>&1 || { status=1; tail -5 build/coverage.log; }
grep '^coverage:' build/coverage.log
# ------------------------------------------------------------------------

echo "== done in ${SECONDS} s"
python3 scripts/summarize.py "${logs[@]}"
summary=$?
[ $summary -ne 0 ] && status=1
exit $status
