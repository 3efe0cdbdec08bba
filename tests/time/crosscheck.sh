#!/bin/sh
# Runs crosscheck.py with the project's virtualenv, where
# scripts/deps/timecheck.sh installs the holidays and python-dateutil
# packages.
here=$(dirname "$0")
py=${COUPONLIB_VENV:-${COUPONLIB_CACHE:-$HOME/.cache/couponlib}/venv}/bin/python
if ! "$py" -c 'import holidays, dateutil' 2>/dev/null; then
    echo "crosscheck: no virtualenv with holidays and python-dateutil at $py;"
    echo "run scripts/deps.sh timecheck"
    echo "0 passed, 1 failed"
    exit 1
fi
exec "$py" "$here/crosscheck.py" "$@"
