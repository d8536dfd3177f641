-- 002: remember which PaymentIntent belonged to which Checkout Session. After retry-session the
-- order's current session changes; a late `payment_intent.payment_failed` / `charge.failed` of the
-- superseded attempt carries only the PaymentIntent id, and must change nothing. Knowing the
-- PaymentIntents of the order's earlier sessions makes that decidable.
ALTER TABLE checkout_sessions ADD COLUMN payment_intent_id text NULL;

CREATE INDEX checkout_sessions_payment_intent_idx ON checkout_sessions (payment_intent_id)
    WHERE payment_intent_id IS NOT NULL;
