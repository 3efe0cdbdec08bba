#!/usr/bin/env bash
# The reference system on loopback, with one command:
#
#   scripts/system.sh up       install what is missing, build, start PostgreSQL,
#                              Redis, FerretDB, the five services and the NGINX
#                              gateway, apply the schema, seed a demo shop
#   scripts/system.sh down     stop everything it started (by the pids it recorded)
#   scripts/system.sh demo     a scripted purchase with coupons through the gateway
#   scripts/system.sh status   what runs
#   scripts/system.sh env      the settings, as shell assignments
#   scripts/system.sh restart NAME...
#                              stop and start service instances (checkout,
#                              checkout-2, ...) with the caller's environment
#                              (e.g. SVC_FAULT, see docs/RELIABILITY.md)
#   scripts/system.sh reload   render the gateway's configuration again from
#                              the current settings (rate limits) and reload it
#
# (scripts/system-up.sh and scripts/system-down.sh are the first two.)
#
# Everything runs as the current user, on non-default ports, in a private
# state directory; PostgreSQL refuses to run as root, so under root it runs
# as the `postgres` user that Debian's package creates. Settings (defaults):
#
#   CL_STATE      state directory (build/system)
#   CL_BUILD_DIR  meson build directory holding the services (build/gcc;
#                 configured and built when missing)
#   CL_PORT_BASE  first port (18400): gateway HTTP +0, HTTPS/HTTP2 +1,
#                 auth +11, catalog +12, cart +13, coupons +14, checkout +15,
#                 PostgreSQL +20, Redis +21 (carts), FerretDB +22 (+23 its
#                 debug port), Redis +24 (the saved-program cache)
#   CL_SEED       1 = seed the demo shop on first start (1)
#   CL_SKIP_DEPS  1 = do not run scripts/deps.sh (0)
#   CL_ADMIN_EMAIL / CL_ADMIN_PASSWORD  the shop's admin
#                 (admin@shop.example / admin-password-1)
#   CL_REPLICAS   replicas per service, e.g. "checkout=2,coupons=2" (1 each);
#                 replica r (2..9) of the service on port +10+i (auth i=1 ...
#                 checkout i=5) listens on +30+10i+r, is named NAME-r
#                 (pid and log files), and the gateway balances over all of
#                 them. Recorded in the state directory by `up`.
#   CL_LOGIN_RATE, CL_LOGIN_BURST, CL_REGISTER_RATE, CL_REGISTER_BURST,
#   CL_VALIDATE_RATE, CL_VALIDATE_BURST, CL_CHECKOUT_RATE, CL_CHECKOUT_BURST,
#   CL_SIMULATE_RATE, CL_SIMULATE_BURST
#                 gateway rate limits per client address (5r/s 10, 5r/s 20,
#                 20r/s 40, 10r/s 20, 2r/s 5)
#   SHOP_CURRENCY, SHOP_TIMEZONE, SHOP_SHIPPING_RATES, AUTH_*, CART_*, SVC_*
#                 passed to the services (see docs/services.md)
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cmd=${1:-}

STATE=${CL_STATE:-$root/build/system}
mkdir -p "$STATE"
STATE=$(cd "$STATE" && pwd)
BUILD=${CL_BUILD_DIR:-$root/build/gcc}
BASE=${CL_PORT_BASE:-18400}
HTTP_PORT=$BASE
HTTPS_PORT=$((BASE + 1))
AUTH_PORT=$((BASE + 11))
CATALOG_PORT=$((BASE + 12))
CART_PORT=$((BASE + 13))
COUPONS_PORT=$((BASE + 14))
CHECKOUT_PORT=$((BASE + 15))
PG_PORT=$((BASE + 20))
REDIS_PORT=$((BASE + 21))
MONGO_PORT=$((BASE + 22))
MONGO_DEBUG_PORT=$((BASE + 23))
CACHE_PORT=$((BASE + 24))
ADMIN_EMAIL=${CL_ADMIN_EMAIL:-admin@shop.example}
ADMIN_PASSWORD=${CL_ADMIN_PASSWORD:-admin-password-1}
CACHE=${COUPONLIB_CACHE:-$HOME/.cache/couponlib}
SERVICES="auth catalog cart coupons checkout"

log() { printf 'system: %s\n' "$*" >&2; }
die() { log "$*"; exit 1; }

pgbin() {
    local d
    d=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
    [ -n "$d" ] || die "PostgreSQL server binaries not found (scripts/deps.sh services)"
    echo "$d"
}

# as_pg CMD...: runs a PostgreSQL server command as a user it accepts.
as_pg() {
    if [ "$(id -u)" -eq 0 ]; then
        runuser -u postgres -- "$@"
    else
        "$@"
    fi
}

# The replicas: CL_REPLICAS when set (recorded by `up`), else what `up`
# recorded, else one of each.
replica_spec() {
    if [ -n "${CL_REPLICAS+x}" ]; then echo "$CL_REPLICAS"
    elif [ -f "$STATE/replicas" ]; then cat "$STATE/replicas"
    fi
}

# replicas SERVICE: how many instances of SERVICE run (1 to 9).
replicas() {
    local n=1 e
    for e in $(replica_spec | tr ',' ' '); do
        if [ "${e%%=*}" = "$1" ]; then n=${e#*=}; fi
    done
    case "$n" in [1-9]) ;; *) die "CL_REPLICAS: $1 wants 1 to 9 replicas, not $n" ;; esac
    echo "$n"
}

# instances: every service instance, replicas included (checkout checkout-2 ...).
instances() {
    local s r
    for s in $SERVICES; do
        echo "$s"
        for ((r = 2; r <= $(replicas "$s"); r++)); do echo "$s-$r"; done
    done
}

# port_of INSTANCE: where it listens.
port_of() {
    local svc=${1%-[0-9]} r=1 i=0 s
    [ "$svc" != "$1" ] && r=${1##*-}
    for s in $SERVICES; do
        i=$((i + 1))
        if [ "$s" = "$svc" ]; then
            if [ "$r" -eq 1 ]; then echo $((BASE + 10 + i)); else echo $((BASE + 30 + 10 * i + r)); fi
            return 0
        fi
    done
    die "no service $1"
}

# alive NAME: the pid recorded for NAME when that process still runs and is
# still the program that was started (a pid can be reused).
alive() {
    local f="$STATE/run/$1.pid" pid want
    [ -f "$f" ] || return 1
    pid=$(head -1 "$f")
    [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 1
    # a killed process stays a zombie until it is reaped: that is not running
    [ "$(sed 's/.*) //' "/proc/$pid/stat" 2>/dev/null | cut -d' ' -f1)" != Z ] || return 1
    case "$1" in
        postgres) want=postgres ;; redis|redis-cache) want=redis-server ;; ferretdb) want=ferretdb ;;
        nginx) want=nginx ;; *) want="svc-${1%-[0-9]}" ;;
    esac
    tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -- "$want" >/dev/null || return 1
    echo "$pid"
}

# wait_http URL SECONDS: until URL answers 200.
wait_http() {
    local url=$1 n=$(($2 * 10))
    while [ $n -gt 0 ]; do
        if curl -fsS -o /dev/null --max-time 1 "$url" 2>/dev/null; then return 0; fi
        sleep 0.1
        n=$((n - 1))
    done
    return 1
}

# wait_port PORT SECONDS: until something listens on 127.0.0.1:PORT.
wait_port() {
    local n=$(($2 * 10))
    while [ $n -gt 0 ]; do
        if (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; then return 0; fi
        sleep 0.1
        n=$((n - 1))
    done
    return 1
}

# pgroot: where PostgreSQL keeps its data. Under root the server runs as
# `postgres`, which must reach the directory: when the state directory is not
# reachable for it (a checkout under /root), the data goes to a directory of
# its own under /tmp, named after the state directory and recorded there.
pgroot() {
    if [ -f "$STATE/pgroot" ]; then cat "$STATE/pgroot"; return; fi
    local d="$STATE/pg"
    if [ "$(id -u)" -eq 0 ] && ! runuser -u postgres -- test -x "$STATE"; then
        d="/tmp/couponlib-pg-$(printf '%s' "$STATE" | sha1sum | cut -c1-12)"
        rm -rf "$d"     # a new state directory: the old data of the same name goes
    fi
    echo "$d" >"$STATE/pgroot"
    echo "$d"
}

service_env() {
    cat <<EOF
export JWT_PUBLIC_KEYS="k1=$STATE/keys/k1.pub"
export JWT_ISSUER="${JWT_ISSUER:-couponlib-auth}"
export JWT_AUDIENCE="${JWT_AUDIENCE:-couponlib-shop}"
export AUTH_PRIVATE_KEY="$STATE/keys/k1.key"
export AUTH_KID=k1
export AUTH_ADMIN_EMAIL="$ADMIN_EMAIL"
export AUTH_ADMIN_PASSWORD="$ADMIN_PASSWORD"
export PG_URL="postgresql://shop@127.0.0.1:$PG_PORT/shop?connect_timeout=3"
export REDIS_HOST=127.0.0.1
export REDIS_PORT=$REDIS_PORT
export SHOP_CACHE_REDIS=127.0.0.1:$CACHE_PORT
export MONGO_URL="mongodb://127.0.0.1:$MONGO_PORT/?serverSelectionTimeoutMS=3000"
export CATALOG_URL="http://127.0.0.1:$CATALOG_PORT"
export CART_URL="http://127.0.0.1:$CART_PORT"
export CL_GATEWAY="http://127.0.0.1:$HTTP_PORT"
export CL_GATEWAY_TLS="https://127.0.0.1:$HTTPS_PORT"
export CL_STATE="$STATE"
EOF
}

# ------------------------------------------------------------------ servers

start_postgres() {
    local bin root data sock
    bin=$(pgbin)
    root=$(pgroot)
    data="$root/data" sock="$root/run"
    mkdir -p "$root" "$sock"
    if [ "$(id -u)" -eq 0 ]; then chown -R postgres "$root"; fi
    if [ ! -f "$data/PG_VERSION" ]; then
        log "initialising PostgreSQL in $data"
        as_pg "$bin/initdb" -D "$data" -U shop --auth=trust -E UTF8 --locale=C.UTF-8 \
            >"$STATE/logs/initdb.log" 2>&1 || { cat "$STATE/logs/initdb.log" >&2; die "initdb failed"; }
    fi
    # running: the postmaster of the lock file is alive and not a zombie. A
    # postmaster that was killed stays a zombie until its parent (init, in
    # a container maybe a slow one) reaps it, and its lock file keeps a new
    # one from starting until then: wait for that.
    local n=300
    while [ -f "$data/postmaster.pid" ]; do
        local st
        st=$(ps -o stat= -p "$(head -1 "$data/postmaster.pid")" 2>/dev/null | tr -d ' ' || true)
        case "$st" in
            "") break ;;
            Z*) [ $n -gt 0 ] || die "a killed PostgreSQL was never reaped"; sleep 0.1; n=$((n - 1)) ;;
            *) return 0 ;;
        esac
    done
    local plog="$root/postgres.log"
    as_pg "$bin/pg_ctl" -D "$data" -l "$plog" -w -t 60 start \
        -o "-p $PG_PORT -k $sock -c listen_addresses=127.0.0.1 -c max_connections=300" \
        >/dev/null || { tail -20 "$plog" >&2; die "PostgreSQL did not start"; }
    ln -sf "$plog" "$STATE/logs/postgres.log"
    head -1 "$data/postmaster.pid" >"$STATE/run/postgres.pid"
}

apply_schema() {
    local psql=(psql -X -q -v ON_ERROR_STOP=1 -h 127.0.0.1 -p "$PG_PORT" -U shop)
    if ! "${psql[@]}" -d postgres -tAc "SELECT 1 FROM pg_database WHERE datname = 'shop'" |
            grep -q 1; then
        "${psql[@]}" -d postgres -c "CREATE DATABASE shop" >/dev/null
    fi
    "${psql[@]}" -d shop -f "$root/examples/services/sql/schema.sql" >/dev/null 2>"$STATE/logs/schema.log" ||
        { cat "$STATE/logs/schema.log" >&2; die "the schema did not apply"; }
}

# Two Redis servers: the carts (persistent, never evicted) and the cache of
# saved programs (in memory only, evicting the least recently used), so
# that a cache's eviction policy can never touch a cart.
start_redis() {
    if ! alive redis >/dev/null; then
        mkdir -p "$STATE/redis"
        redis-server --port "$REDIS_PORT" --bind 127.0.0.1 --dir "$STATE/redis" \
            --daemonize yes --pidfile "$STATE/run/redis.pid" --logfile "$STATE/logs/redis.log" \
            --appendonly yes --appendfsync everysec --save "" --protected-mode yes >/dev/null
        wait_port "$REDIS_PORT" 20 || die "Redis did not start (see $STATE/logs/redis.log)"
    fi
    if ! alive redis-cache >/dev/null; then
        mkdir -p "$STATE/redis-cache"
        redis-server --port "$CACHE_PORT" --bind 127.0.0.1 --dir "$STATE/redis-cache" \
            --daemonize yes --pidfile "$STATE/run/redis-cache.pid" \
            --logfile "$STATE/logs/redis-cache.log" --appendonly no --save "" \
            --maxmemory 64mb --maxmemory-policy allkeys-lru --protected-mode yes >/dev/null
        wait_port "$CACHE_PORT" 20 || die "Redis (cache) did not start (see $STATE/logs/redis-cache.log)"
    fi
}

start_ferretdb() {
    alive ferretdb >/dev/null && return 0
    local bin="$CACHE/ferretdb"
    [ -x "$bin" ] || die "FerretDB is not built (scripts/deps.sh services)"
    mkdir -p "$STATE/ferretdb/data"
    nohup "$bin" --listen-addr="127.0.0.1:$MONGO_PORT" --handler=sqlite \
        --sqlite-url="file:$STATE/ferretdb/data/" --state-dir="$STATE/ferretdb" \
        --debug-addr="127.0.0.1:$MONGO_DEBUG_PORT" --telemetry=disable --log-level=WARN \
        >>"$STATE/logs/ferretdb.log" 2>&1 </dev/null &
    echo $! >"$STATE/run/ferretdb.pid"
    wait_port "$MONGO_PORT" 30 || die "FerretDB did not start (see $STATE/logs/ferretdb.log)"
}

make_keys() {
    mkdir -p "$STATE/keys"
    local k="$STATE/keys"
    if [ ! -f "$k/k1.key" ]; then
        openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$k/k1.key" 2>/dev/null
        openssl pkey -in "$k/k1.key" -pubout -out "$k/k1.pub"
        chmod 600 "$k/k1.key"
    fi
    if [ ! -f "$k/tls.crt" ]; then
        openssl req -x509 -newkey rsa:2048 -nodes -days 365 -subj "/CN=localhost" \
            -addext "subjectAltName=DNS:localhost,IP:127.0.0.1" \
            -keyout "$k/tls.key" -out "$k/tls.crt" 2>/dev/null
    fi
}

# start_instance NAME: starts one service instance (not waiting for it).
start_instance() {
    local name=$1 svc=${1%-[0-9]} port
    port=$(port_of "$name")
    [ -x "$BUILD/examples/services/svc-$svc" ] || die "$BUILD/examples/services/svc-$svc is not built"
    (eval "$(service_env)"; SVC_PORT=$port exec nohup "$BUILD/examples/services/svc-$svc" \
        >>"$STATE/logs/$name.log" 2>&1 </dev/null) &
    echo $! >"$STATE/run/$name.pid"
}

wait_instance() {
    wait_http "http://127.0.0.1:$(port_of "$1")/healthz" 30 ||
        { tail -20 "$STATE/logs/$1.log" >&2; die "$1 did not start"; }
}

start_services() {
    local name
    for name in $(instances); do
        alive "$name" >/dev/null && continue
        start_instance "$name"
    done
    for name in $(instances); do wait_instance "$name"; done
}

# servers SERVICE: the upstream's server lines, one per instance.
servers() {
    local out="" r name
    for ((r = 1; r <= $(replicas "$1"); r++)); do
        name=$1; [ "$r" -gt 1 ] && name="$1-$r"
        out="$out server 127.0.0.1:$(port_of "$name") max_fails=1 fail_timeout=2s;"
    done
    echo "$out"
}

render_nginx() {
    mkdir -p "$STATE/nginx/tmp"
    sed -e "s|@STATE@|$STATE|g" -e "s|@HTTP_PORT@|$HTTP_PORT|g" -e "s|@HTTPS_PORT@|$HTTPS_PORT|g" \
        -e "s|@AUTH_SERVERS@|$(servers auth)|g" -e "s|@CATALOG_SERVERS@|$(servers catalog)|g" \
        -e "s|@CART_SERVERS@|$(servers cart)|g" -e "s|@COUPONS_SERVERS@|$(servers coupons)|g" \
        -e "s|@CHECKOUT_SERVERS@|$(servers checkout)|g" -e "s|@WORKERS@|${CL_NGINX_WORKERS:-2}|g" \
        -e "s|@LOGIN_RATE@|${CL_LOGIN_RATE:-5r/s}|g" -e "s|@LOGIN_BURST@|${CL_LOGIN_BURST:-10}|g" \
        -e "s|@REGISTER_RATE@|${CL_REGISTER_RATE:-5r/s}|g" \
        -e "s|@REGISTER_BURST@|${CL_REGISTER_BURST:-20}|g" \
        -e "s|@VALIDATE_RATE@|${CL_VALIDATE_RATE:-20r/s}|g" \
        -e "s|@VALIDATE_BURST@|${CL_VALIDATE_BURST:-40}|g" \
        -e "s|@CHECKOUT_RATE@|${CL_CHECKOUT_RATE:-10r/s}|g" \
        -e "s|@CHECKOUT_BURST@|${CL_CHECKOUT_BURST:-20}|g" \
        -e "s|@SIMULATE_RATE@|${CL_SIMULATE_RATE:-2r/s}|g" \
        -e "s|@SIMULATE_BURST@|${CL_SIMULATE_BURST:-5}|g" -e "s|@ROOT@|$root|g" \
        "$root/examples/services/nginx/nginx.conf.in" >"$STATE/nginx/nginx.conf.new"
    nginx -p "$STATE/nginx" -c "$STATE/nginx/nginx.conf.new" -e "$STATE/logs/nginx-error.log" -t \
        >"$STATE/logs/nginx-test.log" 2>&1 || { cat "$STATE/logs/nginx-test.log" >&2; die "bad nginx config"; }
    mv "$STATE/nginx/nginx.conf.new" "$STATE/nginx/nginx.conf"
}

start_nginx() {
    alive nginx >/dev/null && return 0
    render_nginx
    nginx -p "$STATE/nginx" -c "$STATE/nginx/nginx.conf" -e "$STATE/logs/nginx-error.log"
    wait_http "http://127.0.0.1:$HTTP_PORT/healthz" 20 || die "the gateway did not start"
}

reload_nginx() {
    local pid old p n=100 gone
    pid=$(alive nginx) || die "the gateway is not running"
    render_nginx
    # new workers take the new settings; the old ones finish their requests
    old=$(pgrep -P "$pid" | tr '\n' ' ')
    kill -HUP "$pid"
    while [ $n -gt 0 ]; do
        gone=1
        for p in $old; do kill -0 "$p" 2>/dev/null && gone=0; done
        [ $gone = 1 ] && break
        sleep 0.1
        n=$((n - 1))
    done
    wait_http "http://127.0.0.1:$HTTP_PORT/healthz" 20 || die "the gateway did not come back"
}

# ------------------------------------------------------------------ commands

up() {
    local t0=$SECONDS
    if [ "${CL_SKIP_DEPS:-0}" != 1 ]; then
        "$root/scripts/deps.sh" core services
    fi
    if [ ! -x "$BUILD/examples/services/svc-checkout" ]; then
        log "building the services in $BUILD"
        [ -f "$BUILD/build.ninja" ] || meson setup "$BUILD" >/dev/null
        ninja -C "$BUILD" -j2 >/dev/null
    fi
    mkdir -p "$STATE/run" "$STATE/logs"
    replicas checkout >/dev/null
    replica_spec >"$STATE/replicas"
    make_keys
    start_postgres
    apply_schema
    start_redis
    start_ferretdb
    start_services
    start_nginx
    if [ "${CL_SEED:-1}" = 1 ] && [ ! -f "$STATE/seeded" ]; then
        CL_GATEWAY="http://127.0.0.1:$HTTP_PORT" CL_ADMIN_EMAIL="$ADMIN_EMAIL" \
            CL_ADMIN_PASSWORD="$ADMIN_PASSWORD" \
            python3 "$root/examples/services/seed/seed.py" "$root/examples/services/seed" &&
            touch "$STATE/seeded"
    fi
    log "up in $((SECONDS - t0)) s: gateway http://127.0.0.1:$HTTP_PORT (HTTP/2: https://127.0.0.1:$HTTPS_PORT)"
    log "coupon console: http://127.0.0.1:$HTTP_PORT/console/ (log in as the admin)"
    log "admin: $ADMIN_EMAIL / $ADMIN_PASSWORD; state and logs in $STATE"
}

# stop NAME SIGNAL: signals the recorded process and waits for it to end.
stop() {
    local pid n=100
    pid=$(alive "$1") || { rm -f "$STATE/run/$1.pid"; return 0; }
    kill "-$2" "$pid" 2>/dev/null || true
    while kill -0 "$pid" 2>/dev/null && [ $n -gt 0 ]; do sleep 0.1; n=$((n - 1)); done
    if kill -0 "$pid" 2>/dev/null; then
        log "$1 ($pid) did not stop in 10 s; killing it"
        kill -KILL "$pid" 2>/dev/null || true
    fi
    rm -f "$STATE/run/$1.pid"
}

down() {
    [ -d "$STATE/run" ] || return 0
    stop nginx QUIT
    local name f
    for name in $SERVICES; do stop "$name" TERM; done
    for f in "$STATE"/run/*-[0-9].pid; do
        [ -f "$f" ] && stop "$(basename "$f" .pid)" TERM
    done
    stop ferretdb TERM
    stop redis TERM
    stop redis-cache TERM
    local root
    root=$(pgroot)
    if [ -f "$root/data/postmaster.pid" ]; then
        as_pg "$(pgbin)/pg_ctl" -D "$root/data" -m fast -w stop >/dev/null 2>&1 || true
    fi
    rm -f "$STATE/run/postgres.pid"
    log "down"
}

status() {
    local name pid
    for name in postgres redis redis-cache ferretdb $(instances) nginx; do
        if pid=$(alive "$name"); then echo "$name: running ($pid)"; else echo "$name: stopped"; fi
    done
}

case "$cmd" in
    up) up ;;
    down) down ;;
    status) status ;;
    restart)
        shift
        [ $# -gt 0 ] || die "usage: scripts/system.sh restart NAME..."
        for name in "$@"; do
            instances | grep -x -- "$name" >/dev/null || die "no service instance $name"
            stop "$name" TERM
            start_instance "$name"
        done
        for name in "$@"; do wait_instance "$name"; done
        ;;
    reload) reload_nginx ;;
    env) service_env ;;
    demo)
        CL_GATEWAY="http://127.0.0.1:$HTTP_PORT" python3 "$root/examples/services/seed/purchase.py"
        log "the coupon console: http://127.0.0.1:$HTTP_PORT/console/ ($ADMIN_EMAIL / $ADMIN_PASSWORD)"
        ;;
    *) echo "usage: scripts/system.sh up|down|demo|status|env|restart NAME...|reload" >&2; exit 2 ;;
esac
