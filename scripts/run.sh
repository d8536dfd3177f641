#!/usr/bin/env bash
# `make run`: the whole stack on this machine, for clicking through and for `make demo`.
#
#   1. builds checkoutd and stripe-sim (debug; RUN_CONFIG=release for a release build)
#   2. starts (or reuses) the project-local Postgres in .local/pg: its data survives restarts
#      (`make db-stop` stops it)
#   3. `checkoutd migrate`, then loads scripts/seed.sql when the products table is empty
#   4. Stripe: a real STRIPE_SECRET_KEY (environment or .env) → real Stripe with your
#      STRIPE_WEBHOOK_SECRET (from `stripe listen`); otherwise stripe-sim, wired to our webhook URL
#      with a whsec_ secret generated once per .local/ install (.local/stripe-sim.whsec)
#   5. checkoutd on :8080 (PORT=… to change) with the demo storefront at /demo/ and an ADMIN_TOKEN
#      (environment, .env, or generated once into .local/admin-token)
#   6. unless FULFILLMENT_WEBHOOK_URL is configured: scripts/supplier.py as the fulfillment supplier
#      (orders whose email has "+fail@" in it fail there, so "needs attention" can be seen), with
#      short outbox retries (OUTBOX_MAX_ATTEMPTS=3, OUTBOX_BACKOFF_BASE=1, OUTBOX_BACKOFF_MAX=5 unless
#      set in the environment)
#   7. unless SMTP_URL is configured: maildump (pinned, .local/mail-venv via scripts/mail-venv.sh) as the
#      mail catcher for customer e-mail, SMTP on 127.0.0.1:MAIL_SMTP_PORT (1025), web view on
#      MAIL_WEB_PORT (1080)
#   8. prints the URLs; Ctrl-C stops checkoutd, stripe-sim, the supplier and maildump (by PID, nothing left behind).
#
# Logs: checkoutd on this terminal (LOG_FORMAT=text unless you set it), stripe-sim in .local/logs/.
set -euo pipefail
cd "$(dirname "$0")/.."
mkdir -p .local/logs
pidfile=.local/run.pids

say() { printf '%s\n' "run: $*"; }
die() { printf '%s\n' "run: $*" >&2; exit 1; }

# The value of NAME from ./.env (the last assignment wins), quotes stripped; empty when absent.
dotenv_get() {
  [ -f .env ] || return 0
  sed -n -E "s/^[[:space:]]*(export[[:space:]]+)?$1[[:space:]]*=[[:space:]]*(.*)$/\2/p" .env | tail -n 1 |
    sed -E -e 's/[[:space:]]+#.*$//' -e 's/[[:space:]]+$//' -e "s/^\"(.*)\"$/\1/" -e "s/^'(.*)'$/\1/"
}
# The environment wins over .env, as in checkoutd itself.
setting() { local v="${!1:-}"; [ -n "$v" ] && printf '%s' "$v" || dotenv_get "$1"; }

# Is 127.0.0.1:PORT free to listen on?
port_free() {
  python3 - "$1" <<'PY'
import socket, sys
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
try:
    s.bind(("127.0.0.1", int(sys.argv[1])))
except OSError:
    sys.exit(1)
finally:
    s.close()
PY
}

# Bounded wait until URL answers 2xx, while PID is alive. Prints nothing; returns 1 on timeout/death.
wait_http() {
  local url=$1 pid=$2 deadline=$((SECONDS + $3))
  while [ $SECONDS -lt $deadline ]; do
    kill -0 "$pid" 2>/dev/null || return 1
    curl -fsS -o /dev/null --max-time 2 "$url" 2>/dev/null && return 0
    sleep 0.2
  done
  return 1
}

# Ends PIDs gracefully (SIGTERM; both drain within SHUTDOWN_GRACE), then SIGKILL after 20 s.
stop_pids() {
  local pid deadline=$((SECONDS + 20))
  for pid in "$@"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "$@"; do
    while kill -0 "$pid" 2>/dev/null && [ $SECONDS -lt $deadline ]; do sleep 0.1; done
    kill -KILL "$pid" 2>/dev/null || true
  done
}

# .local/run.pids: "runner <PID of this script>", then one child PID per line. A `make run` that is still
# running is left alone; one killed with SIGKILL may have left its children: end them by their recorded
# PID (only when that PID still runs one of our programs).
if [ -f "$pidfile" ]; then
  runner=$(sed -n 's/^runner //p' "$pidfile")
  if [ -n "$runner" ] && grep -qa 'run\.sh' "/proc/$runner/cmdline" 2>/dev/null; then
    die "make run is already running (PID $runner). Stop it with Ctrl-C in its terminal (or: kill $runner)."
  fi
  stale=()
  while read -r pid; do
    [[ "$pid" =~ ^[0-9]+$ ]] && grep -qaE '(checkoutd|stripe-sim|supplier\.py|maildump)' "/proc/$pid/cmdline" 2>/dev/null && stale+=("$pid")
  done <"$pidfile"
  if [ ${#stale[@]} -gt 0 ]; then
    say "stopping processes left by an earlier run (PIDs ${stale[*]})"
    stop_pids "${stale[@]}"
  fi
  rm -f "$pidfile"
fi

port=${PORT:-8080}
sim_port=${SIM_PORT:-12111}
supplier_port=${SUPPLIER_PORT:-12113}
own_supplier=false
[ -n "$(setting FULFILLMENT_WEBHOOK_URL)" ] || own_supplier=true
mail_smtp_port=${MAIL_SMTP_PORT:-1025}
mail_web_port=${MAIL_WEB_PORT:-1080}
own_mail=false
[ -n "$(setting SMTP_URL)" ] || own_mail=true

# --- Stripe: real keys or the simulator -----------------------------------------------------------
key=$(setting STRIPE_SECRET_KEY)
real_stripe=false
if [[ "$key" =~ ^(sk|rk)_(test|live)_[A-Za-z0-9]{20,}$ ]]; then real_stripe=true; fi

port_free "$port" || die "port $port is already in use (another \`make run\`? see: ss -ltnp 'sport = :$port'). Stop it or use: make run PORT=8081"
if ! $real_stripe; then
  port_free "$sim_port" || die "port $sim_port (stripe-sim) is already in use (see: ss -ltnp 'sport = :$sim_port'). Stop it or use: make run SIM_PORT=12112"
fi

if $own_supplier; then
  port_free "$supplier_port" || die "port $supplier_port (demo supplier) is already in use (see: ss -ltnp 'sport = :$supplier_port'). Stop it or use: make run SUPPLIER_PORT=12114"
fi

if $own_mail; then
  port_free "$mail_smtp_port" || die "port $mail_smtp_port (maildump SMTP) is already in use. Stop it or use: make run MAIL_SMTP_PORT=1026"
  port_free "$mail_web_port" || die "port $mail_web_port (maildump web) is already in use. Stop it or use: make run MAIL_WEB_PORT=1081"
  scripts/mail-venv.sh .local/mail-venv
fi

# --- Build -----------------------------------------------------------------------------------------
config=${RUN_CONFIG:-debug}
say "building ($config)…"
swift build -c "$config" --product checkoutd
$real_stripe || swift build -c "$config" --product stripe-sim
bin=$(swift build -c "$config" --show-bin-path)

# --- Postgres --------------------------------------------------------------------------------------
scripts/pg.sh start .local/pg
export DATABASE_URL
DATABASE_URL=$(scripts/pg.sh url .local/pg)
pgbin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)

# --- Configuration for checkoutd (the environment wins over .env, so these override it) -------------
export HOST=127.0.0.1 PORT="$port" DEMO_ENABLED=true
export PUBLIC_ORIGIN="http://localhost:$port/demo"
LOG_FORMAT=$(setting LOG_FORMAT)
export LOG_FORMAT=${LOG_FORMAT:-text}
admin_note="(from your environment/.env)"
# Admin links in notifications point here; fast outbox retries so a failing fulfillment shows up in seconds.
PUBLIC_BASE_URL=$(setting PUBLIC_BASE_URL)
export PUBLIC_BASE_URL=${PUBLIC_BASE_URL:-http://localhost:$port}
if $own_supplier; then
  export FULFILLMENT_WEBHOOK_URL="http://127.0.0.1:$supplier_port/orders"
  # These win over .env (whose copied .env.example values would take minutes); the environment wins over them.
  export OUTBOX_MAX_ATTEMPTS=${OUTBOX_MAX_ATTEMPTS:-3} OUTBOX_BACKOFF_BASE=${OUTBOX_BACKOFF_BASE:-1}
  export OUTBOX_BACKOFF_MAX=${OUTBOX_BACKOFF_MAX:-5}
fi
if $own_mail; then
  # The local catcher speaks plain SMTP on loopback (allowed without credentials only).
  export SMTP_URL="smtp://127.0.0.1:$mail_smtp_port" SMTP_STARTTLS=false
  MAIL_FROM=$(setting MAIL_FROM)
  export MAIL_FROM=${MAIL_FROM:-Demo Shop <shop@localhost>}
fi
if [ -z "$(setting ADMIN_TOKEN)" ]; then
  [ -s .local/admin-token ] || python3 -c 'import secrets; print(secrets.token_urlsafe(24))' >.local/admin-token
  export ADMIN_TOKEN
  ADMIN_TOKEN=$(cat .local/admin-token)
  admin_note="$ADMIN_TOKEN"
fi

if $real_stripe; then
  say "real Stripe key found ($(printf '%s' "$key" | cut -c1-8)…): not starting stripe-sim"
  export STRIPE_API_BASE=https://api.stripe.com
  if [ -z "$(setting STRIPE_WEBHOOK_SECRET)" ]; then
    say "WARNING: STRIPE_WEBHOOK_SECRET is not set, so every webhook will be rejected. Run"
    say "  stripe listen --forward-to localhost:$port/api/payments/webhook"
    say "and put the whsec_… it prints into .env as STRIPE_WEBHOOK_SECRET, then make run again."
  fi
else
  [ -s .local/stripe-sim.whsec ] ||
    python3 -c 'import secrets; print("whsec_" + secrets.token_hex(24))' >.local/stripe-sim.whsec
  export STRIPE_SECRET_KEY=sk_test_stripe_sim_offline
  export STRIPE_API_BASE="http://127.0.0.1:$sim_port"
  # Both checkoutd and stripe-sim read it from the environment (so it is not on a command line).
  export STRIPE_WEBHOOK_SECRET
  STRIPE_WEBHOOK_SECRET=$(cat .local/stripe-sim.whsec)
fi

say "migrating…"
"$bin/checkoutd" migrate
if [ "$("$pgbin/psql" "$DATABASE_URL" -Atqc 'SELECT count(*) FROM products')" = "0" ]; then
  "$pgbin/psql" "$DATABASE_URL" -v ON_ERROR_STOP=1 -q -f scripts/seed.sql
  say "seeded the demo catalog (scripts/seed.sql)"
fi

# --- Start, watch, stop ------------------------------------------------------------------------------
pids=()
cleanup() {
  trap - INT TERM EXIT
  if [ ${#pids[@]} -gt 0 ]; then
    echo
    say "stopping (PIDs ${pids[*]})…"
    stop_pids "${pids[@]}"
    wait 2>/dev/null || true
  fi
  rm -f "$pidfile"
  say "stopped. Postgres keeps running (data in .local/pg); make db-stop stops it."
}
trap cleanup EXIT
echo "runner $$" >"$pidfile"
trap 'exit 0' INT TERM   # Ctrl-C is the normal way to stop

if ! $real_stripe; then
  "$bin/stripe-sim" --port "$sim_port" --public-url "http://localhost:$sim_port" \
    --webhook-url "http://127.0.0.1:$port/api/payments/webhook" \
    --delivery-initial-backoff-ms 500 --delivery-max-backoff-ms 5000 \
    --promotion-code DEMO10=10% --tax-rate 8 \
    >>.local/logs/stripe-sim.log 2>&1 &
  pids+=($!)
  echo "$!" >>"$pidfile"
  wait_http "http://127.0.0.1:$sim_port/_sim/health" "$!" 30 ||
    { tail -n 20 .local/logs/stripe-sim.log >&2; die "stripe-sim did not start (log: .local/logs/stripe-sim.log)"; }
fi

if $own_supplier; then
  python3 scripts/supplier.py --port "$supplier_port" >>.local/logs/supplier.log 2>&1 &
  pids+=($!)
  echo "$!" >>"$pidfile"
  wait_http "http://127.0.0.1:$supplier_port/_supplier/health" "$!" 30 ||
    { tail -n 20 .local/logs/supplier.log >&2; die "the demo supplier did not start (log: .local/logs/supplier.log)"; }
fi

if $own_mail; then
  .local/mail-venv/bin/maildump --foreground --smtp-ip 127.0.0.1 --smtp-port "$mail_smtp_port" \
    --http-ip 127.0.0.1 --http-port "$mail_web_port" >>.local/logs/maildump.log 2>&1 &
  pids+=($!)
  echo "$!" >>"$pidfile"
  wait_http "http://127.0.0.1:$mail_web_port/" "$!" 60 ||
    { tail -n 20 .local/logs/maildump.log >&2; die "maildump did not start (log: .local/logs/maildump.log)"; }
fi

"$bin/checkoutd" serve &
pids+=($!)
echo "$!" >>"$pidfile"
wait_http "http://127.0.0.1:$port/healthz" "$!" 60 || die "checkoutd did not start (see the lines above)"

cat <<EOF

  ──────────────────────────────────────────────────────────────────────────────
   checkout-server is running
     storefront   http://localhost:$port/demo/
     admin        http://localhost:$port/admin/     token: $admin_note
EOF
if $real_stripe; then
  echo "     Stripe       real API (your key); webhooks via: stripe listen --forward-to localhost:$port/api/payments/webhook"
else
  cat <<EOF
     stripe-sim   http://localhost:$sim_port/_sim/sessions   (control API; log: .local/logs/stripe-sim.log)
EOF
fi
$own_supplier && echo "     supplier     http://localhost:$supplier_port/_supplier/health   (fulfillment stand-in: an email with +fail@ fails)"
$own_mail && echo "     mail         http://localhost:$mail_web_port/   (maildump: the customer e-mails; give an email at checkout)"
cat <<EOF
     metrics      http://localhost:$port/metrics      health: /healthz, /readyz   API spec: /openapi.yaml
EOF
$real_stripe || echo "     walkthrough  make demo   (in another terminal)"
cat <<EOF
   Ctrl-C stops checkoutd$($real_stripe || echo ", stripe-sim")$($own_supplier && echo ", the supplier")$($own_mail && echo ", maildump"); Postgres keeps its data (make db-stop stops it).
  ──────────────────────────────────────────────────────────────────────────────

EOF

# Whichever ends first (Ctrl-C, or a crash) brings the other down too.
set +e
wait -n "${pids[@]}"
status=$?
say "checkoutd, stripe-sim, the supplier or maildump exited (status $status); stopping the rest"
exit "$status"
