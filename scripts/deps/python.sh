#!/usr/bin/env bash
# The Python binding's test tools, in the project's virtualenv: pytest runs
# its tests, PyYAML reads the coupon test files. The binding itself needs
# neither, and its build needs nothing from PyPI.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
venv_install pytest==9.2.0 PyYAML==6.0.3
