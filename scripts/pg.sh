#!/usr/bin/env bash
# A project-local Postgres cluster on 127.0.0.1 and a free port, owned by the `postgres` user when run
# as root (Postgres refuses to run as root), by the caller otherwise.
#
#   scripts/pg.sh start DIR [--fresh]   start (or reuse) the cluster in DIR; --fresh wipes it first
#   scripts/pg.sh stop DIR              stop it (no error when it is not running)
#   scripts/pg.sh restart DIR           restart it on the same port (tests use this)
#   scripts/pg.sh url DIR               print its DATABASE_URL
#
# Idempotent: a stale postmaster.pid left by a crash is handled by pg_ctl; a running cluster is reused.
set -euo pipefail
cmd=${1:?usage: pg.sh start|stop|restart|url DIR [--fresh]}
dir=${2:?usage: pg.sh start|stop|restart|url DIR [--fresh]}
flag=${3:-}
mkdir -p "$dir"
dir=$(cd "$dir" && pwd)
data="$dir/data"
db=checkout

pgbin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
[ -n "$pgbin" ] && [ -x "$pgbin/initdb" ] || { echo "pg.sh: no Postgres server binaries (run scripts/deps.sh)" >&2; exit 1; }

as_owner() {
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

running() { [ -f "$data/PG_VERSION" ] && as_owner "$pgbin/pg_ctl" -D "$data" status >/dev/null 2>&1; }

free_port() {
  python3 - <<'PY'
import socket
s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()
PY
}

port() { cat "$dir/port"; }

start() {
  if [ "$flag" = "--fresh" ]; then
    running && as_owner "$pgbin/pg_ctl" -D "$data" -m immediate stop >/dev/null 2>&1 || true
    rm -rf "$data" "$dir/port" "$dir/postgres.log"
  fi
  if running; then return 0; fi
  if [ "$(id -u)" -eq 0 ]; then
    chown postgres: "$dir"
    if ! runuser -u postgres -- test -w "$dir"; then
      echo "pg.sh: the postgres user cannot reach $dir (a parent folder is not searchable); chmod o+x its parents" >&2
      exit 1
    fi
  fi
  if [ ! -f "$data/PG_VERSION" ]; then
    rm -rf "$data"
    as_owner "$pgbin/initdb" -D "$data" -U postgres --auth=trust -E UTF8 --no-locale >/dev/null
    {
      echo "listen_addresses = '127.0.0.1'"
      echo "unix_socket_directories = ''"
      echo "max_connections = 300"
      echo "shared_buffers = 256MB"
      if [ "$flag" = "--fresh" ]; then
        # Throwaway test cluster: durability buys nothing here, speed does.
        echo "fsync = off"
        echo "synchronous_commit = off"
        echo "full_page_writes = off"
      fi
    } | as_owner tee -a "$data/postgresql.conf" >/dev/null
  fi
  [ -s "$dir/port" ] || free_port >"$dir/port"
  # A port taken since last time (or a stale pid file) must not stop us: pick a new port once.
  if ! as_owner "$pgbin/pg_ctl" -D "$data" -l "$dir/postgres.log" -o "-p $(port)" -w -t 60 start >/dev/null; then
    free_port >"$dir/port"
    as_owner "$pgbin/pg_ctl" -D "$data" -l "$dir/postgres.log" -o "-p $(port)" -w -t 60 start >/dev/null || {
      echo "pg.sh: Postgres did not start; last log lines:" >&2; tail -n 20 "$dir/postgres.log" >&2; exit 1; }
  fi
  if ! "$pgbin/psql" -h 127.0.0.1 -p "$(port)" -U postgres -d postgres -Atqc \
      "SELECT 1 FROM pg_database WHERE datname = '$db'" | grep -q 1; then
    "$pgbin/createdb" -h 127.0.0.1 -p "$(port)" -U postgres "$db"
  fi
}

case "$cmd" in
  start) start ;;
  stop) if running; then as_owner "$pgbin/pg_ctl" -D "$data" -m fast -w stop >/dev/null; fi ;;
  restart) as_owner "$pgbin/pg_ctl" -D "$data" -l "$dir/postgres.log" -o "-p $(port)" -m fast -w restart >/dev/null ;;
  url) echo "postgres://postgres@127.0.0.1:$(port)/$db" ;;
  *) echo "pg.sh: unknown command $cmd" >&2; exit 2 ;;
esac
