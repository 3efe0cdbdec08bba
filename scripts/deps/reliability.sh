#!/usr/bin/env bash
# The reliability suite's Python packages, in the shared virtualenv:
# schemathesis (fuzzing from docs/openapi.yaml) and h2 (the HTTP/2 bursts).
set -euo pipefail
. "$(dirname "$0")/lib.sh"
venv_install schemathesis==4.32.5 h2==4.4.1
