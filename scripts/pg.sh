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
log="$dir/postgres.log"
db=checkout

# Run as root, Postgres runs as the `postgres` user, which must reach DIR. A clone in a private folder
# (mktemp -d, /root/…) is not reachable: then the cluster lives in the postgres user's home instead, in a
# folder named after DIR (so every command finds it again and it still survives restarts); DIR keeps the
# port and a note saying where the data is.
if [ "$(id -u)" -eq 0 ] && ! runuser -u postgres -- test -x "$dir" 2>/dev/null; then
  pghome=$(getent passwd postgres | cut -d: -f6)
  alt="$pghome/checkout-server/$(printf '%s' "$dir" | sha256sum | cut -c1-16)"
  mkdir -p "$alt"
  chown postgres: "$pghome/checkout-server" "$alt"
  data="$alt/data"
  log="$alt/postgres.log"
  echo "data of $dir (not reachable by the postgres user) is in $alt" >"$dir/WHERE"
fi

pgbin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)
[ -n "$pgbin" ] && [ -x "$pgbin/initdb" ] || { echo "pg.sh: no Postgres server binaries (run scripts/deps.sh)" >&2; exit 1; }

as_owner() {
  # From / : the caller's folder may be one the postgres user cannot enter (every path here is absolute).
  if [ "$(id -u)" -eq 0 ]; then (cd / && runuser -u postgres -- "$@"); else "$@"; fi
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
    rm -rf "$data" "$dir/port" "$log"
  fi
  if running; then return 0; fi
  if [ "$(id -u)" -eq 0 ]; then
    chown postgres: "$(dirname "$data")"
    if ! runuser -u postgres -- test -w "$(dirname "$data")"; then
      echo "pg.sh: the postgres user cannot write to $(dirname "$data")" >&2
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
  if ! as_owner "$pgbin/pg_ctl" -D "$data" -l "$log" -o "-p $(port)" -w -t 60 start >/dev/null; then
    free_port >"$dir/port"
    as_owner "$pgbin/pg_ctl" -D "$data" -l "$log" -o "-p $(port)" -w -t 60 start >/dev/null || {
      echo "pg.sh: Postgres did not start; last log lines:" >&2; tail -n 20 "$log" >&2; exit 1; }
  fi
  if ! "$pgbin/psql" -h 127.0.0.1 -p "$(port)" -U postgres -d postgres -Atqc \
      "SELECT 1 FROM pg_database WHERE datname = '$db'" | grep -q 1; then
    "$pgbin/createdb" -h 127.0.0.1 -p "$(port)" -U postgres "$db"
  fi
}

case "$cmd" in
  start) start ;;
  stop) if running; then as_owner "$pgbin/pg_ctl" -D "$data" -m fast -w stop >/dev/null; fi ;;
  restart) as_owner "$pgbin/pg_ctl" -D "$data" -l "$log" -o "-p $(port)" -m fast -w restart >/dev/null ;;
  url) echo "postgres://postgres@127.0.0.1:$(port)/$db" ;;
  *) echo "pg.sh: unknown command $cmd" >&2; exit 2 ;;
esac
