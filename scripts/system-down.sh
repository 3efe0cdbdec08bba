#!/usr/bin/env bash
# Stops the reference system (see scripts/system.sh).
exec "$(dirname "$0")/system.sh" down "$@"
