-- EXPLAIN (ANALYZE, BUFFERS) of the hot queries, as the server runs them: prepared statements (the
-- connection's statement cache) with the generic plan a long-lived connection ends up using. Each
-- statement is a copy of the one in the named Swift function; keep them in step. Writes run inside a
-- transaction that is rolled back. Run by scripts/explain.sh (which seeds the data); output in
-- docs/postgres.md.
\set ON_ERROR_STOP on
\pset pager off
SET plan_cache_mode = force_generic_plan;

\echo '### 1. by-session read: OrderStore.order(_:sessionID:) (GET /api/orders/by-session/:id)'
PREPARE by_session(text) AS
SELECT id, order_number, status, payment_status, fulfillment_status, currency, amount_total, customer_email,
    customer_id, metadata, checkout_session_id, session_attempt, session_checked_at, payment_intent_id,
    amount_received, amount_refunded, failure_reason, fulfillment_error, fulfillment_reference, stock_reserved,
    needs_attention, attention_reason, created_at, updated_at,
    (extract(epoch FROM created_at) * 1000000)::bigint AS created_us,
    coalesce((SELECT string_agg(s.id, ' ') FROM checkout_sessions s WHERE s.order_id = orders.id), '')
        AS session_ids,
    coalesce((SELECT string_agg(s.payment_intent_id, ' ') FROM checkout_sessions s
              WHERE s.order_id = orders.id AND s.payment_intent_id IS NOT NULL
                AND s.id IS DISTINCT FROM orders.checkout_session_id), '') AS retired_payment_intents,
    coalesce((SELECT jsonb_agg(jsonb_build_object('kind', p.kind, 'paymentIntentID', p.payment_intent_id,
                                                  'sessionID', p.session_id, 'amount', p.amount,
                                                  'currency', p.currency, 'amountRefunded', p.amount_refunded)
                               ORDER BY p.id)
              FROM payments p WHERE p.order_id = orders.id), '[]'::jsonb) AS payments
FROM orders
WHERE id = (SELECT order_id FROM checkout_sessions WHERE id = $1
            UNION ALL SELECT id FROM orders WHERE checkout_session_id = $1 LIMIT 1);
EXPLAIN (ANALYZE, BUFFERS) EXECUTE by_session('cs_test_read_4242');
\echo '### 1b. its lines: OrderStore.items(_:orderID:)'
PREPARE items(uuid) AS
SELECT line_no, product_id, title, unit_amount, quantity, amount_total
FROM order_items WHERE order_id = $1 ORDER BY line_no;
EXPLAIN (ANALYZE, BUFFERS) EXECUTE items(md5('read-4242')::uuid);

\echo '### 2. webhook insert: StripeEventStore.insertIfNew, then OrderStore.orderID(_:sessionID:)'
BEGIN;
PREPARE event_insert(text, text, boolean, text, bigint, text) AS
INSERT INTO stripe_events (event_id, type, livemode, api_version, stripe_created, payload, result, detail)
VALUES ($1, $2, $3, $4, to_timestamp($5::bigint), $6::jsonb, 'ignored', 'processing')
ON CONFLICT (event_id) DO NOTHING
RETURNING event_id;
EXPLAIN (ANALYZE, BUFFERS)
EXECUTE event_insert('evt_explain_1', 'checkout.session.completed', false, '2026-08-26.dahlia', 1800000000, '{}');
EXPLAIN (ANALYZE, BUFFERS)
EXECUTE event_insert('evt_explain_1', 'checkout.session.completed', false, '2026-08-26.dahlia', 1800000000, '{}');
PREPARE order_of_session(text) AS
SELECT order_id AS id FROM checkout_sessions WHERE id = $1
UNION ALL SELECT id FROM orders WHERE checkout_session_id = $1
LIMIT 1;
EXPLAIN (ANALYZE, BUFFERS) EXECUTE order_of_session('cs_test_hook_77');
ROLLBACK;

\echo '### 3. admin list and search: OrderStore.adminList (GET /api/admin/orders), columns abbreviated'
PREPARE admin_list(text, text, text, boolean, text, bigint, uuid, integer, text) AS
SELECT id, order_number, status, created_at FROM orders
WHERE ($1::text IS NULL OR status = $1::text)
  AND ($2::text IS NULL OR payment_status = $2::text)
  AND ($3::text IS NULL OR fulfillment_status = $3::text)
  AND ($4::boolean IS NULL OR needs_attention = $4::boolean)
  AND ($5::text IS NULL OR id IN (
       SELECT id FROM orders WHERE lower(order_number) LIKE lower($9::text)
       UNION SELECT id FROM orders WHERE lower(customer_email) LIKE lower($9::text)
       UNION SELECT id FROM orders WHERE checkout_session_id = $5::text
       UNION SELECT id FROM orders WHERE payment_intent_id = $5::text
       UNION SELECT order_id FROM checkout_sessions WHERE id = $5::text))
  AND ($6::bigint IS NULL
       OR (created_at, id) < (timestamptz 'epoch' + $6::bigint * interval '1 microsecond', $7::uuid))
ORDER BY created_at DESC, id DESC
LIMIT $8;
\echo '#### 3a. first page, no filter'
EXPLAIN (ANALYZE, BUFFERS) EXECUTE admin_list(NULL, NULL, NULL, NULL, NULL, NULL, NULL, 51, NULL);
\echo '#### 3b. status filter (pending_payment)'
EXPLAIN (ANALYZE, BUFFERS) EXECUTE admin_list('pending_payment', NULL, NULL, NULL, NULL, NULL, NULL, 51, NULL);
\echo '#### 3c. search by an email fragment (q=buyer4242@)'
EXPLAIN (ANALYZE, BUFFERS) EXECUTE admin_list(NULL, NULL, NULL, NULL, 'buyer4242@', NULL, NULL, 51, '%buyer4242@%');
\echo '#### 3d. the same search with a custom plan (the first executions of a new connection)'
SET plan_cache_mode = force_custom_plan;
EXPLAIN (ANALYZE, BUFFERS) EXECUTE admin_list(NULL, NULL, NULL, NULL, 'buyer4242@', NULL, NULL, 51, '%buyer4242@%');
SET plan_cache_mode = force_generic_plan;

\echo '### 4. reconciler claim: OrderStore.claimStalePendingOrders'
BEGIN;
PREPARE reconcile_claim(bigint, integer) AS
UPDATE orders SET session_checked_at = now()
WHERE id IN (
    SELECT id FROM orders
    WHERE status = 'pending_payment'
      AND coalesce(session_checked_at, created_at) <= now() - make_interval(secs => $1::bigint)
    ORDER BY coalesce(session_checked_at, created_at)
    LIMIT $2
    FOR UPDATE SKIP LOCKED)
RETURNING id;
EXPLAIN (ANALYZE, BUFFERS) EXECUTE reconcile_claim(600, 50);
ROLLBACK;

\echo '### 5. outbox claim: OutboxQueue.claim'
BEGIN;
PREPARE outbox_claim(text, integer, double precision, integer) AS
WITH due AS (
    SELECT id, status AS was FROM outbox_jobs
    WHERE (status = 'pending' AND run_at <= now()) OR (status = 'running' AND locked_until < now())
    ORDER BY run_at
    LIMIT $2
    FOR UPDATE SKIP LOCKED
)
UPDATE outbox_jobs j
SET status = 'running', locked_by = $1,
    locked_until = now() + make_interval(secs => $3::double precision),
    attempts = j.attempts + 1, max_attempts = $4, claim_token = gen_random_uuid()
FROM due WHERE j.id = due.id
RETURNING j.id, j.kind, j.order_id, j.payload, j.attempts, j.max_attempts, j.last_error, j.claim_token,
          due.was = 'running' AS reclaimed;
EXPLAIN (ANALYZE, BUFFERS) EXECUTE outbox_claim('explain', 10, 60, 8);
ROLLBACK;
