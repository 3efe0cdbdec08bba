#!/usr/bin/env bash
# The coupon console's browser tests (meson test, suite console): brings the
# whole system up from an empty state directory with the services of this
# build (as run-e2e.sh does), runs tests/console.mjs in headless Chromium
# against the console the gateway serves, and stops everything it started,
# also when something fails.
#
#   CL_BUILD_DIR, CL_STATE, CL_PORT_BASE   set by meson (see meson.build)
#   CL_CONSOLE_SHOTS                       where the screenshots go
#                                          (default: $CL_STATE/../console-shots;
#                                          docs/console to refresh the docs')
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../../.." && pwd)
cd "$root"
. scripts/deps/lib.sh

export CL_STATE=${CL_STATE:?} CL_BUILD_DIR=${CL_BUILD_DIR:?} CL_PORT_BASE=${CL_PORT_BASE:-29200}
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
shots=${CL_CONSOLE_SHOTS:-$(dirname "$CL_STATE")/console-shots}
mkdir -p "$shots"
export CL_CONSOLE_SHOTS=$(cd "$shots" && pwd)

if [ "${CL_SKIP_DEPS:-0}" != 1 ]; then
    scripts/deps.sh console >/dev/null || { echo "0 passed, 1 failed"; exit 1; }
fi

trap 'scripts/system.sh down >/dev/null 2>&1 || true' EXIT
scripts/system.sh down >/dev/null 2>&1 || true
rm -rf "$CL_STATE"

if ! CL_SKIP_DEPS=${CL_SKIP_DEPS:-0} scripts/system.sh up; then
    echo "the system did not come up; logs:"
    tail -n 30 "$CL_STATE"/logs/*.log 2>/dev/null
    echo "0 passed, 1 failed"
    exit 1
fi

eval "$(scripts/system.sh env)"
node "$here/console.mjs"
rc=$?
scripts/system.sh down >/dev/null 2>&1 || true
# the sanitized services report at exit, into their logs
if grep -l -E "ERROR: (Address|Leak)Sanitizer|runtime error:" "$CL_STATE"/logs/*.log 2>/dev/null; then
    echo "sanitizer reports in the services' logs"
    rc=1
fi
exit $rc
