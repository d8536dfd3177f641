-- 013: totals computed by Checkout (promotion codes, automatic tax, shipping), what the customer entered
-- there, and the recovery link of an expired session. Forward-only: never edit once applied.
--
-- checkout_adjustments: which differences from the items' sum the order allows, fixed when it is created
-- (the amount rule, docs/invariants.md P8, reads it). The amounts are those of the session whose payment
-- the order accepted: all four set together or none (manual payments and orders without adjustments
-- record none), each >= 0, and subtotal - discount + tax + shipping never negative.
ALTER TABLE orders
    ADD COLUMN checkout_adjustments text[] NOT NULL DEFAULT '{}'
        CHECK (checkout_adjustments <@ ARRAY['promotion_codes', 'automatic_tax', 'shipping']::text[]),
    ADD COLUMN amount_subtotal bigint NULL CHECK (amount_subtotal >= 0),
    ADD COLUMN amount_discount bigint NULL CHECK (amount_discount >= 0),
    ADD COLUMN amount_tax bigint NULL CHECK (amount_tax >= 0),
    ADD COLUMN amount_shipping bigint NULL CHECK (amount_shipping >= 0),
    ADD COLUMN promotion_code text NULL CHECK (length(promotion_code) <= 255),
    -- customer_details {name, email, phone, address}; shipping_address {name, line1, line2, city, state,
    -- postalCode, country} (collected_information.shipping_details). Personal data: admin API only.
    ADD COLUMN customer_details jsonb NULL,
    ADD COLUMN shipping_address jsonb NULL,
    ADD COLUMN recovery_url text NULL CHECK (length(recovery_url) <= 2000),
    ADD COLUMN recovery_expires_at timestamptz NULL,
    ADD COLUMN promotions_consent text NULL CHECK (promotions_consent IN ('opt_in', 'opt_out')),
    ADD CONSTRAINT orders_checkout_totals_together CHECK (
        (amount_subtotal IS NULL) = (amount_discount IS NULL)
        AND (amount_subtotal IS NULL) = (amount_tax IS NULL)
        AND (amount_subtotal IS NULL) = (amount_shipping IS NULL)),
    ADD CONSTRAINT orders_checkout_totals_nonnegative CHECK (
        amount_subtotal IS NULL OR amount_subtotal - amount_discount + amount_tax + amount_shipping >= 0);

-- A session Stripe made from an expired session's recovery link belongs to the same order and attempt as
-- the session it was recovered from; one attempt still has exactly one session of our own.
ALTER TABLE checkout_sessions
    ADD COLUMN recovered_from text NULL REFERENCES checkout_sessions (id) ON DELETE CASCADE;
ALTER TABLE checkout_sessions DROP CONSTRAINT checkout_sessions_order_id_attempt_key;
CREATE UNIQUE INDEX checkout_sessions_attempt_idx ON checkout_sessions (order_id, attempt)
    WHERE recovered_from IS NULL;
