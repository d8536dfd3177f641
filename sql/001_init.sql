-- 001_init: the whole first schema. Forward-only: never edit once applied (the migrator checks a
-- checksum); add 002_… instead. Status values are those of API.md §4.

CREATE TABLE products (
    id          text PRIMARY KEY CHECK (id ~ '^[A-Za-z0-9_.-]{1,64}$'),
    title       text NOT NULL CHECK (length(title) BETWEEN 1 AND 250),
    unit_amount bigint NOT NULL CHECK (unit_amount > 0),
    currency    char(3) NOT NULL CHECK (currency ~ '^[a-z]{3}$'),
    active      boolean NOT NULL DEFAULT true,
    -- NULL = unlimited. Reserved at checkout (decremented), given back on expiry/failure/cancel.
    stock       integer NULL CHECK (stock IS NULL OR stock >= 0),
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);

-- Order numbers: PREFIX-YYYYMMDD-NNNN, UTC date, at least four digits and never truncated
-- (lpad() truncates longer strings, so it is only used below four digits).
CREATE SEQUENCE order_number_seq AS bigint START 1;

CREATE FUNCTION next_order_number(prefix text) RETURNS text
LANGUAGE plpgsql VOLATILE AS $$
DECLARE
    n text := nextval('order_number_seq')::text;
BEGIN
    IF length(n) < 4 THEN
        n := lpad(n, 4, '0');
    END IF;
    RETURN prefix || '-' || to_char(clock_timestamp() AT TIME ZONE 'UTC', 'YYYYMMDD') || '-' || n;
END;
$$;

CREATE TABLE orders (
    id                     uuid PRIMARY KEY,
    order_number           text NOT NULL UNIQUE,
    status                 text NOT NULL DEFAULT 'pending_payment' CHECK (status IN
                               ('pending_payment', 'paid', 'confirmed', 'failed', 'expired', 'refunded', 'cancelled')),
    payment_status         text NOT NULL DEFAULT 'pending' CHECK (payment_status IN
                               ('pending', 'paid', 'failed', 'expired', 'refunded', 'cancelled')),
    fulfillment_status     text NOT NULL DEFAULT 'not_attempted' CHECK (fulfillment_status IN
                               ('not_attempted', 'pending', 'success', 'failed')),
    currency               char(3) NOT NULL CHECK (currency ~ '^[a-z]{3}$'),
    amount_total           bigint NOT NULL CHECK (amount_total >= 0),
    customer_email         text NULL,
    customer_id            text NULL,
    metadata               jsonb NOT NULL DEFAULT '{}'::jsonb,
    -- The order's *current* Checkout Session; every session it ever had is in checkout_sessions.
    checkout_session_id    text NULL UNIQUE,
    session_attempt        integer NOT NULL DEFAULT 0 CHECK (session_attempt >= 0),
    session_checked_at     timestamptz NULL,
    payment_intent_id      text NULL,
    amount_received        bigint NOT NULL DEFAULT 0 CHECK (amount_received >= 0),
    amount_refunded        bigint NOT NULL DEFAULT 0 CHECK (amount_refunded >= 0),
    failure_reason         text NULL,
    fulfillment_error      text NULL,
    fulfillment_reference  text NULL,
    -- True while the order holds stock reserved in products.stock (so it is given back exactly once).
    stock_reserved         boolean NOT NULL DEFAULT false,
    needs_attention        boolean NOT NULL DEFAULT false,
    attention_reason       text NULL,
    -- Client Idempotency-Key of create-checkout-session and a hash of its body.
    idempotency_key        text NULL UNIQUE CHECK (idempotency_key IS NULL OR length(idempotency_key) <= 255),
    request_hash           text NULL,
    created_at             timestamptz NOT NULL DEFAULT now(),
    updated_at             timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX orders_created_idx ON orders (created_at DESC, id DESC);
CREATE INDEX orders_status_idx ON orders (status, created_at DESC, id DESC);
CREATE INDEX orders_payment_intent_idx ON orders (payment_intent_id) WHERE payment_intent_id IS NOT NULL;
CREATE INDEX orders_email_idx ON orders (lower(customer_email)) WHERE customer_email IS NOT NULL;
CREATE INDEX orders_attention_idx ON orders (created_at DESC, id DESC) WHERE needs_attention;
CREATE INDEX orders_pending_idx ON orders (updated_at) WHERE status = 'pending_payment';

CREATE TABLE order_items (
    order_id     uuid NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
    line_no      integer NOT NULL CHECK (line_no >= 0),
    product_id   text NOT NULL REFERENCES products (id),
    title        text NOT NULL,
    unit_amount  bigint NOT NULL CHECK (unit_amount > 0),
    quantity     integer NOT NULL CHECK (quantity BETWEEN 1 AND 999),
    amount_total bigint NOT NULL CHECK (amount_total = unit_amount * quantity),
    PRIMARY KEY (order_id, line_no)
);

CREATE TABLE checkout_sessions (
    id             text PRIMARY KEY,
    order_id       uuid NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
    attempt        integer NOT NULL,
    status         text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'complete', 'expired')),
    payment_status text NULL,
    url            text NULL,
    expires_at     timestamptz NULL,
    created_at     timestamptz NOT NULL DEFAULT now(),
    updated_at     timestamptz NOT NULL DEFAULT now(),
    UNIQUE (order_id, attempt)
);

CREATE TABLE stripe_events (
    event_id       text PRIMARY KEY,
    type           text NOT NULL,
    livemode       boolean NOT NULL,
    api_version    text NULL,
    stripe_created timestamptz NOT NULL,
    payload        jsonb NOT NULL,
    order_id       uuid NULL REFERENCES orders (id) ON DELETE SET NULL,
    result         text NOT NULL CHECK (result IN ('applied', 'no_op', 'ignored')),
    detail         text NULL,
    received_at    timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX stripe_events_order_idx ON stripe_events (order_id, received_at) WHERE order_id IS NOT NULL;

CREATE TABLE order_history (
    id                 bigserial PRIMARY KEY,
    order_id           uuid NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
    at                 timestamptz NOT NULL DEFAULT now(),
    status             text NOT NULL,
    payment_status     text NOT NULL,
    fulfillment_status text NOT NULL,
    reason             text NOT NULL,
    -- 'stripe:<event id>', 'admin:<note or who>', 'system:<component>', 'customer'
    actor              text NOT NULL,
    stripe_event_id    text NULL
);

CREATE INDEX order_history_order_idx ON order_history (order_id, id);

-- Transactional outbox: rows are written in the same transaction as the state change that needs them
-- and run later by a worker (FOR UPDATE SKIP LOCKED, leases).
CREATE TABLE outbox_jobs (
    id           bigserial PRIMARY KEY,
    kind         text NOT NULL,
    order_id     uuid NULL REFERENCES orders (id) ON DELETE CASCADE,
    payload      jsonb NOT NULL DEFAULT '{}'::jsonb,
    -- At most one live job per key (e.g. 'fulfill:<order id>'); NULL = no deduplication.
    dedupe_key   text NULL UNIQUE,
    status       text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'running', 'done', 'failed')),
    attempts     integer NOT NULL DEFAULT 0,
    max_attempts integer NOT NULL DEFAULT 8 CHECK (max_attempts >= 1),
    run_at       timestamptz NOT NULL DEFAULT now(),
    locked_by    text NULL,
    locked_until timestamptz NULL,
    last_error   text NULL,
    created_at   timestamptz NOT NULL DEFAULT now(),
    updated_at   timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX outbox_due_idx ON outbox_jobs (run_at) WHERE status IN ('pending', 'running');
CREATE INDEX outbox_order_idx ON outbox_jobs (order_id) WHERE order_id IS NOT NULL;
