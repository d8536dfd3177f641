-- 009: indexes that serve the queries that exist, and constraints the schema was missing.
--
-- The admin search matches a fragment of the order number or e-mail anywhere (docs/API.md, GET
-- /api/admin/orders?q=). orders_email_idx (lower(customer_email)) can only serve equality, so the search
-- was a sequential scan; trigram GIN indexes serve `lower(…) LIKE '%fragment%'`. pg_trgm ships with
-- PostgreSQL and is a trusted extension (13+): the migrating role needs CREATE on the database, not
-- superuser.
CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE INDEX orders_number_trgm_idx ON orders USING gin (lower(order_number) gin_trgm_ops);
CREATE INDEX orders_email_trgm_idx ON orders USING gin (lower(customer_email) gin_trgm_ops)
    WHERE customer_email IS NOT NULL;

-- The reconciler claims pending orders by when they were last checked at Stripe (else created), oldest
-- first: OrderStore.claimStalePendingOrders sorts and filters on exactly this expression.
CREATE INDEX orders_pending_check_idx ON orders ((coalesce(session_checked_at, created_at)))
    WHERE status = 'pending_payment';

-- A history row that names a Stripe event names one we stored (the event row is written first, in the
-- same transaction; deferred so the order of the two statements does not matter).
ALTER TABLE order_history ADD CONSTRAINT order_history_stripe_event_fk
    FOREIGN KEY (stripe_event_id) REFERENCES stripe_events (event_id) DEFERRABLE INITIALLY DEFERRED;

-- History rows carry the same status values as orders.
ALTER TABLE order_history ADD CONSTRAINT order_history_status_check CHECK (status IN
    ('pending_payment', 'paid', 'confirmed', 'failed', 'expired', 'refunded', 'cancelled'));
ALTER TABLE order_history ADD CONSTRAINT order_history_payment_status_check CHECK (payment_status IN
    ('pending', 'paid', 'failed', 'expired', 'refunded', 'cancelled'));
ALTER TABLE order_history ADD CONSTRAINT order_history_fulfillment_status_check CHECK (fulfillment_status IN
    ('not_attempted', 'pending', 'success', 'failed'));

-- A session's payment status is one of Stripe's three values, or unknown yet
-- (https://docs.stripe.com/api/checkout/sessions/object#checkout_session_object-payment_status).
ALTER TABLE checkout_sessions ADD CONSTRAINT checkout_sessions_payment_status_check CHECK (payment_status IS NULL
    OR payment_status IN ('paid', 'unpaid', 'no_payment_required'));

-- Attempts count up from zero. (No upper bound against max_attempts: a claim sets max_attempts from the
-- running configuration, which may be lower than the attempts a job already made, and a job whose
-- worker died on its last attempt is claimed once more to record that it gave up.)
ALTER TABLE outbox_jobs ADD CONSTRAINT outbox_jobs_attempts_check CHECK (attempts >= 0);
