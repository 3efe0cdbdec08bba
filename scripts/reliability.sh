#!/usr/bin/env bash
# The reliability suite of the reference system (docs/RELIABILITY.md), by
# itself:
#
#   scripts/reliability.sh                 the quick form (what the test command runs)
#   scripts/reliability.sh --full          the long form: the sizes and figures of
#                                          docs/RELIABILITY.md (26 minutes on 2 busy cores)
#   scripts/reliability.sh --full --only load_figures,fuzzing_every_endpoint_finds_no_fault
#   scripts/reliability.sh --skip NAME,... leave parts out
#
# It installs what is missing (scripts/deps.sh core services reliability),
# builds the services in build/gcc when they are not built, brings the
# system up in its own state directory (CL_STATE, default build/reliability)
# on its own ports (CL_PORT_BASE, default 19400), runs
# examples/services/tests/reliability.py under nice (the machine is shared),
# and stops everything, also on failure. Figures: $CL_STATE/reliability-results.json.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
export CL_STATE=${CL_STATE:-$root/build/reliability}
export CL_PORT_BASE=${CL_PORT_BASE:-19400}
export CL_BUILD_DIR=${CL_BUILD_DIR:-$root/build/gcc}
if [ "${CL_SKIP_DEPS:-0}" != 1 ]; then
    scripts/deps.sh core services reliability
fi
if [ ! -x "$CL_BUILD_DIR/examples/services/svc-checkout" ]; then
    [ -f "$CL_BUILD_DIR/build.ninja" ] || meson setup "$CL_BUILD_DIR" -Dbuildtype=debugoptimized >/dev/null
    ninja -C "$CL_BUILD_DIR" -j2 >/dev/null
fi
mkdir -p "$(dirname "$CL_STATE")"
CL_SKIP_DEPS=1 exec nice -n "${CL_NICE:-10}" examples/services/tests/run-reliability.sh "$@"
