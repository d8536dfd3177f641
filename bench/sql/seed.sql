-- `make bench` data: one catalog product, :orders settled orders for the by-session read (status
-- confirmed, so the endpoint never asks Stripe), and 2 × :hooks pending orders with an open session
-- each for the webhook benchmark (the first :hooks for checkoutd, the rest for pgbench's ceiling).
-- Ids are derived from n so the load generators can compute them: order id = md5('<set>-' || n)::uuid,
-- session id = 'cs_test_<set>_' || n. Run with psql -v orders=100000 -v hooks=50000.
\set ON_ERROR_STOP on
-- One transaction: the ledger checks of migration 004 run at commit (deferred constraint triggers).
BEGIN;
INSERT INTO products (id, title, unit_amount, currency, active, stock)
VALUES ('sku_bench', 'Bench mug', 1500, 'usd', true, NULL)
ON CONFLICT (id) DO NOTHING;

-- Settled orders (by-session read).
INSERT INTO orders (id, order_number, status, payment_status, fulfillment_status, currency, amount_total,
                    customer_email, checkout_session_id, session_attempt, session_checked_at, payment_intent_id,
                    amount_received, stock_reserved, fulfillment_reference, created_at, updated_at)
SELECT md5('read-' || n)::uuid, 'BR-' || n, 'confirmed', 'paid', 'success', 'usd', 1500 * (1 + n % 3),
       'buyer' || n || '@example.com', 'cs_test_read_' || n, 1, now(), 'pi_test_read_' || n,
       1500 * (1 + n % 3), true, 'sup_' || n, now() - make_interval(secs => n), now()
FROM generate_series(1, :orders) AS n;
INSERT INTO order_items (order_id, line_no, product_id, title, unit_amount, quantity, amount_total)
SELECT md5('read-' || n)::uuid, 0, 'sku_bench', 'Bench mug', 1500, 1 + n % 3, 1500 * (1 + n % 3)
FROM generate_series(1, :orders) AS n;
INSERT INTO checkout_sessions (id, order_id, attempt, status, payment_status, url, expires_at, payment_intent_id)
SELECT 'cs_test_read_' || n, md5('read-' || n)::uuid, 1, 'complete', 'paid', 'https://sim.example/pay/x',
       now() + interval '1 hour', 'pi_test_read_' || n
FROM generate_series(1, :orders) AS n;

-- Pending orders (webhook ingestion): hook-1 … hook-(2·hooks).
INSERT INTO orders (id, order_number, currency, amount_total, checkout_session_id, session_attempt,
                    session_checked_at, stock_reserved, created_at, updated_at)
SELECT md5('hook-' || n)::uuid, 'BH-' || n, 'usd', 1500, 'cs_test_hook_' || n, 1, now(), true, now(), now()
FROM generate_series(1, 2 * :hooks) AS n;
INSERT INTO order_items (order_id, line_no, product_id, title, unit_amount, quantity, amount_total)
SELECT md5('hook-' || n)::uuid, 0, 'sku_bench', 'Bench mug', 1500, 1, 1500
FROM generate_series(1, 2 * :hooks) AS n;
INSERT INTO checkout_sessions (id, order_id, attempt, status, url, expires_at)
SELECT 'cs_test_hook_' || n, md5('hook-' || n)::uuid, 1, 'open', 'https://sim.example/pay/x', now() + interval '1 hour'
FROM generate_series(1, 2 * :hooks) AS n;

-- pgbench's webhook script takes its order numbers from here (hooks+1 …), so each transaction gets a
-- fresh pending order, as each HTTP event does.
CREATE SEQUENCE IF NOT EXISTS bench_hook_seq;
SELECT setval('bench_hook_seq', :hooks);
-- The ledgers every order must match at commit (migration 004): a Stripe payment for each settled
-- order (its amount_received), and a stock reservation for every order holding stock (committed once
-- paid, reserved while pending; the bench product has unlimited stock).
INSERT INTO payments (order_id, kind, payment_intent_id, session_id, amount, currency, amount_refunded, status)
SELECT md5('read-' || n)::uuid, 'stripe', 'pi_test_read_' || n, 'cs_test_read_' || n, 1500 * (1 + n % 3), 'usd', 0,
       'succeeded'
FROM generate_series(1, :orders) AS n;
INSERT INTO stock_reservations (order_id, product_id, quantity, status, limited, stock_epoch)
SELECT md5('read-' || n)::uuid, 'sku_bench', 1 + n % 3, 'committed', false, 0
FROM generate_series(1, :orders) AS n;
INSERT INTO stock_reservations (order_id, product_id, quantity, status, limited, stock_epoch)
SELECT md5('hook-' || n)::uuid, 'sku_bench', 1, 'reserved', false, 0
FROM generate_series(1, 2 * :hooks) AS n;
COMMIT;
VACUUM ANALYZE;
