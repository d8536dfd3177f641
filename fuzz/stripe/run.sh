#!/usr/bin/env bash
# Builds and runs the libFuzzer targets beyond the HTTP parser (`make fuzz-stripe`):
#   event      webhook body → StripeEvent (JSONDecoder) → StripeEventMapping → OrderStateMachine
#   signature  Stripe-Signature header → WebhookVerifier.parse / verify
# Usage: fuzz/stripe/run.sh [seconds-per-target] [event|signature …]   (default $FUZZ_SECONDS or 300, both)
# The Stripe module and the pure Checkout files the mapping needs are compiled with
# -sanitize=fuzzer,address into .local/fuzz-stripe/; corpus and crash artifacts live there too
# (gitignored). A crash reproduces with  .local/fuzz-stripe/fuzz-<target> <artifact file>
set -euo pipefail
cd "$(dirname "$0")/../.."
seconds="${1:-${FUZZ_SECONDS:-300}}"
shift || true
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(event signature)
out=.local/fuzz-stripe
mkdir -p "$out/mods"
# shellcheck disable=SC2054  # -sanitize=fuzzer,address is one swiftc argument, not two elements
flags=(-O -g -sanitize=fuzzer,address -parse-as-library -swift-version 6 -enable-upcoming-feature ExistentialAny
  -I Sources/COpenSSL -I "$out/mods")
# The domain files StripeEventMapping and OrderStateMachine need (all pure: no Postgres, no I/O).
checkout=(Webhooks/StripeEventMapping Payments/PaymentGateway Payments/StripeClient+PaymentGateway Orders/OrderEvent
  Orders/OrderState Orders/OrderStatus Payments/PaymentStatus Orders/FulfillmentStatus Orders/OrderEffect
  Orders/OrderStateMachine Payments/Payment)

if [ ! -f "$out/.built" ] || [ -n "$(find Sources/BlockingHTTP Sources/Stripe Sources/Checkout fuzz/stripe -newer "$out/.built" -name '*.swift' | head -n1)" ]; then
  echo "fuzz-stripe: building Stripe + pure Checkout files (-sanitize=fuzzer,address)"
  swiftc "${flags[@]}" -module-name BlockingHTTP -emit-module -emit-module-path "$out/mods/BlockingHTTP.swiftmodule" \
    -wmo -c Sources/BlockingHTTP/*.swift -o "$out/BlockingHTTP.o"
  swiftc "${flags[@]}" -module-name Stripe -emit-module -emit-module-path "$out/mods/Stripe.swiftmodule" -wmo -c \
    Sources/Stripe/*.swift -o "$out/Stripe.o"
  checkout_files=()
  for f in "${checkout[@]}"; do checkout_files+=("Sources/Checkout/$f.swift"); done
  swiftc "${flags[@]}" -module-name Checkout -emit-module -emit-module-path "$out/mods/Checkout.swiftmodule" -wmo -c \
    "${checkout_files[@]}" -o "$out/Checkout.o"
  swiftc "${flags[@]}" -module-name EventFuzz fuzz/stripe/EventFuzz.swift "$out/BlockingHTTP.o" "$out/Stripe.o" \
    "$out/Checkout.o" -lcrypto -o "$out/fuzz-event"
  swiftc "${flags[@]}" -module-name SignatureFuzz fuzz/stripe/SignatureFuzz.swift "$out/BlockingHTTP.o" "$out/Stripe.o" -lcrypto \
    -o "$out/fuzz-signature"
  touch "$out/.built"
fi

# Let libFuzzer, not the Swift backtracer, handle crashes (it writes the artifact).
export SWIFT_BACKTRACE=enable=no
for t in "${targets[@]}"; do
  mkdir -p "$out/corpus-$t" "$out/artifacts-$t"
  echo "fuzz-stripe: $t for ${seconds}s (corpus $out/corpus-$t)"
  dict=()
  [ -f "fuzz/stripe/$t.dict" ] && dict=(-dict="fuzz/stripe/$t.dict")
  "$out/fuzz-$t" "${dict[@]}" -max_total_time="$seconds" -max_len=8192 -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
    -artifact_prefix="$out/artifacts-$t/" "$out/corpus-$t" "fuzz/stripe/seeds-$t"
done
