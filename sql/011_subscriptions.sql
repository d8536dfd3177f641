-- 011: subscriptions and mixed carts. A product may carry a recurring price; a cart with any recurring
-- line is one Checkout Session in mode=subscription; the subscription Stripe creates when that session
-- completes is a row of `subscriptions`, kept current by Stripe's subscription events; each renewal
-- invoice Stripe reports paid becomes its own order, exactly once per invoice. docs/invariants.md
-- (section "Subscriptions") lists the rules and what enforces each.

-- A recurring price: billed every `recurring_interval_count` × `recurring_interval`. Stripe allows at
-- most one year between two bills (https://docs.stripe.com/api/prices/create, `recurring.interval_count`).
ALTER TABLE products
    ADD COLUMN recurring_interval text NULL CHECK (recurring_interval IN ('day', 'week', 'month', 'year')),
    ADD COLUMN recurring_interval_count integer NULL,
    ADD CONSTRAINT products_recurring_check CHECK (
        (recurring_interval IS NULL AND recurring_interval_count IS NULL)
        OR (recurring_interval_count >= 1 AND recurring_interval_count <=
            CASE recurring_interval WHEN 'day' THEN 365 WHEN 'week' THEN 52 WHEN 'month' THEN 12 ELSE 1 END));

-- The price an order line was sold at includes its billing period (copied from the catalog at create,
-- like title and unit amount).
ALTER TABLE order_items
    ADD COLUMN recurring_interval text NULL CHECK (recurring_interval IN ('day', 'week', 'month', 'year')),
    ADD COLUMN recurring_interval_count integer NULL CHECK (recurring_interval_count >= 1),
    ADD CONSTRAINT order_items_recurring_check CHECK ((recurring_interval IS NULL) = (recurring_interval_count IS NULL));

-- One row per Stripe subscription (`sub_…`). Written only by SubscriptionStore, under the row's lock,
-- in the transaction that records the Stripe event that carried the change (stripe_events: exactly once).
CREATE TABLE subscriptions (
    id                   text PRIMARY KEY CHECK (length(id) BETWEEN 1 AND 255),
    -- The order of the Checkout Session that created it (its first invoice's order).
    order_id             uuid NULL REFERENCES orders (id) ON DELETE SET NULL,
    customer_id          text NULL,
    customer_email       text NULL,
    -- The status as the newest subscription snapshot said it (Stripe's value as sent: active, past_due,
    -- canceled, …; new values are kept, not refused; NULL: no snapshot yet) …
    stripe_status        text NULL CHECK (stripe_status ~ '^[a-z_]{1,64}$'),
    -- … and as shown: that status, unless a renewal invoice reported after the snapshot says otherwise
    -- (a failed one: past_due; a paid one after past_due: active). Canceled stays canceled.
    status               text NOT NULL CHECK (status ~ '^[a-z_]{1,64}$'),
    current_period_start timestamptz NULL,
    current_period_end   timestamptz NULL,
    cancel_at_period_end boolean NOT NULL DEFAULT false,
    canceled_at          timestamptz NULL,
    -- `created` of the Stripe event whose snapshot the row holds (NULL: only the session was seen). An
    -- older snapshot never overwrites a newer one.
    snapshot_at          timestamptz NULL,
    -- The newest renewal invoice failed and none after it was paid.
    needs_attention      boolean NOT NULL DEFAULT false,
    attention_reason     text NULL,
    created_at           timestamptz NOT NULL DEFAULT now(),
    updated_at           timestamptz NOT NULL DEFAULT now(),
    CHECK (needs_attention = (attention_reason IS NOT NULL))
);

CREATE INDEX subscriptions_created_idx ON subscriptions (created_at DESC, id DESC);
CREATE INDEX subscriptions_status_idx ON subscriptions (status, created_at DESC, id DESC);
CREATE INDEX subscriptions_email_trgm_idx ON subscriptions USING gin (lower(customer_email) gin_trgm_ops)
    WHERE customer_email IS NOT NULL;
CREATE INDEX subscriptions_order_idx ON subscriptions (order_id) WHERE order_id IS NOT NULL;

-- Every invoice of a subscription Stripe told us about: `paid` is final (a failure reported after the
-- payment changes nothing); the subscription's flag is derived from the newest one.
CREATE TABLE subscription_invoices (
    id              text PRIMARY KEY CHECK (length(id) BETWEEN 1 AND 255),
    subscription_id text NOT NULL,
    status          text NOT NULL CHECK (status IN ('paid', 'failed')),
    billing_reason  text NULL,
    amount          bigint NOT NULL CHECK (amount >= 0),
    currency        char(3) NOT NULL CHECK (currency ~ '^[a-z]{3}$'),
    -- The invoice's own `created` (Stripe's time) and the latest end of the periods its lines bill: they
    -- order the invoices of one subscription (created first; within one second the later period).
    invoice_created timestamptz NOT NULL,
    period_end      timestamptz NULL,
    failure_count   integer NOT NULL DEFAULT 0 CHECK (failure_count >= 0),
    -- `created` of the newest event applied for this invoice.
    event_at        timestamptz NOT NULL,
    created_at      timestamptz NOT NULL DEFAULT now(),
    updated_at      timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX subscription_invoices_sub_idx ON subscription_invoices
    (subscription_id, invoice_created DESC, period_end DESC NULLS LAST, id DESC);

-- A renewal order belongs to its subscription and to exactly one invoice: the unique key makes a second
-- order for the same invoice impossible, whichever delivery of `invoice.paid` tries it.
ALTER TABLE orders
    ADD COLUMN subscription_id text NULL,
    ADD COLUMN stripe_invoice_id text NULL UNIQUE CHECK (stripe_invoice_id IS NULL OR length(stripe_invoice_id) <= 255),
    ADD CONSTRAINT orders_renewal_check CHECK (stripe_invoice_id IS NULL OR subscription_id IS NOT NULL);
CREATE INDEX orders_subscription_idx ON orders (subscription_id, created_at DESC) WHERE subscription_id IS NOT NULL;

-- A renewal is paid by an invoice (basil and later: an Invoice has no `payment_intent`): its payment is
-- keyed by the invoice, once. The kind check of 004 learns the third key.
ALTER TABLE payments ADD COLUMN invoice_id text NULL UNIQUE;
DO $$
DECLARE
    name text;
BEGIN
    SELECT conname INTO name FROM pg_constraint
    WHERE conrelid = 'payments'::regclass AND contype = 'c'
      AND pg_get_constraintdef(oid) LIKE '%manual%' AND pg_get_constraintdef(oid) LIKE '%session_id IS NULL%';
    IF name IS NULL THEN
        RAISE EXCEPTION 'payments kind check of migration 004 not found';
    END IF;
    EXECUTE format('ALTER TABLE payments DROP CONSTRAINT %I', name);
END;
$$;
ALTER TABLE payments ADD CONSTRAINT payments_kind_key_check
    CHECK ((kind = 'manual') = (payment_intent_id IS NULL AND session_id IS NULL AND invoice_id IS NULL));

CREATE OR REPLACE FUNCTION payments_guard_invoice() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF OLD.invoice_id IS NOT NULL AND NEW.invoice_id IS DISTINCT FROM OLD.invoice_id THEN
        RAISE EXCEPTION 'payment % may not change its invoice', OLD.id USING ERRCODE = '23514';
    END IF;
    RETURN NEW;
END;
$$;
CREATE TRIGGER payments_guard_invoice BEFORE UPDATE ON payments FOR EACH ROW EXECUTE FUNCTION payments_guard_invoice();
