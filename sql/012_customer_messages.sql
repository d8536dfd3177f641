-- 012_customer_messages: the e-mails a customer gets about an order. One row per (order, kind, key):
-- the unique key is what makes each message exist once, however often the transition that asked for it
-- is replayed and however many instances run; its `mail` outbox job is written with the row, in the
-- transition's transaction. `key` tells apart messages of one kind that may repeat (a refund: the
-- refunded total; a renewal: its invoice); '' for the once-per-order kinds.
CREATE TABLE customer_messages (
    id          bigserial PRIMARY KEY,
    order_id    uuid NOT NULL REFERENCES orders (id) ON DELETE CASCADE,
    kind        text NOT NULL CHECK (kind IN
                    ('order_paid', 'payment_failed', 'payment_expired', 'refund_issued', 'renewal_failed')),
    key         text NOT NULL DEFAULT '' CHECK (length(key) <= 200),
    -- pending: not tried yet or retrying; sending: handed to SMTP (a crash here may send it again);
    -- sent: the server accepted it; failed: a 5xx answer or retries exhausted; skipped: nothing to send
    -- (no address, or the order moved on so the message would be wrong).
    status      text NOT NULL DEFAULT 'pending'
                    CHECK (status IN ('pending', 'sending', 'sent', 'failed', 'skipped')),
    attempts    integer NOT NULL DEFAULT 0 CHECK (attempts >= 0),
    smtp_code   integer NULL CHECK (smtp_code IS NULL OR smtp_code BETWEEN 100 AND 599),
    last_error  text NULL CHECK (last_error IS NULL OR length(last_error) <= 1000),
    sent_at     timestamptz NULL CHECK ((status = 'sent') = (sent_at IS NOT NULL)),
    created_at  timestamptz NOT NULL DEFAULT now(),
    updated_at  timestamptz NOT NULL DEFAULT now(),
    UNIQUE (order_id, kind, key)
);

-- Never sent twice: once sent, a message stays sent.
CREATE FUNCTION customer_messages_guard() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF OLD.status = 'sent' AND NEW.status <> 'sent' THEN
        RAISE EXCEPTION 'customer message % was sent; it cannot become %', OLD.id, NEW.status;
    END IF;
    RETURN NEW;
END;
$$;

CREATE TRIGGER customer_messages_guard BEFORE UPDATE ON customer_messages
    FOR EACH ROW EXECUTE FUNCTION customer_messages_guard();
