-- 010: what happens after a payment, as ledgers. A refund is an object with a life at Stripe (pending,
-- then succeeded, failed or canceled, possibly days later), a dispute is one too, and an early fraud
-- warning is a fact about a charge. Each gets rows; a payment's `amount_refunded` becomes derived from
-- them (checked at commit by the deferred trigger at the end), so a refund that fails gives the money
-- back to the order instead of being counted forever. docs/invariants.md (R1-R6, D1-D3) lists the rules.

-- One row per Stripe refund (`re_…`), keyed by Stripe's id, so the same refund reported by
-- refund.created, refund.updated, refund.failed, charge.refund.updated and our own POST /v1/refunds
-- answer is one row whatever the order and however often it arrives.
--
-- kind = 'charge_total' is the one exception: a `charge.refunded` event carries only the charge's
-- cumulative amount_refunded, not which refunds make it up. It is kept as one row per payment
-- (id 'charge_total:<payment intent>', status succeeded, amount only grows) and counts only for the part
-- no refund object explains (see payment_money_returned below).
CREATE TABLE refunds (
    id                text PRIMARY KEY CHECK (id ~ '^[\x21-\x7e]+$' AND length(id) <= 300),
    order_id          uuid NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
    payment_intent_id text NOT NULL CHECK (payment_intent_id ~ '^[\x21-\x7e]+$' AND length(payment_intent_id) <= 255),
    kind              text NOT NULL DEFAULT 'refund' CHECK (kind IN ('refund', 'charge_total')),
    amount            bigint NOT NULL CHECK (amount > 0),
    currency          char(3) NOT NULL CHECK (currency ~ '^[a-z]{3}$'),
    status            text NOT NULL
        CHECK (status IN ('pending', 'requires_action', 'succeeded', 'failed', 'canceled')),
    reason            text NULL CHECK (length(reason) <= 100),
    failure_reason    text NULL CHECK (length(failure_reason) <= 500),
    -- Who started it here (an admin), and why; NULL for refunds made elsewhere (dashboard, API).
    requested_by      text NULL CHECK (length(requested_by) <= 200),
    note              text NULL CHECK (length(note) <= 1000),
    restock           boolean NOT NULL DEFAULT false,
    created_at        timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now(),
    CHECK (kind = 'refund' OR status = 'succeeded')
);

CREATE INDEX refunds_order_idx ON refunds (order_id, created_at, id);
CREATE INDEX refunds_payment_intent_idx ON refunds (payment_intent_id);

-- A refund's status only moves forward: pending / requires_action (0) → succeeded (1) → failed /
-- canceled (2). A late refund.created (pending) after refund.failed changes nothing. A refund row never
-- changes order, payment, kind or currency; a refund's amount never changes (a charge_total only grows).
CREATE FUNCTION refund_status_rank(status text) RETURNS integer LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE status WHEN 'succeeded' THEN 1 WHEN 'failed' THEN 2 WHEN 'canceled' THEN 2 ELSE 0 END
$$;

CREATE FUNCTION refunds_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.id <> OLD.id OR NEW.order_id <> OLD.order_id OR NEW.payment_intent_id <> OLD.payment_intent_id
       OR NEW.kind <> OLD.kind OR NEW.currency <> OLD.currency
       OR (OLD.kind = 'refund' AND NEW.amount <> OLD.amount)
       OR (OLD.kind = 'charge_total' AND NEW.amount < OLD.amount)
       OR refund_status_rank(NEW.status) < refund_status_rank(OLD.status)
       OR (refund_status_rank(OLD.status) = 2 AND NEW.status <> OLD.status) THEN
        RAISE EXCEPTION 'refund % cannot go from % (%) to % (%)', OLD.id, OLD.status, OLD.amount, NEW.status,
            NEW.amount USING ERRCODE = '23514';
    END IF;
    RETURN NEW;
END;
$$;

CREATE TRIGGER refunds_guard BEFORE UPDATE ON refunds FOR EACH ROW EXECUTE FUNCTION refunds_guard();

-- One row per Stripe dispute (`du_…`). The outcome is the dispute object's `status`, never the event type.
CREATE TABLE disputes (
    id                text PRIMARY KEY CHECK (id ~ '^[\x21-\x7e]+$' AND length(id) <= 255),
    order_id          uuid NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
    payment_intent_id text NOT NULL CHECK (payment_intent_id ~ '^[\x21-\x7e]+$' AND length(payment_intent_id) <= 255),
    charge_id         text NULL CHECK (length(charge_id) <= 255),
    amount            bigint NOT NULL CHECK (amount > 0),
    currency          char(3) NOT NULL CHECK (currency ~ '^[a-z]{3}$'),
    reason            text NULL CHECK (length(reason) <= 100),
    status            text NOT NULL CHECK (status IN ('warning_needs_response', 'warning_under_review',
        'warning_closed', 'needs_response', 'under_review', 'won', 'lost', 'prevented')),
    evidence_due_by   timestamptz NULL,
    created_at        timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX disputes_order_idx ON disputes (order_id, created_at, id);
CREATE INDEX disputes_payment_intent_idx ON disputes (payment_intent_id);
CREATE INDEX disputes_status_idx ON disputes (status, order_id);

-- Dispute statuses only move forward (an inquiry can turn into a chargeback; a closed one stays closed):
-- warning_needs_response 0, warning_under_review 1, needs_response 2, under_review 3, closed 4.
CREATE FUNCTION dispute_status_rank(status text) RETURNS integer LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE status WHEN 'warning_needs_response' THEN 0 WHEN 'warning_under_review' THEN 1
        WHEN 'needs_response' THEN 2 WHEN 'under_review' THEN 3 ELSE 4 END
$$;

CREATE FUNCTION disputes_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.id <> OLD.id OR NEW.order_id <> OLD.order_id OR NEW.payment_intent_id <> OLD.payment_intent_id
       OR NEW.currency <> OLD.currency
       OR dispute_status_rank(NEW.status) < dispute_status_rank(OLD.status)
       OR (dispute_status_rank(OLD.status) = 4 AND NEW.status <> OLD.status) THEN
        RAISE EXCEPTION 'dispute % cannot go from % to %', OLD.id, OLD.status, NEW.status USING ERRCODE = '23514';
    END IF;
    RETURN NEW;
END;
$$;

CREATE TRIGGER disputes_guard BEFORE UPDATE ON disputes FOR EACH ROW EXECUTE FUNCTION disputes_guard();

-- One row per Radar early fraud warning (`issfr_…`): the card issuer reported the charge as fraud.
CREATE TABLE early_fraud_warnings (
    id                text PRIMARY KEY CHECK (id ~ '^[\x21-\x7e]+$' AND length(id) <= 255),
    order_id          uuid NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
    payment_intent_id text NULL CHECK (length(payment_intent_id) <= 255),
    charge_id         text NULL CHECK (length(charge_id) <= 255),
    fraud_type        text NULL CHECK (length(fraud_type) <= 100),
    actionable        boolean NOT NULL,
    created_at        timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now()
);

CREATE INDEX early_fraud_warnings_order_idx ON early_fraud_warnings (order_id, created_at, id);

-- Restock after a refund: sold units can come back, once (committed -> returned). Only `reserved` and
-- `committed` reservations are live.
ALTER TABLE stock_reservations DROP CONSTRAINT stock_reservations_status_check;
ALTER TABLE stock_reservations ADD CONSTRAINT stock_reservations_status_check
    CHECK (status IN ('reserved', 'committed', 'released', 'returned'));

CREATE OR REPLACE FUNCTION stock_reservations_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.order_id <> OLD.order_id OR NEW.product_id <> OLD.product_id OR NEW.quantity <> OLD.quantity
       OR NEW.limited <> OLD.limited OR NEW.stock_epoch <> OLD.stock_epoch
       OR NOT (NEW.status = OLD.status OR (OLD.status = 'reserved' AND NEW.status IN ('committed', 'released'))
               OR (OLD.status = 'committed' AND NEW.status = 'returned')) THEN
        RAISE EXCEPTION 'reservation % cannot go from % to %', OLD.id, OLD.status, NEW.status
            USING ERRCODE = '23514';
    END IF;
    RETURN NEW;
END;
$$;

DROP INDEX stock_reservations_live_idx;
CREATE UNIQUE INDEX stock_reservations_live_idx ON stock_reservations (order_id, product_id)
    WHERE status IN ('reserved', 'committed');
DROP INDEX stock_reservations_product_idx;
CREATE INDEX stock_reservations_product_idx ON stock_reservations (product_id)
    WHERE status IN ('reserved', 'committed');

-- A payment's refunds may now go down (a refund failed after it succeeded): payments_guard keeps
-- everything else immutable, and the deferred check below says by how much it may be.
CREATE OR REPLACE FUNCTION payments_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.order_id <> OLD.order_id OR NEW.kind <> OLD.kind OR NEW.amount <> OLD.amount
       OR NEW.currency <> OLD.currency
       OR (OLD.payment_intent_id IS NOT NULL AND NEW.payment_intent_id IS DISTINCT FROM OLD.payment_intent_id)
       OR (OLD.session_id IS NOT NULL AND NEW.session_id IS DISTINCT FROM OLD.session_id) THEN
        RAISE EXCEPTION 'payment % may only change its refunds or gain a missing id', OLD.id USING ERRCODE = '23514';
    END IF;
    RETURN NEW;
END;
$$;

-- Money returned of the Stripe payment `intent` that received `amount`: its succeeded refunds, plus the
-- part of the cumulative total its charge.refunded reported that no refund object explains yet (a refund
-- whose own event is late or was never matched; a pending or failed refund object explains its share, so
-- it is not counted through the total), plus its lost disputes (the bank took the money back), never
-- above what it received.
CREATE FUNCTION payment_money_returned(intent text, amount bigint) RETURNS bigint LANGUAGE sql STABLE AS $$
    SELECT least(amount,
        (SELECT coalesce(sum(r.amount), 0) FROM refunds r
         WHERE r.payment_intent_id = intent AND r.kind = 'refund' AND r.status = 'succeeded')
        + greatest(0,
            (SELECT coalesce(max(r.amount), 0) FROM refunds r
             WHERE r.payment_intent_id = intent AND r.kind = 'charge_total')
            - (SELECT coalesce(sum(r.amount), 0) FROM refunds r
               WHERE r.payment_intent_id = intent AND r.kind = 'refund'))
        + (SELECT coalesce(sum(d.amount), 0) FROM disputes d WHERE d.payment_intent_id = intent AND d.status = 'lost'))
$$;

-- Existing data: what charge.refunded reported so far becomes each payment's charge_total row.
INSERT INTO refunds (id, order_id, payment_intent_id, kind, amount, currency, status)
SELECT 'charge_total:' || payment_intent_id, order_id, payment_intent_id, 'charge_total', amount_refunded, currency,
       'succeeded'
FROM payments WHERE kind = 'stripe' AND payment_intent_id IS NOT NULL AND amount_refunded > 0;

-- Every Stripe payment's amount_refunded is payment_money_returned, and every refund, dispute and
-- warning belongs to the order that holds its payment, checked when the transaction commits.
CREATE FUNCTION payments_match_refunds() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    target uuid;
    bad record;
BEGIN
    IF TG_OP = 'DELETE' THEN
        target := OLD.order_id;
    ELSE
        target := NEW.order_id;
    END IF;
    SELECT p.id, p.amount_refunded, payment_money_returned(p.payment_intent_id, p.amount) AS derived INTO bad
    FROM payments p
    WHERE p.order_id = target AND p.payment_intent_id IS NOT NULL
      AND p.amount_refunded <> payment_money_returned(p.payment_intent_id, p.amount)
    LIMIT 1;
    IF FOUND THEN
        RAISE EXCEPTION 'payment % records % refunded but its refunds and lost disputes say %', bad.id,
            bad.amount_refunded, bad.derived USING ERRCODE = '23514';
    END IF;
    IF TG_TABLE_NAME <> 'payments' AND TG_OP <> 'DELETE' AND EXISTS (
        SELECT 1 FROM payments p WHERE p.payment_intent_id = NEW.payment_intent_id AND p.order_id <> NEW.order_id)
    THEN
        RAISE EXCEPTION '% % belongs to another order than its payment %', TG_TABLE_NAME, NEW.id,
            NEW.payment_intent_id USING ERRCODE = '23514';
    END IF;
    RETURN NULL;
END;
$$;

CREATE CONSTRAINT TRIGGER payments_match_refunds AFTER INSERT OR UPDATE ON payments
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION payments_match_refunds();
CREATE CONSTRAINT TRIGGER refunds_match_payments AFTER INSERT OR UPDATE OR DELETE ON refunds
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION payments_match_refunds();
CREATE CONSTRAINT TRIGGER disputes_match_payments AFTER INSERT OR UPDATE OR DELETE ON disputes
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION payments_match_refunds();
CREATE CONSTRAINT TRIGGER early_fraud_warnings_match_payments AFTER INSERT OR UPDATE ON early_fraud_warnings
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION payments_match_refunds();

-- Live reservations are reserved or committed (returned units are back in stock).
CREATE OR REPLACE FUNCTION orders_match_ledgers() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    target uuid;
    o record;
    received bigint;
    refunded bigint;
    holds boolean;
BEGIN
    IF TG_TABLE_NAME = 'orders' THEN
        target := NEW.id;
    ELSIF TG_OP = 'DELETE' THEN
        target := OLD.order_id;
    ELSE
        target := NEW.order_id;
    END IF;
    SELECT amount_received, amount_refunded, stock_reserved INTO o FROM orders WHERE id = target;
    IF NOT FOUND THEN
        RETURN NULL;
    END IF;
    SELECT coalesce(sum(amount), 0), coalesce(sum(amount_refunded), 0) INTO received, refunded
    FROM payments WHERE order_id = target;
    SELECT EXISTS (SELECT 1 FROM stock_reservations WHERE order_id = target AND status IN ('reserved', 'committed'))
    INTO holds;
    IF o.amount_received <> received OR o.amount_refunded <> refunded THEN
        RAISE EXCEPTION 'order % amounts (% received, % refunded) differ from its payments (%, %)',
            target, o.amount_received, o.amount_refunded, received, refunded USING ERRCODE = '23514';
    END IF;
    IF o.stock_reserved <> holds THEN
        RAISE EXCEPTION 'order % stock_reserved is % but its live reservations say %', target, o.stock_reserved, holds
            USING ERRCODE = '23514';
    END IF;
    RETURN NULL;
END;
$$;
