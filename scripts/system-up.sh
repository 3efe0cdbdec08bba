#!/usr/bin/env bash
# Starts the reference system (see scripts/system.sh).
exec "$(dirname "$0")/system.sh" up "$@"
