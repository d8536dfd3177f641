-- 007_retention: what the retention task (Checkout/Retention) needs. Forward-only: never edit once
-- applied (the migrator checks a checksum); add 008_… instead.
--
-- The payload of a recorded Stripe event may be dropped after EVENT_PAYLOAD_RETENTION; its id, type
-- and result stay forever (they are the idempotency ledger), so only the payload becomes nullable.
ALTER TABLE stripe_events ALTER COLUMN payload DROP NOT NULL;

-- Each retention step finds its oldest candidates through a small partial index, so a pass never
-- scans a whole table.
CREATE INDEX stripe_events_payload_age_idx ON stripe_events (received_at) WHERE payload IS NOT NULL;
CREATE INDEX outbox_done_age_idx ON outbox_jobs (updated_at) WHERE status = 'done';
CREATE INDEX orders_unpaid_email_age_idx ON orders (updated_at)
    WHERE customer_email IS NOT NULL AND status IN ('failed', 'expired', 'cancelled');
