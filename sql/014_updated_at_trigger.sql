-- 014: `updated_at` is maintained in one place, this trigger, instead of by every UPDATE remembering
-- `updated_at = now()`.
--
-- What it means (the reconciler and retention read it as an age, so it must mean one thing):
-- - products, checkout_sessions, payments, stock_reservations, outbox_jobs: the last write of the row.
-- - orders: the last change of the order's state, the columns the state machine writes
--   (OrderStore.saveState) plus `session_attempt` (a new Stripe create). Bookkeeping writes do not
--   move it: `session_checked_at` (who asks Stripe next), releasing an old `idempotency_key`, and the
--   retention pass removing an unpaid order's email. So "pending for an hour" stays true while the
--   reconciler keeps checking the order, and "ended 30 days ago" is not reset by those writes.
-- A statement that sets `updated_at` to another value itself keeps it (a test ageing a row, an
-- operator's backfill); `now()` is the transaction's start, as the statements used before.
CREATE FUNCTION touch_updated_at() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.updated_at IS NOT DISTINCT FROM OLD.updated_at THEN
        NEW.updated_at := now();
    END IF;
    RETURN NEW;
END
$$;

CREATE TRIGGER products_touch_updated_at BEFORE UPDATE ON products
    FOR EACH ROW EXECUTE FUNCTION touch_updated_at();
CREATE TRIGGER checkout_sessions_touch_updated_at BEFORE UPDATE ON checkout_sessions
    FOR EACH ROW EXECUTE FUNCTION touch_updated_at();
CREATE TRIGGER payments_touch_updated_at BEFORE UPDATE ON payments
    FOR EACH ROW EXECUTE FUNCTION touch_updated_at();
CREATE TRIGGER stock_reservations_touch_updated_at BEFORE UPDATE ON stock_reservations
    FOR EACH ROW EXECUTE FUNCTION touch_updated_at();
CREATE TRIGGER outbox_jobs_touch_updated_at BEFORE UPDATE ON outbox_jobs
    FOR EACH ROW EXECUTE FUNCTION touch_updated_at();
-- `UPDATE OF` fires when one of these columns is in the statement's SET list.
CREATE TRIGGER orders_touch_updated_at BEFORE UPDATE OF
    status, payment_status, fulfillment_status, checkout_session_id, session_attempt, payment_intent_id,
    amount_received, amount_refunded, stock_reserved, needs_attention, attention_reason, failure_reason,
    fulfillment_error, fulfillment_reference
    ON orders FOR EACH ROW EXECUTE FUNCTION touch_updated_at();
