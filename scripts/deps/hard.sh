#!/usr/bin/env bash
# gcovr, which scripts/coverage.sh runs over the gcov data of build/coverage.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
venv_install gcovr==8.8
