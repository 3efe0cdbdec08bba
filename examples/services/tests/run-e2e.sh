#!/usr/bin/env bash
# The end-to-end suite of the reference system (meson test, suite services):
# brings the whole system up from an empty state directory with the
# services of this build, runs tests/e2e.py through the gateway, and stops
# everything it started, also when something fails.
#
#   CL_BUILD_DIR, CL_STATE, CL_PORT_BASE   set by meson (see meson.build)
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../../.." && pwd)
cd "$root"
. scripts/deps/lib.sh

export CL_STATE=${CL_STATE:?} CL_BUILD_DIR=${CL_BUILD_DIR:?} CL_PORT_BASE=${CL_PORT_BASE:-28400}
# Sanitized services report leaks at exit; their reports go to their logs.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

trap 'scripts/system.sh down >/dev/null 2>&1 || true' EXIT
scripts/system.sh down >/dev/null 2>&1 || true
rm -rf "$CL_STATE"

t0=$(date +%s%N)
if ! CL_SKIP_DEPS=${CL_SKIP_DEPS:-0} scripts/system.sh up; then
    echo "the system did not come up; logs:"
    tail -n 30 "$CL_STATE"/logs/*.log 2>/dev/null
    echo "0 passed, 1 failed"
    exit 1
fi
t1=$(date +%s%N)
echo "system up in $(( (t1 - t0) / 1000000 )) ms"

eval "$(scripts/system.sh env)"
"$COUPONLIB_VENV/bin/python" "$here/e2e.py"
