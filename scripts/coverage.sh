#!/usr/bin/env bash
# Line and branch coverage of the library's sources (docs/robustness.md).
#
#   scripts/coverage.sh
#
# Builds with gcc and -Db_coverage=true in build/coverage (no optimisation,
# so that lines and branches are the source's), runs the test suite there
# but for the reference services and the bindings (which test themselves,
# not the library) and time-symbols (which gcov's runtime would fail), and
# measures src/*.c with gcovr (scripts/deps.sh hard).
# src/cli (couponc) is measured apart and left out of the figure: it is the
# command line's glue, tested through its own use in the suite, and its
# error paths for unreadable files and bad usage are not the library's.
#
# Prints the per-file table, then the two figures:
#   coverage: src/ lines 96.0% (N of M), branches 86.0% (N of M)
# and writes build/coverage/coverage.txt and coverage.json.
set -uo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
dir=build/coverage
. scripts/deps/lib.sh
gcovr="$COUPONLIB_VENV/bin/gcovr"
[ -x "$gcovr" ] || { echo "coverage: gcovr missing: run scripts/deps.sh hard"; exit 1; }

if [ -f "$dir/build.ninja" ]; then
    meson setup --reconfigure "$dir" >/dev/null || exit 1
else
    CC=gcc meson setup "$dir" -Db_coverage=true -Dbuildtype=debug -Dwerror=true >/dev/null || exit 1
fi
ninja -C "$dir" -j2 >"$dir/coverage-build.log" 2>&1 || { tail -20 "$dir/coverage-build.log"; exit 1; }
find "$dir" -name '*.gcda' -delete
status=0
# Every test but the services' and the bindings', and time-symbols, which
# checks the shared library's imports (gcov's runtime adds its own).
skip=(--no-suite services --no-suite reliability --no-suite python --no-suite node)
mapfile -t tests < <(meson test -C "$dir" --list "${skip[@]}" 2>/dev/null |
                     sed -n 's|^[^ ]* / ||p' | grep -vx time-symbols)
meson test -C "$dir" --num-processes 2 "${tests[@]}" >"$dir/coverage-tests.log" 2>&1 ||
    { status=1; grep -E "FAIL|TIMEOUT" "$dir/coverage-tests.log"; }

common=(--root "$root" --gcov-ignore-parse-errors=negative_hits.warn
        --exclude-unreachable-branches --exclude "$dir/" "$dir")
"$gcovr" "${common[@]}" --filter 'src/' --exclude 'src/cli/' --txt "$dir/coverage.txt" \
    --json-summary "$dir/coverage.json" >/dev/null 2>"$dir/gcovr.log" || status=1
"$gcovr" "${common[@]}" --filter 'src/' --exclude 'src/cli/' --txt-metric branch \
    --txt "$dir/coverage-branches.txt" >/dev/null 2>>"$dir/gcovr.log" || status=1
"$gcovr" "${common[@]}" --filter 'src/cli/' --json-summary "$dir/coverage-cli.json" \
    >/dev/null 2>>"$dir/gcovr.log" || status=1
cat "$dir/coverage.txt"
python3 - "$dir/coverage.json" "$dir/coverage-cli.json" <<'PY'
import json, sys
def fig(path):
    s = json.load(open(path))
    return (s["line_percent"], s["line_covered"], s["line_total"],
            s["branch_percent"], s["branch_covered"], s["branch_total"])
lib, cli = fig(sys.argv[1]), fig(sys.argv[2])
print("coverage: src/ lines %.1f%% (%d of %d), branches %.1f%% (%d of %d)" % lib)
print("coverage: src/cli lines %.1f%% (%d of %d), branches %.1f%% (%d of %d)" % cli)
PY
exit $status
