#!/usr/bin/env bash
# The time cross-checks' Python packages: an independent holiday source and
# dateutil's Easter (tests/time/crosscheck.py).
set -euo pipefail
. "$(dirname "$0")/lib.sh"
venv_install holidays==0.109 python-dateutil==2.9.0.post0
