#!/usr/bin/env bash
# `make demo`: a scripted walkthrough of the API with curl, against the stack `make run` started
# (run that in another terminal first). Every step prints the request and the interesting part of
# the answer. Payments are made through stripe-sim's control API, as a customer clicking Pay would.
#
#   1. the catalog             GET  /api/products
#   2. checkout                POST /api/payments/create-checkout-session  → order pending_payment
#   3. the customer pays       POST stripe-sim /_sim/sessions/:id/pay      → signed webhook → paid
#   4. a declined card         /_sim/sessions/:id/decline → failed; retry-session → new session → paid
#   5. needs attention         the supplier rejects a paid order until the outbox gives up; an admin
#                              retries fulfillment once the supplier is back. And: an order an admin
#                              cancelled whose (still open) session the customer then paid.
#   6. mark-paid               an admin records a payment made outside Stripe, with a note
#
# Settings: PORT (8080), SIM_PORT (12111), SUPPLIER_PORT (12113), ADMIN_TOKEN (else .local/admin-token).
set -euo pipefail
cd "$(dirname "$0")/.."
port=${PORT:-8080}
sim_port=${SIM_PORT:-12111}
api="http://127.0.0.1:$port"
sim="http://127.0.0.1:$sim_port"
supplier="http://127.0.0.1:${SUPPLIER_PORT:-12113}"

bold=$'\e[1m' dim=$'\e[2m' reset=$'\e[0m'
[ -t 1 ] || { bold='' dim='' reset=''; }

die() { printf '%s\n' "demo: $*" >&2; exit 1; }

if ! curl -fsS -o /dev/null --max-time 3 "$api/healthz" 2>/dev/null; then
  die "nothing answers at $api/healthz. Start the stack first, in another terminal: make run"
fi
if ! curl -fsS -o /dev/null --max-time 3 "$sim/_sim/health" 2>/dev/null; then
  die "stripe-sim does not answer at $sim. make demo drives payments through the simulator, so it needs make run without a real STRIPE_SECRET_KEY."
fi
token=${ADMIN_TOKEN:-}
[ -n "$token" ] || token=$(cat .local/admin-token 2>/dev/null || true)
[ -n "$token" ] || die "no admin token: set ADMIN_TOKEN to the one make run uses"

# jq prints the answers readably; without it (and without a way to install it) python's json.tool does.
if ! command -v jq >/dev/null; then
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo -n"
  echo "demo: installing jq to print JSON readably…"
  { $sudo apt-get install -y -qq jq >/dev/null 2>&1 || true; } </dev/null
fi

step() { printf '\n%s══ %s%s\n' "$bold" "$*" "$reset"; }
note() { printf '%s%s%s\n' "$dim" "$*" "$reset"; }

# call METHOD URL [JSON-BODY] [extra curl args…]: prints the request, stores status and body.
status="" body=""
call() {
  local method=$1 url=$2 data=${3:-}
  shift 3 2>/dev/null || shift $#
  local shown=""
  local a
  for a in "$@"; do [[ $a == -* ]] && shown+=" $a" || shown+=" '${a/$token/\$TOKEN}'"; done
  printf "%s\$ curl -X %s '%s'%s%s%s\n" "$dim" "$method" "$url" "$shown" "${data:+ -d '$data'}" "$reset"
  local out
  local args=(-sS --max-time 30 -X "$method" -w $'\n%{http_code}' "$@")
  [ -n "$data" ] && args+=(-H 'Content-Type: application/json' --data "$data")
  out=$(curl "${args[@]}" "$url")
  status=${out##*$'\n'}
  body=${out%$'\n'*}
}

# show [jq-filter]: the last answer, filtered (the whole answer when jq is missing).
show() {
  printf '%s→ HTTP %s%s\n' "$bold" "$status" "$reset"
  if command -v jq >/dev/null; then
    printf '%s' "$body" | jq "${@:-.}"
  else
    printf '%s' "$body" | python3 -m json.tool
  fi
}

# field PATH: one value of the last answer (e.g. field orderId, field session.id).
field() {
  printf '%s' "$body" | python3 -c '
import json, sys
v = json.load(sys.stdin)
for k in sys.argv[1].split("."):
    v = v[int(k)] if isinstance(v, list) else v.get(k)
print("" if v is None else v)' "$1"
}

expect() { [ "$status" = "$1" ] || { show; die "expected HTTP $1, got $status"; }; }

# Webhooks are delivered in the background; wait (bounded) until stripe-sim has delivered them all.
await_webhooks() {
  curl -fsS -o /dev/null --max-time 15 "$sim/_sim/deliveries/wait?timeout=10" ||
    die "stripe-sim still has webhooks in flight after 10 s (see .local/logs/stripe-sim.log)"
}

admin=(-H "Authorization: Bearer $token")
idem() { printf 'demo-%s-%s' "$1" "$(date +%s%N)"; }

step "1. The catalog (public): prices and stock come from the products table, never from the client"
call GET "$api/api/products"
expect 200
show -r '(if type == "array" then . else .products end)[] | "\(.id)\t\(.unitAmount) \(.currency)\tstock \(.stock // "unlimited")\t\(.title)"'

step "2. A customer checks out 2 mugs and a sticker pack"
call POST "$api/api/payments/create-checkout-session" \
  '{"items":[{"productId":"sku_mug","quantity":2},{"productId":"sku_stickers","quantity":1}],"customerEmail":"ada@example.com"}' \
  -H "Idempotency-Key: $(idem first)"
expect 201
show
session=$(field id)
order=$(field orderId)
note "The storefront now redirects the browser to \"url\" (the simulator's hosted page here, Stripe's in production)."

call GET "$api/api/orders/by-session/$session"
expect 200
show '{orderNumber, status, paymentStatus, fulfillmentStatus, amountTotal, currency}'

step "3. The customer pays (stripe-sim's control API = clicking Pay on the hosted page)"
call POST "$sim/_sim/sessions/$session/pay" '{}'
expect 200
show '{events, session: {id: .session.id, status: .session.status, payment_status: .session.payment_status}}'
note "stripe-sim now POSTs signed events to /api/payments/webhook; each is recorded and applied exactly once."
await_webhooks
call GET "$api/api/orders/by-session/$session"
expect 200
show '{orderNumber, status, paymentStatus, fulfillmentStatus, amountTotal}'
note "Delivering the same event again changes nothing (exactly once):"
evt=$(curl -fsS "$sim/_sim/events?type=checkout.session.completed" | python3 -c 'import json,sys; print(json.load(sys.stdin)["data"][-1]["id"])')
call POST "$sim/_sim/events/$evt/resend" '{"times":3}'
expect 200
await_webhooks
call GET "$sim/_sim/events?type=checkout.session.completed"
show --arg id "$evt" '.data[] | select(.id == $id) | {id, type, succeededDeliveries}'
call GET "$api/api/admin/orders/$order" "" "${admin[@]}"
expect 200
show '{orderNumber, status, events: [.events[] | {type, result}]}'

step "4. A declined card, then a retry that pays"
call POST "$api/api/payments/create-checkout-session" '{"items":[{"productId":"sku_tee","quantity":1}]}' \
  -H "Idempotency-Key: $(idem decline)"
expect 201
session=$(field id)
order=$(field orderId)
call POST "$sim/_sim/sessions/$session/decline" '{"message":"Your card was declined.","declineCode":"insufficient_funds"}'
expect 200
show '{events}'
await_webhooks
call GET "$api/api/orders/by-session/$session"
show '{orderNumber, status, paymentStatus, failureReason}'
note "The cancel page's \"Retry payment\" button calls retry-session: the old session is expired, a new one made."
call POST "$api/api/orders/$order/retry-session" ""
expect 201
show
session2=$(field id)
call POST "$sim/_sim/sessions/$session2/pay" '{}'
expect 200
await_webhooks
call GET "$api/api/admin/orders/$order" "" "${admin[@]}"
expect 200
show '{orderNumber, status, paymentStatus, sessions: [.sessions[] | {id, status}], history: [.history[] | "\(.status): \(.reason) (\(.actor))"]}'

# Bounded wait until the admin order matches a jq condition (the outbox works in the background).
await_order() {
  local id=$1 cond=$2 seconds=$3 deadline=$((SECONDS + $3))
  while [ $SECONDS -lt $deadline ]; do
    body=$(curl -fsS --max-time 10 "${admin[@]}" "$api/api/admin/orders/$id") &&
      printf '%s' "$body" | python3 -c "import json,sys; o=json.load(sys.stdin); sys.exit(0 if ($cond) else 1)" && return 0
    sleep 0.5
  done
  die "order $id did not reach ($cond) within $seconds s"
}

if curl -fsS -o /dev/null --max-time 3 "$supplier/_supplier/health" 2>/dev/null; then
  step "5. Needs attention: the supplier rejects a paid order"
  note "make run's stand-in supplier (scripts/supplier.py) fails orders whose email has +fail@ in it."
  curl -fsS -o /dev/null -X POST "$supplier/_supplier/break"
  call POST "$api/api/payments/create-checkout-session" \
    '{"items":[{"productId":"sku_tee","quantity":2}],"customerEmail":"grace+fail@example.com"}' \
    -H "Idempotency-Key: $(idem supplier)"
  expect 201
  session=$(field id)
  order=$(field orderId)
  call POST "$sim/_sim/sessions/$session/pay" '{}'
  expect 200
  await_webhooks
  note "Paid. The outbox now POSTs the order to the supplier, retries with backoff, and gives up…"
  await_order "$order" 'o["fulfillmentStatus"] == "failed"' 60
  status=200
  show '{orderNumber, status, paymentStatus, fulfillmentStatus, needsAttention, fulfillmentError}'
  note "The supplier is fixed; an admin clicks \"Retry fulfillment\":"
  curl -fsS -o /dev/null -X POST "$supplier/_supplier/heal"
  call POST "$api/api/admin/orders/$order/retry-fulfillment" "" "${admin[@]}"
  expect 200
  await_order "$order" 'o["status"] == "confirmed"' 60
  status=200
  show '{orderNumber, status, fulfillmentStatus, fulfillmentReference, needsAttention}'
  curl -fsS -o /dev/null -X POST "$supplier/_supplier/break"
else
  note "(no demo supplier at $supplier: FULFILLMENT_WEBHOOK_URL is your own, so the supplier case is skipped)"
fi

step "5b. Needs attention: an admin cancels an order, but the customer still pays its open session"
call POST "$api/api/payments/create-checkout-session" '{"items":[{"productId":"sku_socks","quantity":3}]}' \
  -H "Idempotency-Key: $(idem attention)"
expect 201
session=$(field id)
order=$(field orderId)
call POST "$api/api/admin/orders/$order/cancel" '{"reason":"customer asked by phone"}' "${admin[@]}"
expect 200
show '{orderNumber, status}'
call POST "$sim/_sim/sessions/$session/pay" '{}'
expect 200
await_webhooks
note "The payment wins (money arrived), and the order is flagged for a human: someone must ship or refund it."
call GET "$api/api/admin/orders?needsAttention=true&limit=5" "" "${admin[@]}"
expect 200
show '.orders | map({orderNumber, status, paymentStatus, needsAttention, attentionReason})'
note "With FULFILLMENT_WEBHOOK_URL set, a supplier that keeps failing flags orders the same way (fulfillmentStatus failed)."

step "6. Mark paid: the customer of a failed order paid by bank transfer"
call POST "$api/api/payments/create-checkout-session" '{"items":[{"productId":"sku_mug","quantity":1}]}' \
  -H "Idempotency-Key: $(idem markpaid)"
expect 201
session=$(field id)
order=$(field orderId)
call POST "$sim/_sim/sessions/$session/decline" '{}'
expect 200
await_webhooks
call POST "$api/api/admin/orders/$order/mark-paid" '{"note":"bank transfer ref 2026-1121-77"}' "${admin[@]}"
expect 200
show '{orderNumber, status, paymentStatus, history: [.history[-1] | {status, reason, actor}]}'

step "Done"
echo "Open http://localhost:$port/admin/ (token: see make run's banner) to see these orders, or"
echo "http://localhost:$port/demo/ to buy something yourself."
