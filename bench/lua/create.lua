-- wrk: POST /api/payments/create-checkout-session for the bench product (unlimited stock), no
-- Idempotency-Key, so every request creates an order and a session at stripe-sim.
wrk.method = "POST"
wrk.headers["Content-Type"] = "application/json"
wrk.body = '{"items":[{"productId":"sku_bench","quantity":1}],"customerEmail":"bench@example.com"}'
