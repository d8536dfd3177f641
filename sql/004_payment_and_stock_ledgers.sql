-- 004: ledgers for money and stock. Single order columns (payment_intent_id, amount_received,
-- amount_refunded, stock_reserved) used to stand in for what happened; now every payment and every
-- reservation is a row, and the order columns are derived from the rows in the same transaction
-- (checked at commit by the constraint triggers at the end). docs/invariants.md lists the rules.

-- One row per payment an order received: a Stripe PaymentIntent (or, for a session that needed no
-- payment, the session) or the one manual payment an admin recorded with mark-paid.
CREATE TABLE payments (
    id                bigserial PRIMARY KEY,
    order_id          uuid NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
    kind              text NOT NULL CHECK (kind IN ('stripe', 'manual')),
    -- A PaymentIntent or a session pays for one order, once: recording it twice is impossible.
    payment_intent_id text NULL UNIQUE,
    session_id        text NULL UNIQUE,
    amount            bigint NOT NULL CHECK (amount >= 0),
    currency          char(3) NOT NULL CHECK (currency ~ '^[a-z]{3}$'),
    -- Cumulative, never above what was received; refunds match Stripe payments only (by PaymentIntent).
    amount_refunded   bigint NOT NULL DEFAULT 0 CHECK (amount_refunded >= 0 AND amount_refunded <= amount),
    status            text NOT NULL CHECK (status IN ('succeeded', 'partially_refunded', 'refunded')),
    created_at        timestamptz NOT NULL DEFAULT now(),
    updated_at        timestamptz NOT NULL DEFAULT now(),
    CHECK (status = CASE WHEN amount_refunded = 0 THEN 'succeeded'
                         WHEN amount_refunded < amount THEN 'partially_refunded' ELSE 'refunded' END),
    CHECK ((kind = 'manual') = (payment_intent_id IS NULL AND session_id IS NULL))
);

CREATE INDEX payments_order_idx ON payments (order_id, id);
CREATE UNIQUE INDEX payments_one_manual_idx ON payments (order_id) WHERE kind = 'manual';

-- A payment's refunded total never decreases, and a row never changes order, kind or amount.
CREATE FUNCTION payments_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.order_id <> OLD.order_id OR NEW.kind <> OLD.kind OR NEW.amount <> OLD.amount
       OR NEW.currency <> OLD.currency OR NEW.amount_refunded < OLD.amount_refunded
       OR (OLD.payment_intent_id IS NOT NULL AND NEW.payment_intent_id IS DISTINCT FROM OLD.payment_intent_id)
       OR (OLD.session_id IS NOT NULL AND NEW.session_id IS DISTINCT FROM OLD.session_id) THEN
        RAISE EXCEPTION 'payment % may only gain refunds or a missing id', OLD.id USING ERRCODE = '23514';
    END IF;
    RETURN NEW;
END;
$$;

CREATE TRIGGER payments_guard BEFORE UPDATE ON payments FOR EACH ROW EXECUTE FUNCTION payments_guard();

-- Which limited count a reservation came from: bumped whenever a product switches between limited
-- (a number) and unlimited (NULL). Units go back only to the count they were taken from.
ALTER TABLE products ADD COLUMN stock_epoch integer NOT NULL DEFAULT 0;

-- One row per (order, product) reservation: reserved while the order waits for its payment,
-- committed once paid (sold), released when the order ends without payment.
CREATE TABLE stock_reservations (
    id          bigserial PRIMARY KEY,
    order_id    uuid NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
    product_id  text NOT NULL REFERENCES products (id),
    quantity    integer NOT NULL CHECK (quantity > 0),
    status      text NOT NULL DEFAULT 'reserved' CHECK (status IN ('reserved', 'committed', 'released')),
    -- True when the units were taken from products.stock (the product was limited then).
    limited     boolean NOT NULL,
    stock_epoch integer NOT NULL,
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now()
);

-- At most one live reservation per order and product: taking the same stock twice is impossible.
CREATE UNIQUE INDEX stock_reservations_live_idx ON stock_reservations (order_id, product_id)
    WHERE status <> 'released';
CREATE INDEX stock_reservations_product_idx ON stock_reservations (product_id) WHERE status <> 'released';

-- Only reserved -> committed and reserved -> released: a release can only undo a reservation that
-- exists and was not already released or sold.
CREATE FUNCTION stock_reservations_guard() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.order_id <> OLD.order_id OR NEW.product_id <> OLD.product_id OR NEW.quantity <> OLD.quantity
       OR NEW.limited <> OLD.limited OR NEW.stock_epoch <> OLD.stock_epoch
       OR NOT (NEW.status = OLD.status OR (OLD.status = 'reserved' AND NEW.status IN ('committed', 'released'))) THEN
        RAISE EXCEPTION 'reservation % cannot go from % to %', OLD.id, OLD.status, NEW.status
            USING ERRCODE = '23514';
    END IF;
    RETURN NEW;
END;
$$;

CREATE TRIGGER stock_reservations_guard BEFORE UPDATE ON stock_reservations
    FOR EACH ROW EXECUTE FUNCTION stock_reservations_guard();

-- Existing data: one payment row per order that received money, one reservation row per product of
-- an order that holds stock (assumed taken from the product's current kind of count).
INSERT INTO payments (order_id, kind, payment_intent_id, amount, currency, amount_refunded, status)
SELECT id, CASE WHEN payment_intent_id IS NULL THEN 'manual' ELSE 'stripe' END, payment_intent_id,
       greatest(amount_received, amount_refunded), currency, amount_refunded,
       CASE WHEN amount_refunded = 0 THEN 'succeeded'
            WHEN amount_refunded < greatest(amount_received, amount_refunded) THEN 'partially_refunded'
            ELSE 'refunded' END
FROM orders WHERE amount_received > 0 OR amount_refunded > 0;
UPDATE orders SET amount_received = amount_refunded WHERE amount_refunded > amount_received;

INSERT INTO stock_reservations (order_id, product_id, quantity, status, limited, stock_epoch)
SELECT o.id, i.product_id, sum(i.quantity)::integer,
       CASE WHEN o.status IN ('paid', 'confirmed', 'refunded') THEN 'committed' ELSE 'reserved' END,
       p.stock IS NOT NULL, 0
FROM orders o JOIN order_items i ON i.order_id = o.id JOIN products p ON p.id = i.product_id
WHERE o.stock_reserved
GROUP BY o.id, o.status, i.product_id, p.stock;

-- The order's money and stock columns are derived from the ledgers: checked when the transaction
-- commits (deferred), so a writer that forgets one side fails instead of committing a lie.
CREATE FUNCTION orders_match_ledgers() RETURNS trigger LANGUAGE plpgsql AS $$
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
    SELECT EXISTS (SELECT 1 FROM stock_reservations WHERE order_id = target AND status <> 'released') INTO holds;
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

CREATE CONSTRAINT TRIGGER orders_match_ledgers AFTER INSERT OR UPDATE ON orders
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION orders_match_ledgers();
CREATE CONSTRAINT TRIGGER payments_match_order AFTER INSERT OR UPDATE OR DELETE ON payments
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION orders_match_ledgers();
CREATE CONSTRAINT TRIGGER stock_reservations_match_order AFTER INSERT OR UPDATE OR DELETE ON stock_reservations
    DEFERRABLE INITIALLY DEFERRED FOR EACH ROW EXECUTE FUNCTION orders_match_ledgers();
