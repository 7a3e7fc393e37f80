#!/usr/bin/env bash
# The scale-out topology of deploy/compose.yml from native Debian processes on loopback, for machines without
# Docker:
#
#   nginx (127.0.0.1:$STOCKYARD_CLUSTER_PORT)
#     ├── /, /api/v1, /docs ──► 2 web processes, round-robin (`stockyard serve --only storefront,api`)
#     └── /erp, /admin, /m  ──► 1 back-office web process    (`stockyard serve --only admin,erp,mobile`)
#   2 × `stockyard worker` (background jobs, outbox relay, RabbitMQ consumers)
#   PostgreSQL, RabbitMQ, Redis
#
# (Without `stockyard serve --only`, both web processes serve everything and nginx round-robins all paths.)
#
#   deploy/local-cluster.sh start|stop|status
#
# Services given by URL are reused (fast in CI); the others are started here, under the state directory:
#   STOCKYARD_CLUSTER_DATABASE_URL  PostgreSQL URL (default: start PostgreSQL 15 on port $STOCKYARD_CLUSTER_PG_PORT)
#   STOCKYARD_CLUSTER_BROKER_URL    RabbitMQ URL   (default: start a RabbitMQ node on port $STOCKYARD_CLUSTER_AMQP_PORT)
#   STOCKYARD_CLUSTER_REDIS_URL     Redis URL      (default: start redis-server on port $STOCKYARD_CLUSTER_REDIS_PORT)
#   STOCKYARD_CLUSTER_BROKER_PREFIX exchanges and queues of this cluster (default stockyard-cluster)
#   STOCKYARD_CLUSTER_DIR           state: logs, pids, nginx.conf, var/ (default /tmp/stockyard-cluster)
#   STOCKYARD_CLUSTER_PORT          nginx's port (default 8480); the web processes use the next three ports
#   STOCKYARD_BIN                   the stockyard command (default: .venv/bin/stockyard of this checkout)
# `start` runs the migrations and prints the URL; `stop` ends every process it started (and the services it started).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DIR="${STOCKYARD_CLUSTER_DIR:-/tmp/stockyard-cluster}"
PORT="${STOCKYARD_CLUSTER_PORT:-8480}"
PG_PORT="${STOCKYARD_CLUSTER_PG_PORT:-5442}"
AMQP_PORT="${STOCKYARD_CLUSTER_AMQP_PORT:-5682}"
REDIS_PORT="${STOCKYARD_CLUSTER_REDIS_PORT:-6391}"
PREFIX="${STOCKYARD_CLUSTER_BROKER_PREFIX:-stockyard-cluster}"
BIN="${STOCKYARD_BIN:-$ROOT/.venv/bin/stockyard}"
PGBIN=/usr/lib/postgresql/15/bin
RABBIT_NODE="stockyard_cluster_${AMQP_PORT}@localhost"
export PATH="$PATH:/usr/sbin:/sbin"

log() { echo "local-cluster: $*" >&2; }
die() { log "$*"; exit 1; }

wait_until() {  # wait_until SECONDS DESCRIPTION COMMAND...
  local seconds=$1 what=$2
  shift 2
  local deadline=$((SECONDS + seconds))
  until "$@" >/dev/null 2>&1; do
    [ "$SECONDS" -lt "$deadline" ] || return 1
    sleep 0.2
  done
}

http_ok() { curl -fsS -o /dev/null --max-time 2 "$1"; }

alive() { [ -f "$DIR/pids/$1.pid" ] && kill -0 "$(cat "$DIR/pids/$1.pid")" 2>/dev/null; }

layers_supported() { "$BIN" serve --help 2>/dev/null | grep -q -- "--only"; }

# ---- services -------------------------------------------------------------------------------------------------

start_postgres() {
  if [ -n "${STOCKYARD_CLUSTER_DATABASE_URL:-}" ]; then
    echo "$STOCKYARD_CLUSTER_DATABASE_URL" > "$DIR/database_url"
    return
  fi
  [ -x "$PGBIN/initdb" ] || die "PostgreSQL 15 is not installed (apt-get install postgresql-15) and no STOCKYARD_CLUSTER_DATABASE_URL"
  local data="$DIR/pg/data" as=()
  [ "$(id -u)" = 0 ] && as=(su postgres -s /bin/sh -c)
  run_pg() { if [ ${#as[@]} -gt 0 ]; then "${as[@]}" "$*"; else sh -c "$*"; fi; }
  if [ ! -d "$data" ]; then
    mkdir -p "$DIR/pg"
    [ "$(id -u)" = 0 ] && chown postgres:postgres "$DIR/pg"
    run_pg "$PGBIN/initdb -D $data -A trust -U postgres -E UTF8 --no-sync" >"$DIR/logs/initdb.log"
  fi
  if ! "$PGBIN/pg_isready" -q -h 127.0.0.1 -p "$PG_PORT"; then
    run_pg "$PGBIN/pg_ctl -D $data -l $DIR/pg/server.log -w -o '-c listen_addresses=127.0.0.1 -p $PG_PORT -k $DIR/pg' start" \
      >/dev/null
  fi
  "$PGBIN/createdb" -h 127.0.0.1 -p "$PG_PORT" -U postgres stockyard 2>/dev/null || true
  touch "$DIR/own-postgres"
  echo "postgresql+psycopg://postgres@127.0.0.1:$PG_PORT/stockyard" > "$DIR/database_url"
}

start_rabbitmq() {
  if [ -n "${STOCKYARD_CLUSTER_BROKER_URL:-}" ]; then
    echo "$STOCKYARD_CLUSTER_BROKER_URL" > "$DIR/broker_url"
    return
  fi
  command -v rabbitmq-server >/dev/null || die "RabbitMQ is not installed (apt-get install rabbitmq-server) and no STOCKYARD_CLUSTER_BROKER_URL"
  if ! rabbitmqctl -n "$RABBIT_NODE" -q status >/dev/null 2>&1; then
    mkdir -p "$DIR/rabbitmq/mnesia" "$DIR/rabbitmq/log"
    # Debian's rabbitmq-server runs the node as the rabbitmq user when started by root.
    [ "$(id -u)" = 0 ] && id rabbitmq >/dev/null 2>&1 && chown -R rabbitmq:rabbitmq "$DIR/rabbitmq"
    RABBITMQ_NODENAME="$RABBIT_NODE" RABBITMQ_NODE_PORT="$AMQP_PORT" RABBITMQ_DIST_PORT=$((AMQP_PORT + 20000)) \
      RABBITMQ_NODE_IP_ADDRESS=127.0.0.1 ERL_EPMD_ADDRESS=127.0.0.1 RABBITMQ_MNESIA_BASE="$DIR/rabbitmq/mnesia" \
      RABBITMQ_LOG_BASE="$DIR/rabbitmq/log" RABBITMQ_ENABLED_PLUGINS_FILE="$DIR/rabbitmq/enabled_plugins" \
      RABBITMQ_SERVER_START_ARGS='-kernel inet_dist_use_interface {127,0,0,1}' rabbitmq-server -detached
    touch "$DIR/own-rabbitmq"  # stopped by `stop` even if it never answers here
    # The node registers a moment after it was launched; await_startup refuses a node it cannot see yet.
    wait_until 120 "RabbitMQ" rabbitmqctl -n "$RABBIT_NODE" -q await_startup \
      || die "RabbitMQ did not start (see $DIR/rabbitmq/log)"
  fi
  echo "amqp://guest:guest@127.0.0.1:$AMQP_PORT/%2F" > "$DIR/broker_url"
}

start_redis() {
  if [ -n "${STOCKYARD_CLUSTER_REDIS_URL:-}" ]; then
    echo "$STOCKYARD_CLUSTER_REDIS_URL" > "$DIR/redis_url"
    return
  fi
  command -v redis-server >/dev/null || die "Redis is not installed (apt-get install redis-server) and no STOCKYARD_CLUSTER_REDIS_URL"
  if ! redis-cli -p "$REDIS_PORT" ping >/dev/null 2>&1; then
    redis-server --bind 127.0.0.1 --port "$REDIS_PORT" --daemonize yes --save '' --appendonly no \
      --pidfile "$DIR/pids/redis.pid" --logfile "$DIR/logs/redis.log" --dir "$DIR"
    wait_until 20 "Redis" redis-cli -p "$REDIS_PORT" ping || die "Redis did not start (see $DIR/logs/redis.log)"
  fi
  touch "$DIR/own-redis"
  echo "redis://127.0.0.1:$REDIS_PORT/0" > "$DIR/redis_url"
}

# ---- stockyard processes --------------------------------------------------------------------------------------

cluster_env() {
  export STOCKYARD_DATABASE_URL STOCKYARD_BROKER_URL STOCKYARD_REDIS_URL
  STOCKYARD_DATABASE_URL="$(cat "$DIR/database_url")"
  STOCKYARD_BROKER_URL="$(cat "$DIR/broker_url")"
  STOCKYARD_REDIS_URL="$(cat "$DIR/redis_url")"
  export STOCKYARD_BROKER_PREFIX="$PREFIX"
  export STOCKYARD_VAR_DIR="$DIR/var"
  export STOCKYARD_SECRET_KEY
  STOCKYARD_SECRET_KEY="$(cat "$DIR/secret_key")"
  export STOCKYARD_PUBLIC_URL="http://127.0.0.1:$PORT"
  export STOCKYARD_SERVE_JOBS=false  # the workers run the jobs
  export STOCKYARD_READ_CACHE_SECONDS="${STOCKYARD_READ_CACHE_SECONDS:-60}"  # the read cache in Redis
  export STOCKYARD_DB_POOL_SIZE="${STOCKYARD_DB_POOL_SIZE:-5}"
  export STOCKYARD_DB_MAX_OVERFLOW="${STOCKYARD_DB_MAX_OVERFLOW:-5}"
}

spawn() {  # spawn NAME COMMAND...: in the background, in its own session, logging to logs/NAME.log
  local name=$1
  shift
  setsid "$@" >"$DIR/logs/$name.log" 2>&1 < /dev/null &
  echo $! > "$DIR/pids/$name.pid"
}

web_ports() { echo $((PORT + 1)) $((PORT + 2)) $((PORT + 3)); }

write_nginx_conf() {
  local storefront="" backoffice="" p1 p2 p3
  read -r p1 p2 p3 <<<"$(web_ports)"
  storefront="        server 127.0.0.1:$p1;\n        server 127.0.0.1:$p2;"
  if [ -f "$DIR/pids/web-backoffice.pid" ]; then
    backoffice="        server 127.0.0.1:$p3;"
  else
    backoffice="$storefront"
  fi
  mkdir -p "$DIR/nginx/client_body" "$DIR/nginx/proxy" "$DIR/nginx/fastcgi" "$DIR/nginx/uwsgi" "$DIR/nginx/scgi"
  chmod -R a+rwx "$DIR/nginx"
  sed -e "s|@STATE_DIR@|$DIR|g" -e "s|@PORT@|$PORT|g" -e "s|@STOREFRONT_SERVERS@|$storefront|" \
    -e "s|@BACKOFFICE_SERVERS@|$backoffice|" "$ROOT/deploy/nginx/local-cluster.conf.template" > "$DIR/nginx.conf"
}

start() {
  command -v nginx >/dev/null || die "nginx is not installed (apt-get install nginx)"
  [ -x "$BIN" ] || command -v "$BIN" >/dev/null || die "no stockyard command at $BIN (make .venv/.run-deps, or set STOCKYARD_BIN)"
  if alive nginx; then
    log "already running"
    status
    return
  fi
  mkdir -p "$DIR/logs" "$DIR/pids" "$DIR/var"
  [ -f "$DIR/secret_key" ] || head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' > "$DIR/secret_key"
  start_postgres
  start_rabbitmq
  start_redis
  cluster_env
  local layered=no
  layers_supported &  # (slow: it imports the CLI) while the migrations run
  local checking=$!
  "$BIN" migrate >"$DIR/logs/migrate.log" 2>&1 || die "migrations failed: $(tail -n 20 "$DIR/logs/migrate.log")"
  wait "$checking" && layered=yes

  local p1 p2 p3
  read -r p1 p2 p3 <<<"$(web_ports)"
  if [ "$layered" = yes ]; then
    spawn web-1 "$BIN" serve --port "$p1" --only storefront,api --no-jobs
    spawn web-2 "$BIN" serve --port "$p2" --only storefront,api --no-jobs
    spawn web-backoffice "$BIN" serve --port "$p3" --only admin,erp,mobile --no-jobs
  else
    spawn web-1 "$BIN" serve --port "$p1"
    spawn web-2 "$BIN" serve --port "$p2"
  fi
  spawn worker-1 "$BIN" worker
  spawn worker-2 "$BIN" worker
  local name port
  for name in web-1 web-2 web-backoffice; do
    [ -f "$DIR/pids/$name.pid" ] || continue
    case $name in web-1) port=$p1 ;; web-2) port=$p2 ;; *) port=$p3 ;; esac
    wait_until 60 "$name" http_ok "http://127.0.0.1:$port/healthz" \
      || die "$name did not answer on port $port: $(tail -n 30 "$DIR/logs/$name.log")"
  done
  for name in worker-1 worker-2; do
    alive "$name" || die "$name exited: $(tail -n 30 "$DIR/logs/$name.log")"
  done
  write_nginx_conf
  nginx -t -q -c "$DIR/nginx.conf" -p "$DIR/nginx" 2>"$DIR/logs/nginx-test.log" \
    || die "nginx config refused: $(cat "$DIR/logs/nginx-test.log")"
  nginx -c "$DIR/nginx.conf" -p "$DIR/nginx"
  wait_until 20 "nginx" test -s "$DIR/nginx/nginx.pid" || die "nginx did not start"
  cp "$DIR/nginx/nginx.pid" "$DIR/pids/nginx.pid"
  wait_until 20 "nginx" http_ok "http://127.0.0.1:$PORT/healthz" || die "nginx does not reach the web processes"
  echo "http://127.0.0.1:$PORT"
}

stop_pids() {  # stop_pids NAME...: TERM to each whole process group (uvicorn's children too), KILL after 8 s
  local name pid pids=()
  for name in "$@"; do
    [ -f "$DIR/pids/$name.pid" ] || continue
    pid="$(cat "$DIR/pids/$name.pid")"
    if kill -0 "$pid" 2>/dev/null; then
      kill -TERM -- "-$pid" 2>/dev/null || kill -TERM "$pid" 2>/dev/null || true
      pids+=("$pid")
    fi
    rm -f "$DIR/pids/$name.pid"
  done
  local deadline=$((SECONDS + 8))
  for pid in "${pids[@]}"; do
    while kill -0 "$pid" 2>/dev/null && [ "$SECONDS" -lt "$deadline" ]; do sleep 0.1; done
    kill -KILL -- "-$pid" 2>/dev/null || kill -KILL "$pid" 2>/dev/null || true
  done
}

stop() {
  [ -d "$DIR" ] || { log "nothing to stop in $DIR"; return; }
  if [ -f "$DIR/pids/nginx.pid" ] && kill -0 "$(cat "$DIR/pids/nginx.pid")" 2>/dev/null; then
    nginx -c "$DIR/nginx.conf" -p "$DIR/nginx" -s quit 2>/dev/null || true
    local deadline=$((SECONDS + 10))
    while [ -f "$DIR/pids/nginx.pid" ] && kill -0 "$(cat "$DIR/pids/nginx.pid")" 2>/dev/null \
      && [ "$SECONDS" -lt "$deadline" ]; do sleep 0.1; done
  fi
  stop_pids nginx web-1 web-2 web-backoffice worker-1 worker-2
  if [ -f "$DIR/own-redis" ]; then
    redis-cli -p "$REDIS_PORT" shutdown nosave >/dev/null 2>&1 || stop_pids redis
    rm -f "$DIR/own-redis"
  fi
  if [ -f "$DIR/own-rabbitmq" ]; then
    rabbitmqctl -n "$RABBIT_NODE" -q stop >/dev/null 2>&1 || true
    rm -f "$DIR/own-rabbitmq"
  fi
  if [ -f "$DIR/own-postgres" ]; then
    if [ "$(id -u)" = 0 ]; then
      su postgres -s /bin/sh -c "$PGBIN/pg_ctl -D $DIR/pg/data -m fast stop" >/dev/null 2>&1 || true
    else
      "$PGBIN/pg_ctl" -D "$DIR/pg/data" -m fast stop >/dev/null 2>&1 || true
    fi
    rm -f "$DIR/own-postgres"
  fi
  log "stopped"
}

status() {
  local name state running=0
  for name in nginx web-1 web-2 web-backoffice worker-1 worker-2; do
    [ -f "$DIR/pids/$name.pid" ] || continue
    if alive "$name"; then state="running (pid $(cat "$DIR/pids/$name.pid"))"; running=1; else state="exited"; fi
    printf '%-15s %s\n' "$name" "$state"
  done
  for name in database_url broker_url redis_url; do
    [ -f "$DIR/$name" ] && printf '%-15s %s\n' "${name%_url}" "$(sed -E 's|//([^:/@]+):[^@]*@|//\1:***@|' "$DIR/$name")"
  done
  if [ "$running" = 1 ] && http_ok "http://127.0.0.1:$PORT/healthz"; then
    echo "http://127.0.0.1:$PORT"
  else
    echo "not running"
    return 3
  fi
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  status) status ;;
  *) echo "usage: $0 start|stop|status" >&2; exit 2 ;;
esac
