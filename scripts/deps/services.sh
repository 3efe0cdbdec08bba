#!/usr/bin/env bash
# The reference system's non-Debian parts: FerretDB (the MongoDB-protocol
# server, built once from the Go module proxy and kept under the cache), and
# the Python packages of the end-to-end tests (in the shared virtualenv).
set -euo pipefail
. "$(dirname "$0")/lib.sh"

FERRETDB_VERSION=v1.24.2
bin="$COUPONLIB_CACHE/ferretdb-$FERRETDB_VERSION/ferretdb"
if [ ! -x "$bin" ]; then
    command -v go >/dev/null 2>&1 || [ -x /usr/local/go/bin/go ] || {
        echo "deps: services: Go is needed to build FerretDB" >&2; exit 1; }
    go=$(command -v go || echo /usr/local/go/bin/go)
    echo "deps: building FerretDB $FERRETDB_VERSION (once)" >&2
    export GOPATH="$COUPONLIB_CACHE/gopath" GOCACHE="$COUPONLIB_CACHE/gocache" GOFLAGS=-mod=mod
    # Its version check wants build/version/version.txt, which the module
    # lacks: build a writable copy of the module with that file added.
    src=$("$go" mod download -json "github.com/FerretDB/FerretDB@$FERRETDB_VERSION" |
          sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
    [ -d "$src" ] || { echo "deps: services: FerretDB module not found" >&2; exit 1; }
    tmp="$COUPONLIB_CACHE/ferretdb-$FERRETDB_VERSION.tmp"
    rm -rf "$tmp"; cp -r "$src" "$tmp"; chmod -R u+w "$tmp"
    echo "$FERRETDB_VERSION" >"$tmp/build/version/version.txt"
    (cd "$tmp" && "$go" build -trimpath -o "$tmp/ferretdb.bin" ./cmd/ferretdb)
    mkdir -p "$(dirname "$bin")"
    mv "$tmp/ferretdb.bin" "$bin"
    rm -rf "$tmp" "$COUPONLIB_CACHE/gocache"
fi
ln -sfn "$bin" "$COUPONLIB_CACHE/ferretdb"

venv_install requests==2.32.3 PyJWT==2.9.0 cryptography==43.0.3 PyYAML==6.0.2 openapi-spec-validator==0.7.1
