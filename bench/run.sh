#!/usr/bin/env bash
# `make bench`: the whole system under load, each part next to the ceiling it sits on. Prints ONE
# markdown table and writes docs/BENCHMARKS.md (machine, load, command, table, notes).
#
#   1. HTTP core vs Hummingbird 2 (bench/http.sh, shortened runs).
#   2. GET /api/orders/by-session/:id over BENCH_ORDERS settled orders vs pgbench running the same two
#      prepared SELECTs with DB_POOL_SIZE connections, and vs two peers serving the same JSON from the
#      same database with the same pool size: Hummingbird 2 + postgres-nio and Vapor 4 + Fluent
#      (bench/peers/*; BENCH_SKIP_PEERS=1 skips them).
#   3. Webhook ingestion (unique signed checkout.session.completed for distinct pending orders) vs
#      pgbench running the same SQL transaction.
#   4. create-checkout-session against stripe-sim (--quiet).
#   5. Each of 2–4 at a fixed moderate rate (bench/rate.py, open loop): p50/p99/p99.9; CPU µs per
#      request of checkoutd from /proc/<pid>/stat.
#   6. Instructions per request of checkoutd on each route under callgrind over a fixed request count
#      (bench/profile.sh; BENCH_SKIP_PROFILE=1 skips it).
#
# Release builds in .build-release; a dedicated throwaway Postgres in .local/pg-bench (scripts/pg.sh
# --fresh: fsync/synchronous_commit/full_page_writes off). Loopback only, every run bounded in time,
# every process ended by its PID. Knobs: BENCH_SECONDS (10), BENCH_CONNS (32), BENCH_ORDERS (100000),
# BENCH_HOOKS (40000), BENCH_RATE (200/s), BENCH_RATE_SECONDS (15), DB_POOL_SIZE (8),
# BENCH_SKIP_HTTP=1 (skip part 1), BENCH_HTTP_DURATION (5), BENCH_SKIP_PEERS=1, BENCH_SKIP_PROFILE=1,
# BENCH_PROFILE_COUNT (1000 requests per route under callgrind).
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
OUT=bench/out
mkdir -p "$OUT" docs
S=${BENCH_SECONDS:-10}
CONNS=${BENCH_CONNS:-32}
ORDERS=${BENCH_ORDERS:-100000}
HOOKS=${BENCH_HOOKS:-40000}
RATE=${BENCH_RATE:-200}
RATE_S=${BENCH_RATE_SECONDS:-15}
POOL=${DB_POOL_SIZE:-8}
PGDIR=.local/pg-bench
SECRET=whsec_bench_$(od -An -N8 -tx1 /dev/urandom | tr -d ' \n')
STAMP=$(date -u +%Y%m%dT%H%M%SZ)
LOG="$OUT/run-$STAMP.log"
ulimit -n 65536 2>/dev/null || ulimit -n "$(ulimit -Hn)"
log() { echo "bench: $*" | tee -a "$LOG" >&2; }

command -v wrk >/dev/null || scripts/deps.sh wrk
command -v pgbench >/dev/null || scripts/deps.sh postgresql-contrib
scripts/deps.sh

LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)
T_START=$(date +%s)
log "load average at start: $LOAD_START"

log "building release binaries (.build-release)"
swift build -c release --scratch-path "$ROOT/.build-release" --product checkoutd >&2
swift build -c release --scratch-path "$ROOT/.build-release" --product stripe-sim >&2
BIN="$ROOT/.build-release/release"
if [ "${BENCH_SKIP_PEERS:-0}" != 1 ]; then
  log "building the by-session peers (bench/peers: hummingbird-postgres, vapor-fluent; release)"
  swift build -c release --package-path bench/peers/hummingbird-postgres --scratch-path "$ROOT/.build-bench-hbpg" >&2
  swift build -c release --package-path bench/peers/vapor-fluent --scratch-path "$ROOT/.build-bench-vapor" >&2
fi

PIDS=()
cleanup() {
  for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
  for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
  scripts/pg.sh stop "$PGDIR" >/dev/null 2>&1 || true
}
trap cleanup EXIT INT TERM

# first_line FILE PATTERN: bounded wait (30 s) for a line matching PATTERN, prints it.
first_line() {
  for _ in $(seq 1 300); do
    if grep -m1 -E "$2" "$1" 2>/dev/null; then return 0; fi
    sleep 0.1
  done
  echo "bench: timed out waiting for '$2' in $1" >&2
  return 1
}
cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
TCK=$(getconf CLK_TCK)
to_ms() { awk -v v="$1" 'BEGIN { n = v + 0; if (v ~ /us$/) n /= 1000; else if (v ~ /ms$/) n += 0; else if (v ~ /s$/) n *= 1000; printf "%.2f", n }'; }
# wrk_run NAME ARGS...: runs wrk, keeps its output in $OUT, sets W_RPS W_REQ W_P50 W_P99 W_NON2XX W_CPU (µs/req of $SERVER_PID)
wrk_run() {
  local name=$1
  shift
  local c0 c1 out
  c0=$(cpu_ticks "$SERVER_PID")
  out=$(timeout $((S + 30)) wrk -t1 -c"$CONNS" -d"${S}s" --latency "$@")
  c1=$(cpu_ticks "$SERVER_PID")
  echo "$out" >"$OUT/wrk-$name-$STAMP.txt"
  W_RPS=$(awk '/^Requests\/sec:/ { printf "%.0f", $2 }' <<<"$out")
  W_REQ=$(awk '/requests in/ { print $1 }' <<<"$out")
  W_P50=$(to_ms "$(awk '$1 == "50%" { print $2 }' <<<"$out")")
  W_P99=$(to_ms "$(awk '$1 == "99%" { print $2 }' <<<"$out")")
  W_NON2XX=$(awk '/Non-2xx/ { print $NF }' <<<"$out")
  W_NON2XX=${W_NON2XX:-0}
  W_CPU=$(awk -v a="$c0" -v b="$c1" -v n="$W_REQ" -v t="$TCK" 'BEGIN { if (n > 0) printf "%.0f", (b - a) / t * 1e6 / n; else print "n/a" }')
  log "$name: $W_RPS req/s, p50 ${W_P50} ms, p99 ${W_P99} ms, non-2xx $W_NON2XX, $W_CPU CPU-µs/req ($W_REQ requests)"
}
# jq_field JSON FORMAT: Python str.format over the JSON object's fields.
jq_field() { python3 -c 'import json, sys; print(sys.argv[2].format(**json.loads(sys.argv[1])))' "$1" "$2"; }
# rate_run NAME KIND ARGS...: fixed-rate latency; sets R_TXT "p50 / p99 / p99.9" and R_CPU
rate_run() {
  local name=$1 kind=$2
  shift 2
  local c0 c1 out
  c0=$(cpu_ticks "$SERVER_PID")
  out=$(timeout $((RATE_S + 40)) python3 bench/rate.py "$PORT" "$kind" "$RATE" "$RATE_S" --orders "$ORDERS" "$@")
  c1=$(cpu_ticks "$SERVER_PID")
  echo "$out" >"$OUT/rate-$name-$STAMP.json"
  R_TXT=$(jq_field "$out" '{p50_ms} / {p99_ms} / {p999_ms}')
  R_OK=$(jq_field "$out" '{ok}/{sent} 2xx at {achieved_rate}/s')
  R_CPU=$(python3 -c 'import json, sys; d = json.loads(sys.argv[1]); a, b, t = map(float, sys.argv[2:5]); print(round((b - a) / t * 1e6 / max(1, d["sent"])))' "$out" "$c0" "$c1" "$TCK")
  log "$name @ $RATE/s: p50/p99/p99.9 $R_TXT ms ($R_OK), $R_CPU CPU-µs/req"
}
pct() { awk -v a="$1" -v b="$2" 'BEGIN { if (b > 0) printf "%.0f%%", 100 * a / b; else print "n/a" }'; }

# ---------------------------------------------------------------- 1. HTTP core vs Hummingbird
HTTP_ROWS=""
if [ "${BENCH_SKIP_HTTP:-0}" != 1 ]; then
  log "part 1: bench/http.sh (BENCH_DURATION=${BENCH_HTTP_DURATION:-5})"
  BENCH_DURATION=${BENCH_HTTP_DURATION:-5} bench/http.sh >"$OUT/http-part-$STAMP.md" 2>>"$LOG"
  HTTP_ROWS=$(awk -F'|' '
    /HTTPServer \|/ && $2 ~ /\// { gsub(/ /, "", $2); o[$2] = $4; p50[$2] = $5; p99[$2] = $6; c[$2] = $7 }
    /Hummingbird/ && $2 ~ /\// { gsub(/ /, "", $2); h[$2] = $4; hp99[$2] = $6; hc[$2] = $7 }
    /\*\*ratio\*\*/ { gsub(/ /, "", $2); r[$2] = $4 }
    /handler on a worker thread/ { w = $4; wp50 = $5; wp99 = $6; wc = $7 }
    /\*\*worker ratio\*\*/ { wr = $4 }
    END {
      for (k in o) printf "| 1 | HTTP core `GET %s` (hello world, c64, handler on the event loop) |%s|%s|%s|%s| Hummingbird 2:%s req/s (p99%s ms,%s CPU µs/req) |%s| ≥ 3× (and RSS < 64 MB at 10,000 idle conns, part 1 below) | |\n", k, o[k], p50[k], p99[k], c[k], h[k], hp99[k], hc[k], r[k]
      if (w != "") printf "| 1 | HTTP core `GET /json`, handler on a worker thread (c64) |%s|%s|%s|%s| Hummingbird 2 `/json` above |%s| (how database routes run; no target) | |\n", w, wp50, wp99, wc, wr
    }
  ' "$OUT/http-part-$STAMP.md" | sort)
fi

# ---------------------------------------------------------------- database and servers
log "Postgres: scripts/pg.sh start $PGDIR --fresh"
scripts/pg.sh start "$PGDIR" --fresh
DB=$(scripts/pg.sh url "$PGDIR")
PGBIN=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)
PG_VERSION=$("$PGBIN/postgres" --version)
export DATABASE_URL=$DB STRIPE_SECRET_KEY=sk_test_bench STRIPE_WEBHOOK_SECRET=$SECRET \
  STRIPE_WEBHOOK_TOLERANCE=86400 DB_POOL_SIZE=$POOL RATE_LIMIT_PER_MINUTE=0 RECONCILE_INTERVAL=0 \
  OUTBOX_CONCURRENCY=0 LOG_LEVEL=${BENCH_LOG_LEVEL:-info} HOST=127.0.0.1 PORT=0 HTTP_MAX_CONNECTIONS=20000
unset FULFILLMENT_WEBHOOK_URL NOTIFY_WEBHOOK_URL
"$BIN/checkoutd" migrate >>"$LOG" 2>&1
log "seeding $ORDERS settled + $((2 * HOOKS)) pending orders (INSERT … SELECT generate_series)"
t0=$(date +%s)
psql "$DB" -q -v orders="$ORDERS" -v hooks="$HOOKS" -f bench/sql/seed.sql >>"$LOG"
log "seeded in $(($(date +%s) - t0)) s"

"$BIN/stripe-sim" --port 0 --quiet >"$OUT/stripe-sim-$STAMP.out" 2>"$OUT/stripe-sim-$STAMP.err" &
PIDS+=($!)
SIM_PORT=$(first_line "$OUT/stripe-sim-$STAMP.out" 'listening' | sed -E 's/.*:([0-9]+).*/\1/')
export STRIPE_API_BASE="http://127.0.0.1:$SIM_PORT"
"$BIN/checkoutd" serve >"$OUT/checkoutd-$STAMP.out" 2>"$OUT/checkoutd-$STAMP.err" &
SERVER_PID=$!
PIDS+=("$SERVER_PID")
PORT=$(first_line "$OUT/checkoutd-$STAMP.out" 'listening' | sed -E 's/.*:([0-9]+).*/\1/')
log "checkoutd (pid $SERVER_PID) on $PORT, stripe-sim on $SIM_PORT, DB_POOL_SIZE=$POOL"
BASE="http://127.0.0.1:$PORT"
curl -fsS "$BASE/api/orders/by-session/cs_test_read_1" >/dev/null

# ---------------------------------------------------------------- 2. by-session vs pgbench
log "part 2: by-session"
export BENCH_ORDERS=$ORDERS
timeout 30 wrk -t1 -c"$CONNS" -d3s -s bench/lua/by-session.lua "$BASE" >/dev/null
wrk_run by-session -s bench/lua/by-session.lua "$BASE"
BS=("$W_RPS" "$W_P50" "$W_P99" "$W_CPU" "$W_NON2XX")
PGB=$(timeout $((S + 60)) pgbench -n -M prepared -c "$POOL" -j 2 -T "$S" -D orders="$ORDERS" \
  -f bench/pgbench/by-session.sql "$DB" 2>&1)
echo "$PGB" >"$OUT/pgbench-by-session-$STAMP.txt"
BS_CEIL=$(awk '/^tps/ { printf "%.0f", $3 }' <<<"$PGB")
BS_CEIL_LAT=$(awk '/^latency average/ { print $4 }' <<<"$PGB")
log "pgbench by-session: $BS_CEIL tps (latency average $BS_CEIL_LAT ms)"
rate_run by-session by-session
BS_RATE=$R_TXT BS_RATE_CPU=$R_CPU BS_RATE_OK=$R_OK
BS_BODY=$(curl -fsS "$BASE/api/orders/by-session/cs_test_read_7")

# peer_run NAME BINARY: the same by-session load against a peer on a free port (same DB, same pool size);
# sets P_RPS P_P50 P_P99 P_CPU P_SAME (its body for one order equals checkoutd's: yes/no).
peer_run() {
  local name=$1 bin=$2 port pid saved=$SERVER_PID
  port=$(python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
  PORT=$port "$bin" >"$OUT/peer-$name-$STAMP.out" 2>"$OUT/peer-$name-$STAMP.err" &
  pid=$!
  PIDS+=("$pid")
  for _ in $(seq 1 300); do
    curl -fsS "http://127.0.0.1:$port/api/orders/by-session/cs_test_read_1" >/dev/null 2>&1 && break
    sleep 0.1
  done
  # Same JSON value (Foundation's encoder on Linux orders keys by hash, so bytes may differ in key order).
  P_SAME=$(python3 -c 'import json, sys; print("yes" if json.loads(sys.argv[1]) == json.loads(sys.argv[2]) else "no")' \
    "$(curl -fsS "http://127.0.0.1:$port/api/orders/by-session/cs_test_read_7" || echo null)" "$BS_BODY")
  SERVER_PID=$pid
  timeout 30 wrk -t1 -c"$CONNS" -d3s -s bench/lua/by-session.lua "http://127.0.0.1:$port" >/dev/null
  wrk_run "peer-$name" -s bench/lua/by-session.lua "http://127.0.0.1:$port"
  P_RPS=$W_RPS P_P50=$W_P50 P_P99=$W_P99 P_CPU=$W_CPU
  SERVER_PID=$saved
  kill "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  log "peer $name: $P_RPS req/s, p99 $P_P99 ms, same body as checkoutd: $P_SAME"
}
PEER_ROWS=""
BEST_PEER=0
if [ "${BENCH_SKIP_PEERS:-0}" != 1 ]; then
  log "part 2b: by-session peers"
  for peer in "hummingbird-postgres|Hummingbird 2 + postgres-nio|$ROOT/.build-bench-hbpg/release/hummingbird-postgres" \
    "vapor-fluent|Vapor 4 + Fluent|$ROOT/.build-bench-vapor/release/vapor-fluent"; do
    IFS='|' read -r pname ptitle pbin <<<"$peer"
    peer_run "$pname" "$pbin"
    PEER_ROWS+="| 2 | peer: ${ptitle}, same by-session JSON (same value: ${P_SAME}), c${CONNS} | ${P_RPS} | ${P_P50} | ${P_P99} | ${P_CPU} | checkoutd: ${BS[0]} req/s | $(awk -v a="${BS[0]}" -v b="$P_RPS" 'BEGIN { if (b > 0) printf "**%.2f×**", a / b; else print "n/a" }') | ≥ 1.5× the faster peer, lower p99 | |"$'\n'
    if awk -v a="$P_RPS" -v b="$BEST_PEER" 'BEGIN { exit !(a > b) }'; then BEST_PEER=$P_RPS; fi
  done
fi

# ---------------------------------------------------------------- 3. webhooks vs pgbench
log "part 3: webhooks (pre-signing $HOOKS events)"
RATE_N=$(awk -v r="$RATE" -v s="$RATE_S" 'BEGIN { printf "%d", r * s }')
WRK_N=$((HOOKS - RATE_N))
python3 bench/webhook_gen.py "$SECRET" 1 "$HOOKS" "$OUT/webhooks.txt" "$OUT/webhook-tx.sql"
head -n "$WRK_N" "$OUT/webhooks.txt" >"$OUT/webhooks-wrk.txt"
BENCH_WEBHOOK_FILE="$OUT/webhooks-wrk.txt" wrk_run webhook -s bench/lua/webhook.lua "$BASE"
WH=("$W_RPS" "$W_P50" "$W_P99" "$W_CPU" "$W_NON2XX")
APPLIED=$(psql "$DB" -Atc "SELECT count(*) FROM stripe_events WHERE event_id LIKE 'evt_bench_%' AND result = 'applied'")
WH_EPS=$(awk -v a="$APPLIED" -v s="$S" 'BEGIN { printf "%.0f", a / s }')
log "webhook: $APPLIED events applied (wrk sent ${W_REQ}; file holds $WRK_N) → $WH_EPS events/s"
[ "$W_REQ" -le "$WRK_N" ] || log "webhook: WARNING wrk wrapped around the file: raise BENCH_HOOKS"
PER_CLIENT=$((HOOKS / POOL)); [ "$PER_CLIENT" -le 2000 ] || PER_CLIENT=2000
PGB=$(timeout 300 pgbench -n -M prepared -c "$POOL" -j 2 -t "$PER_CLIENT" -f "$OUT/webhook-tx.sql" "$DB" 2>&1)
echo "$PGB" >"$OUT/pgbench-webhook-$STAMP.txt"
WH_CEIL=$(awk '/^tps/ { printf "%.0f", $3 }' <<<"$PGB")
PGB_APPLIED=$(psql "$DB" -Atc "SELECT count(*) FROM stripe_events WHERE event_id LIKE 'evt_pgb_%' AND result = 'applied'")
log "pgbench webhook tx: $WH_CEIL tps ($PGB_APPLIED transactions applied)"
rate_run webhook webhook --webhook-file "$OUT/webhooks.txt" --webhook-skip "$WRK_N"
WH_RATE=$R_TXT WH_RATE_CPU=$R_CPU WH_RATE_OK=$R_OK
DOUBLE=$(psql "$DB" -Atc "SELECT count(*) FROM (SELECT stripe_event_id FROM order_history WHERE stripe_event_id IS NOT NULL GROUP BY 1 HAVING count(*) > 1) d")
log "events with more than one history row: $DOUBLE"

# ---------------------------------------------------------------- 4. create-checkout-session
log "part 4: create-checkout-session against stripe-sim"
timeout 30 wrk -t1 -c"$CONNS" -d3s -s bench/lua/create.lua "$BASE/api/payments/create-checkout-session" >/dev/null
wrk_run create -s bench/lua/create.lua "$BASE/api/payments/create-checkout-session"
CR=("$W_RPS" "$W_P50" "$W_P99" "$W_CPU" "$W_NON2XX")
rate_run create create
CR_RATE=$R_TXT CR_RATE_CPU=$R_CPU CR_RATE_OK=$R_OK

# ---------------------------------------------------------------- bulkhead: a hanging Stripe
# Webhook and /healthz latency while 20 creates wait on a hanging stripe-sim (bench/stripe_hang.py:
# its own Postgres, stripe-sim and checkoutd).
log "webhook and /healthz while Stripe hangs (bench/stripe_hang.py)"
HANG_TABLE=$(python3 bench/stripe_hang.py "$BIN" 2>>"$LOG" || echo "| bench/stripe_hang.py failed (see $LOG) |")

# ---------------------------------------------------------------- 6. instructions per request
IPR=()
if [ "${BENCH_SKIP_PROFILE:-0}" != 1 ]; then
  log "part 6: callgrind instructions per request (bench/profile.sh, ${BENCH_PROFILE_COUNT:-1000} requests per route)"
  for kind in by-session webhook create; do
    line=$(PROFILE_SKIP_BUILD=1 PROFILE_SKIP_CPU=1 timeout 1200 bench/profile.sh "$kind" "${BENCH_PROFILE_COUNT:-1000}" 2>>"$LOG" | grep 'instructions/request' || true)
    IPR+=("$(sed -E 's/.*: ([0-9]+) instructions.*/\1/' <<<"$line")")
    log "$line"
  done
fi

LOAD_END=$(cut -d' ' -f1-3 /proc/loadavg)
ELAPSED=$(($(date +%s) - T_START))

# ---------------------------------------------------------------- report
BS_PCT=$(pct "${BS[0]}" "$BS_CEIL")
WH_PCT=$(pct "$WH_EPS" "$WH_CEIL")
TABLE=$(
  echo "| # | benchmark | req/s | p50 ms | p99 ms | CPU µs/req (instructions/req) | ceiling / peer | ratio | target | fixed ${RATE}/s: p50 / p99 / p99.9 ms (CPU µs/req) |"
  echo "|---|---|---:|---:|---:|---:|---|---:|---|---|"
  [ -n "$HTTP_ROWS" ] && echo "$HTTP_ROWS"
  echo "| 2 | \`GET /api/orders/by-session/:id\`, ${ORDERS} orders, c${CONNS} | ${BS[0]} | ${BS[1]} | ${BS[2]} | ${BS[3]} (${IPR[0]:-n/a}) | pgbench same 2 SELECTs, prepared, -c${POOL}: ${BS_CEIL} tps | ${BS_PCT} | ≥ 80%, ≤ 60 CPU µs | ${BS_RATE} (${BS_RATE_CPU}) |"
  [ -n "$PEER_ROWS" ] && printf '%s' "$PEER_ROWS"
  echo "| 3 | webhook \`checkout.session.completed\`, unique events, c${CONNS} | ${WH_EPS} events/s | ${WH[1]} | ${WH[2]} | ${WH[3]} (${IPR[1]:-n/a}) | pgbench same transaction, prepared, -c${POOL}: ${WH_CEIL} tps | ${WH_PCT} | ≥ 80% | ${WH_RATE} (${WH_RATE_CPU}) |"
  echo "| 4 | \`POST /api/payments/create-checkout-session\` → stripe-sim, c${CONNS} | ${CR[0]} | ${CR[1]} | ${CR[2]} | ${CR[3]} (${IPR[2]:-n/a}) | – | – | – | ${CR_RATE} (${CR_RATE_CPU}) |"
)
echo "$TABLE"
echo "$HANG_TABLE"

CPU_MODEL=$(awk -F: '/model name/ { sub(/^ */, "", $2); print $2; exit }' /proc/cpuinfo)
MEM=$(awk '/MemTotal/ { printf "%.1f GiB", $2 / 1048576 }' /proc/meminfo)
SWIFT_V=$(swift --version 2>&1 | head -n1)
{
  echo "# Benchmarks (\`make bench\`)"
  echo
  echo "Generated by \`bench/run.sh\` on $(date -u '+%Y-%m-%d %H:%M UTC'); the exact command:"
  echo
  echo '```'
  echo "make bench   # = bench/run.sh; BENCH_SECONDS=$S BENCH_CONNS=$CONNS BENCH_ORDERS=$ORDERS BENCH_HOOKS=$HOOKS BENCH_RATE=$RATE BENCH_RATE_SECONDS=$RATE_S DB_POOL_SIZE=$POOL BENCH_HTTP_DURATION=${BENCH_HTTP_DURATION:-5}"
  echo '```'
  echo
  echo "| machine | |"
  echo "|---|---|"
  echo "| CPUs (\`nproc\`) | $(nproc) × $CPU_MODEL |"
  echo "| memory | $MEM |"
  echo "| kernel | $(uname -sr) |"
  echo "| Swift | $SWIFT_V |"
  echo "| Postgres | $PG_VERSION (scripts/pg.sh --fresh: fsync, synchronous_commit, full_page_writes off) |"
  echo "| load average (1/5/15 min) | start: $LOAD_START; end: $LOAD_END |"
  echo "| wall time | ${ELAPSED} s |"
  echo
  echo "$TABLE"
  echo
  echo "$HANG_TABLE"
  echo
  echo "What each row is (all on one machine over loopback: the server, Postgres, stripe-sim and the load generator share the same $(nproc) CPUs):"
  echo
  echo "- **req/s, p50, p99**: \`wrk -t1 -c$CONNS -d${S}s --latency\` (closed loop, saturating); the by-session and create rows after a 3 s warm-up. Row 3's rate is *applied events* counted in \`stripe_events\` ÷ ${S} s (wrk sent ${WH[0]} req/s; non-2xx: ${WH[4]})."
  echo "- **CPU µs/req**: utime+stime of the \`checkoutd\` process from \`/proc/<pid>/stat\` across the run ÷ requests (resolution 1/$TCK s). Postgres' and stripe-sim's CPU are not included."
  echo "- **ceiling**: \`pgbench -n -M prepared -c $POOL -j 2\` (the same number of connections as \`DB_POOL_SIZE\`) running the statements the endpoint runs, copied from \`Sources/Checkout\`: \`bench/pgbench/by-session.sql\` (random session id via \`\\set\`, ${S} s) and the transaction generated by \`bench/webhook_gen.py\` (stripe_events insert, order \`FOR UPDATE\`, session updates, outbox insert, order update, history insert, event result; a fresh pending order per transaction from a sequence; $((PER_CLIENT * POOL)) transactions)."
  echo "- **fixed rate**: \`bench/rate.py\` sends ${RATE} req/s for ${RATE_S} s on 32 keep-alive connections, open loop (latency from when a request was due, so stalls are not hidden). by-session ${BS_RATE_OK}; webhook ${WH_RATE_OK}; create ${CR_RATE_OK}."
  echo "- **webhooks**: bodies are the fixture \`checkout.session.completed\` (≈2.6 KB) for distinct seeded pending orders, signed with the configured secret when generated; \`STRIPE_WEBHOOK_TOLERANCE=86400\` for the bench so pre-signed timestamps stay valid. The outbox worker is off (\`OUTBOX_CONCURRENCY=0\`) so the row measures ingestion alone, like the pgbench ceiling; each applied event leaves one pending \`fulfill\` job. Events with two history rows after the run: $DOUBLE."
  echo "- **create-checkout-session**: one catalog product with unlimited stock, no Idempotency-Key, \`RATE_LIMIT_PER_MINUTE=0\`; each request inserts an order + item, calls stripe-sim (\`--quiet\`) over HTTP and stores the session. Non-2xx: ${CR[4]}."
  echo "- Server settings: release build, \`DB_POOL_SIZE=$POOL\`, 16 HTTP worker threads (default), \`LOG_LEVEL=${BENCH_LOG_LEVEL:-info}\` (JSON access log to a file), reconciler off."
  echo "- **peers**: \`bench/peers/hummingbird-postgres\` and \`bench/peers/vapor-fluent\`, release builds, same database, statements, JSON value and pool size (\`DB_POOL_SIZE=$POOL\`), the same wrk load after a 3 s warm-up; their CPU µs/req is their own process's. Ratio = checkoutd's req/s ÷ the peer's."
  echo "- **instructions/req**: \`bench/profile.sh ROUTE ${BENCH_PROFILE_COUNT:-1000}\` (callgrind, collection switched on after a warm-up, exactly that many requests on a fresh Postgres of its own): counts, not seconds, so they do not move with the machine's load."
  echo
  echo "Raw outputs (wrk, pgbench, rate.py JSON, server logs) of this run: \`bench/out/*-$STAMP*\` (gitignored)."
  echo
  cat bench/NOTES.md
  if [ -n "$HTTP_ROWS" ]; then
    echo
    echo "## Part 1 in detail (\`bench/http.sh\`, as printed by it)"
    echo
    sed 's/^### /#### /' "$OUT/http-part-$STAMP.md"
  fi
} >docs/BENCHMARKS.md.new
mv docs/BENCHMARKS.md.new docs/BENCHMARKS.md
log "wrote docs/BENCHMARKS.md (elapsed ${ELAPSED} s, load at end $LOAD_END)"
