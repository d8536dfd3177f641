#!/usr/bin/env bash
# `make profile`: where checkoutd's CPU goes on one route, in two numbers that do not need a quiet machine.
#
#   bench/profile.sh [by-session|webhook|create] [COUNT]      (defaults: by-session, 2000)
#
#   1. CPU-µs and context switches per request (PROFILE_SKIP_CPU=1 skips it): checkoutd (release, .build-release) under `wrk -t1 -c32 -d5s` after a 2 s
#      warm-up; utime+stime from /proc/<pid>/stat ÷ requests (by-session only; the other routes use
#      fixed.py, since their requests are not repeatable).
#   2. Instructions per request: the same binary under `valgrind --tool=callgrind`, collection switched on
#      after a warm-up, then exactly COUNT requests (bench/fixed.py, 16 keep-alive connections), dumped and
#      divided by COUNT (PROFILE_SKIP_CALLGRIND=1 skips it). Instruction counts do not move with machine load; the top functions (inclusive
#      and self) go to bench/out/profile-KIND-STAMP.txt.
#
# A throwaway Postgres in .local/pg-profile (scripts/pg.sh --fresh), seeded by bench/sql/seed.sql with
# PROFILE_ORDERS (10000) settled and PROFILE_HOOKS (3 × COUNT + 1000) × 2 pending orders. Loopback only, every wait
# bounded, every process ended by its PID. Prints one summary line per measure.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
KIND=${1:-by-session}
COUNT=${2:-2000}
ORDERS=${PROFILE_ORDERS:-10000}
HOOKS=${PROFILE_HOOKS:-$((3 * COUNT + 1000))}
OUT=bench/out
PGDIR=.local/pg-profile
STAMP=$(date -u +%Y%m%dT%H%M%SZ)
SECRET=whsec_profile_$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')
mkdir -p "$OUT"
ulimit -n 65536 2>/dev/null || true
command -v wrk >/dev/null || scripts/deps.sh wrk
command -v valgrind >/dev/null || scripts/deps.sh valgrind
echo "profile: load average at start: $(cut -d' ' -f1-3 /proc/loadavg)" >&2

if [ "${PROFILE_SKIP_BUILD:-0}" != 1 ]; then
  swift build -c release --scratch-path "$ROOT/.build-release" --product checkoutd >&2
  [ "$KIND" = create ] && swift build -c release --scratch-path "$ROOT/.build-release" --product stripe-sim >&2
fi
BIN=${PROFILE_BIN_DIR:-$ROOT/.build-release/release}

PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
  scripts/pg.sh stop "$PGDIR" >/dev/null 2>&1 || true
}
trap cleanup EXIT INT TERM
first_line() {
  for _ in $(seq 1 ${3:-300}); do
    if grep -m1 -E "$2" "$1" 2>/dev/null; then return 0; fi
    sleep 0.1
  done
  echo "profile: timed out waiting for '$2' in $1" >&2
  return 1
}
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
# Voluntary + involuntary context switches of all the process's threads.
ctx_switches() { cat /proc/"$1"/task/*/status 2>/dev/null | awk '/ctxt_switches/ { n += $2 } END { print n + 0 }'; }

scripts/pg.sh start "$PGDIR" --fresh
DB=$(scripts/pg.sh url "$PGDIR")
export DATABASE_URL=$DB STRIPE_SECRET_KEY=sk_test_profile STRIPE_WEBHOOK_SECRET=$SECRET \
  STRIPE_WEBHOOK_TOLERANCE=86400 DB_POOL_SIZE=${DB_POOL_SIZE:-8} RATE_LIMIT_PER_MINUTE=0 RECONCILE_INTERVAL=0 \
  OUTBOX_CONCURRENCY=0 LOG_LEVEL=${PROFILE_LOG_LEVEL:-info} HOST=127.0.0.1 PORT=0
"$BIN/checkoutd" migrate >/dev/null 2>&1
psql "$DB" -q -v orders="$ORDERS" -v hooks="$HOOKS" -f bench/sql/seed.sql >/dev/null
if [ "$KIND" = webhook ]; then
  python3 bench/webhook_gen.py "$SECRET" 1 "$HOOKS" "$OUT/profile-webhooks.txt" "$OUT/profile-webhook-tx.sql"
fi
if [ "$KIND" = create ]; then
  "$BIN/stripe-sim" --port 0 --quiet >"$OUT/profile-sim-$STAMP.out" 2>&1 &
  PIDS+=($!)
  SIM_PORT=$(first_line "$OUT/profile-sim-$STAMP.out" 'listening' | sed -E 's/.*:([0-9]+).*/\1/')
  export STRIPE_API_BASE="http://127.0.0.1:$SIM_PORT"
fi

# load PORT COUNT SKIP: COUNT requests of KIND (webhook bodies from line SKIP on).
load() {
  local extra=()
  [ "$KIND" != webhook ] || extra=(--webhook-file "$OUT/profile-webhooks.txt" --webhook-skip "$3")
  timeout 600 python3 bench/fixed.py "$1" "$KIND" "$2" --orders "$ORDERS" "${extra[@]}"
}

# ---- 1. CPU-µs per request, no valgrind
if [ "${PROFILE_SKIP_CPU:-0}" != 1 ]; then
"$BIN/checkoutd" serve >"$OUT/profile-cpu-$STAMP.out" 2>"$OUT/profile-cpu-$STAMP.err" &
SERVER=$!
PIDS+=("$SERVER")
PORT=$(first_line "$OUT/profile-cpu-$STAMP.out" 'listening' | sed -E 's/.*:([0-9]+).*/\1/')
if [ "$KIND" = by-session ]; then
  export BENCH_ORDERS=$ORDERS
  timeout 30 wrk -t1 -c32 -d2s -s bench/lua/by-session.lua "http://127.0.0.1:$PORT" >/dev/null
  c0=$(cpu_ticks "$SERVER")
  s0=$(ctx_switches "$SERVER")
  W=$(timeout 40 wrk -t1 -c32 -d5s -s bench/lua/by-session.lua "http://127.0.0.1:$PORT")
  c1=$(cpu_ticks "$SERVER")
  s1=$(ctx_switches "$SERVER")
  N=$(awk '/requests in/ { print $1 }' <<<"$W")
  RPS=$(awk '/^Requests\/sec:/ { printf "%.0f", $2 }' <<<"$W")
else
  load "$PORT" 200 0 >/dev/null
  c0=$(cpu_ticks "$SERVER")
  s0=$(ctx_switches "$SERVER")
  N=$((COUNT * 2))
  R=$(load "$PORT" "$N" 200)
  c1=$(cpu_ticks "$SERVER")
  s1=$(ctx_switches "$SERVER")
  RPS=$(python3 -c 'import json,sys; d=json.loads(sys.argv[1]); print(round(d["sent"]/d["seconds"]))' "$R")
fi
TCK=$(getconf CLK_TCK)
CPU_US=$(awk -v a="$c0" -v b="$c1" -v n="$N" -v t="$TCK" 'BEGIN { printf "%.0f", (b - a) / t * 1e6 / n }')
kill "$SERVER"; wait "$SERVER" 2>/dev/null || true
CSW=$(awk -v a="$s0" -v b="$s1" -v n="$N" 'BEGIN { printf "%.1f", (b - a) / n }')
echo "profile: $KIND: $CPU_US CPU-µs/request in checkoutd over $N requests ($RPS req/s, $CSW context switches/request, load $(cut -d' ' -f1 /proc/loadavg))"
fi

# ---- 2. instructions per request under callgrind
[ "${PROFILE_SKIP_CALLGRIND:-0}" != 1 ] || exit 0
CG="$OUT/callgrind-$KIND-$STAMP.out"
valgrind --tool=callgrind --instr-atstart=no --callgrind-out-file="$CG" \
  "$BIN/checkoutd" serve >"$OUT/profile-cg-$STAMP.out" 2>"$OUT/profile-cg-$STAMP.err" &
SERVER=$!
PIDS+=("$SERVER")
PORT=$(first_line "$OUT/profile-cg-$STAMP.out" 'listening' 1200 | sed -E 's/.*:([0-9]+).*/\1/')
SKIP=$((COUNT * 2 + 200))
load "$PORT" 200 "$SKIP" >/dev/null
callgrind_control -i on "$SERVER" >/dev/null
R=$(load "$PORT" "$COUNT" $((SKIP + 200)))
callgrind_control -d "$SERVER" >/dev/null
callgrind_control -i off "$SERVER" >/dev/null
kill "$SERVER"; wait "$SERVER" 2>/dev/null || true
OK=$(python3 -c 'import json,sys; print(json.loads(sys.argv[1])["ok"])' "$R")
DUMP=$(ls -t "$CG".* 2>/dev/null | head -n1)
TOTAL=$(callgrind_annotate "$DUMP" 2>/dev/null | awk '/PROGRAM TOTALS/ && !t { gsub(",", "", $1); t = $1 } END { print t }')
IPR=$(awk -v t="$TOTAL" -v n="$COUNT" 'BEGIN { printf "%.0f", t / n }')
REPORT="$OUT/profile-$KIND-$STAMP.txt"
{
  echo "# $KIND: $IPR instructions/request (callgrind, $COUNT requests, $OK 2xx), ${CPU_US:-n/a} CPU-µs/request"
  echo "## inclusive"
  callgrind_annotate --inclusive=yes "$DUMP" 2>/dev/null | sed -n '1,80p'
  echo "## self"
  callgrind_annotate "$DUMP" 2>/dev/null | sed -n '1,80p'
} >"$REPORT"
echo "profile: $KIND: $IPR instructions/request in checkoutd (callgrind over $COUNT requests, $OK 2xx); top functions in $REPORT"
echo "profile: load average at end: $(cut -d' ' -f1-3 /proc/loadavg)" >&2
