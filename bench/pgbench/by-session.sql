-- The two statements GET /api/orders/by-session/:id runs for a settled order (OrderStore.order(_:sessionID:)
-- and OrderStore.items(_:orderID:), copied verbatim), on one connection, no transaction.
-- pgbench -M prepared -D orders=N: the session id is a random one of the seeded cs_test_read_1…N.
\set n random(1, :orders)
SELECT id, order_number, status, payment_status, fulfillment_status, currency, amount_total, customer_email,
    customer_id, metadata, checkout_session_id, session_attempt, session_checked_at, payment_intent_id,
    amount_received, amount_refunded, failure_reason, fulfillment_error, fulfillment_reference, stock_reserved,
    needs_attention, attention_reason, created_at, updated_at,
    (extract(epoch FROM created_at) * 1000000)::bigint AS created_us,
    coalesce((SELECT string_agg(s.id, ' ') FROM checkout_sessions s WHERE s.order_id = orders.id), '')
        AS session_ids,
    coalesce((SELECT string_agg(s.payment_intent_id, ' ') FROM checkout_sessions s
              WHERE s.order_id = orders.id AND s.payment_intent_id IS NOT NULL
                AND s.id IS DISTINCT FROM orders.checkout_session_id), '') AS retired_payment_intents
FROM orders
WHERE id = (SELECT order_id FROM checkout_sessions WHERE id = 'cs_test_read_' || :n
            UNION ALL SELECT id FROM orders WHERE checkout_session_id = 'cs_test_read_' || :n LIMIT 1)
\gset
SELECT line_no, product_id, title, unit_amount, quantity, amount_total
FROM order_items WHERE order_id = :id ORDER BY line_no;
