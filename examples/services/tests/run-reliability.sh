#!/usr/bin/env bash
# The reliability suite of the reference system (meson test, suite
# reliability; scripts/reliability.sh for the long form): brings the whole
# system up from an empty state directory with two checkout replicas and
# the gateway's rate limits raised (the rate-limit test lowers them again),
# runs tests/reliability.py, and stops everything it started, also when
# something fails.
#
#   CL_BUILD_DIR, CL_STATE, CL_PORT_BASE   set by meson (see meson.build)
#   CL_SANITIZED=1                         a sanitized build: no load figures
#   arguments                              passed to reliability.py (--full, --only ...)
set -uo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../../.." && pwd)
cd "$root"
. scripts/deps/lib.sh

export CL_STATE=${CL_STATE:?} CL_BUILD_DIR=${CL_BUILD_DIR:?} CL_PORT_BASE=${CL_PORT_BASE:-28800}
export CL_REPLICAS=checkout=2
# high enough for 200 checkouts at once from one address; the rate-limit
# test puts the defaults back for its own part
for v in LOGIN REGISTER VALIDATE CHECKOUT; do
    export "CL_${v}_RATE=100000r/s" "CL_${v}_BURST=100000"
done
# a request waits for a PostgreSQL connection up to 5 s and then answers 503
# (SVC_PG_WAIT_MS); a burst of 200 on a sanitized build can take longer than
# that, and the bursts want every request decided by the coupon's limits
export SVC_PG_WAIT_MS=${SVC_PG_WAIT_MS:-60000}
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}

if [ "${CL_SKIP_DEPS:-0}" != 1 ]; then
    scripts/deps.sh reliability || { echo "0 passed, 1 failed"; exit 1; }
fi

# meson ends a test that runs out of time with SIGTERM and, half a second
# later, SIGKILL to its process group: too soon for the trap below to stop
# the servers, and PostgreSQL, Redis and NGINX run as daemons outside the
# group. A watchdog in a session of its own stops them when this script is
# gone without having done so (its mark, next to the state directory, is
# still there); a later run removes the marks of earlier ones first, so that
# no old watchdog can stop the new run's system.
rm -f "$CL_STATE".running.*
mark=$CL_STATE.running.$$
mkdir -p "$(dirname "$CL_STATE")"
: >"$mark"
setsid bash -c 'while [ -e "$1" ] && kill -0 "$2" 2>/dev/null; do sleep 1; done
                [ -e "$1" ] && { scripts/system.sh down; rm -f "$1"; }' \
    watchdog "$mark" $$ </dev/null >/dev/null 2>&1 &
trap 'scripts/system.sh down >/dev/null 2>&1 || true; rm -f "$mark"' EXIT
scripts/system.sh down >/dev/null 2>&1 || true
rm -rf "$CL_STATE"
# Another system on these ports (another build's or checkout's run of this
# suite) would answer in place of ours: refuse to start rather than test it.
for off in $(seq 0 99); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$((CL_PORT_BASE + off))") 2>/dev/null; then
        echo "port $((CL_PORT_BASE + off)) (CL_PORT_BASE + $off) is in use: another system runs there"
        echo "0 passed, 1 failed"
        exit 1
    fi
done

if ! CL_SKIP_DEPS=${CL_SKIP_DEPS:-0} scripts/system.sh up; then
    echo "the system did not come up; logs:"
    tail -n 30 "$CL_STATE"/logs/*.log 2>/dev/null
    echo "0 passed, 1 failed"
    exit 1
fi

eval "$(scripts/system.sh env)"
extra=()
[ "${CL_SANITIZED:-0}" = 1 ] && extra+=(--no-load)
"$COUPONLIB_VENV/bin/python" "$here/reliability.py" "${extra[@]}" "$@"
rc=$?
scripts/system.sh down >/dev/null 2>&1 || true
exit $rc
