import Foundation
import Postgres

/// All SQL about orders, their items, sessions and history. Parameterized statements only.
///
/// Every method takes the `Connection` to run on, so callers compose several calls into one
/// transaction (`pool.transaction { db in … }`); none of them opens a transaction itself.
public struct OrderStore: Sendable {
    /// Stateless; create freely.
    public init() {}

    /// The `orders` columns every read returns, plus the ids of all the order's sessions, the
    /// PaymentIntents of its superseded sessions, its payments ledger, and `created_at` in
    /// microseconds (exact, for keyset cursors).
    static let columns = """
        id, order_number, status, payment_status, fulfillment_status, currency, amount_total, customer_email,
        customer_id, metadata, checkout_session_id, session_attempt, session_checked_at, payment_intent_id,
        amount_received, amount_refunded, failure_reason, fulfillment_error, fulfillment_reference, stock_reserved,
        needs_attention, attention_reason, created_at, updated_at,
        (extract(epoch FROM created_at) * 1000000)::bigint AS created_us,
        coalesce((SELECT string_agg(s.id, ' ') FROM checkout_sessions s WHERE s.order_id = orders.id), '')
            AS session_ids,
        coalesce((SELECT string_agg(s.payment_intent_id, ' ') FROM checkout_sessions s
                  WHERE s.order_id = orders.id AND s.payment_intent_id IS NOT NULL
                    AND s.id IS DISTINCT FROM orders.checkout_session_id), '') AS retired_payment_intents,
        coalesce((SELECT jsonb_agg(jsonb_build_object('kind', p.kind, 'paymentIntentID', p.payment_intent_id,
                                                      'sessionID', p.session_id, 'amount', p.amount,
                                                      'currency', p.currency, 'amountRefunded', p.amount_refunded,
                                                      'invoiceID', p.invoice_id)
                                   ORDER BY p.id)
                  FROM payments p WHERE p.order_id = orders.id), '[]'::jsonb) AS payments
        """

    // MARK: - Create

    /// Inserts a new `pending_payment` order holding its stock (the caller reserves it in the same
    /// transaction) and returns its order number (`next_order_number(prefix)`).
    ///
    /// Throws `PostgresError(.uniqueViolation)` on `orders_idempotency_key_key` when another request
    /// with the same client Idempotency-Key won the race.
    public func insertOrder(
        _ db: Connection, id: UUID, orderNumberPrefix: String, currency: String, amountTotal: Int64,
        customerEmail: String?, customerID: String?, metadata: [String: String], idempotencyKey: String?,
        requestText: String?
    ) throws -> String {
        let rows = try db.query(
            """
            INSERT INTO orders (id, order_number, currency, amount_total, customer_email, customer_id, metadata,
                                stock_reserved, idempotency_key, request_hash)
            VALUES ($1, next_order_number($2), $3, $4, $5, $6, $7::jsonb, true, $8,
                    CASE WHEN $9::text IS NULL THEN NULL ELSE encode(sha256(convert_to($9::text, 'UTF8')), 'hex') END)
            RETURNING order_number
            """,
            [
                id, orderNumberPrefix, currency, amountTotal, customerEmail, customerID,
                try PostgresJSON(encoding: metadata), idempotencyKey, requestText,
            ])
        return try rows[0].decode("order_number", as: String.self)
    }

    /// Inserts the order's lines (titles and prices copied from the catalog).
    public func insertItems(_ db: Connection, orderID: UUID, items: [OrderItemRecord]) throws {
        for item in items {
            try db.execute(
                """
                INSERT INTO order_items (order_id, line_no, product_id, title, unit_amount, quantity, amount_total,
                                         recurring_interval, recurring_interval_count)
                VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9::integer)
                """,
                [
                    orderID, item.lineNo, item.productID, item.title, item.unitAmount, item.quantity, item.amountTotal,
                    item.recurring?.interval.rawValue, item.recurring?.intervalCount,
                ])
        }
    }

    // MARK: - Read

    /// The order, or nil. `forUpdate` locks the row until the transaction ends (every state change
    /// happens under this lock, so concurrent events on one order are serialised) and then reads it
    /// again: a statement that waited for the lock sees the locked row's new version, but its
    /// subqueries (sessions, payments) would still see the snapshot from before the wait.
    public func order(_ db: Connection, id: UUID, forUpdate: Bool = false) throws -> OrderRecord? {
        if forUpdate {
            guard try !db.query("SELECT id FROM orders WHERE id = $1 FOR UPDATE", [id]).isEmpty else { return nil }
        }
        return try db.query("SELECT \(Self.columns) FROM orders WHERE id = $1", [id]).first.map(Self.decodeOrder)
    }

    /// The order a Checkout Session belongs to (its current or any earlier session), in one query.
    public func order(_ db: Connection, sessionID: String) throws -> OrderRecord? {
        try db.query(
            """
            SELECT \(Self.columns) FROM orders
            WHERE id = (SELECT order_id FROM checkout_sessions WHERE id = $1
                        UNION ALL SELECT id FROM orders WHERE checkout_session_id = $1 LIMIT 1)
            """, [sessionID]
        ).first.map(Self.decodeOrder)
    }

    /// The order a Checkout Session belongs to (its current or any earlier session).
    public func orderID(_ db: Connection, sessionID: String) throws -> UUID? {
        try db.query(
            """
            SELECT order_id AS id FROM checkout_sessions WHERE id = $1
            UNION ALL SELECT id FROM orders WHERE checkout_session_id = $1
            LIMIT 1
            """, [sessionID]
        ).first?.decode("id", as: UUID.self)
    }

    /// The order that holds `paymentIntentID`: a payment in its ledger (also a second payment), else a
    /// session that recorded the intent, else the (newest) order whose current intent it is.
    public func orderID(_ db: Connection, paymentIntentID: String) throws -> UUID? {
        try db.query(
            """
            (SELECT order_id AS id, 0 AS rank FROM payments WHERE payment_intent_id = $1)
            UNION ALL (SELECT order_id, 1 FROM checkout_sessions WHERE payment_intent_id = $1)
            UNION ALL (SELECT id, 2 FROM orders WHERE payment_intent_id = $1 ORDER BY created_at DESC LIMIT 1)
            ORDER BY rank LIMIT 1
            """, [paymentIntentID]
        ).first?.decode("id", as: UUID.self)
    }

    /// The order created with a client Idempotency-Key, and whether `requestText` hashes to the
    /// stored request hash. A key older than `windowSeconds` is released first (its order keeps
    /// existing; the key may be used again).
    public func order(
        _ db: Connection, idempotencyKey: String, requestText: String, windowSeconds: Int
    ) throws -> (order: OrderRecord, sameRequest: Bool)? {
        try db.execute(
            """
            UPDATE orders SET idempotency_key = NULL
            WHERE idempotency_key = $1 AND created_at < now() - make_interval(secs => $2::bigint)
            """, [idempotencyKey, windowSeconds])
        guard
            let row = try db.query(
                """
                SELECT \(Self.columns),
                       request_hash = encode(sha256(convert_to($2::text, 'UTF8')), 'hex') AS same_request
                FROM orders WHERE idempotency_key = $1
                """, [idempotencyKey, requestText]
            ).first
        else { return nil }
        return (try Self.decodeOrder(row), try row.decode("same_request", as: Bool.self))
    }

    /// The order's lines in order.
    public func items(_ db: Connection, orderID: UUID) throws -> [OrderItemRecord] {
        try db.query(
            """
            SELECT line_no, product_id, title, unit_amount, quantity, amount_total, recurring_interval,
                   recurring_interval_count
            FROM order_items WHERE order_id = $1 ORDER BY line_no
            """, [orderID]
        ).map(Self.decodeItem)
    }

    /// The lines of several orders in one query (admin lists), keyed by order.
    public func items(_ db: Connection, orderIDs: [UUID]) throws -> [UUID: [OrderItemRecord]] {
        guard !orderIDs.isEmpty else { return [:] }
        var result: [UUID: [OrderItemRecord]] = [:]
        for row in try db.query(
            """
            SELECT order_id, line_no, product_id, title, unit_amount, quantity, amount_total, recurring_interval,
                   recurring_interval_count
            FROM order_items WHERE order_id = ANY(string_to_array($1::text, ',')::uuid[])
            ORDER BY order_id, line_no
            """, [orderIDs.map(\.lowercased).joined(separator: ",")])
        {
            let item = try Self.decodeItem(row)
            result[try row.decode("order_id", as: UUID.self), default: []].append(item)
        }
        return result
    }

    static func decodeItem(_ row: Row) throws -> OrderItemRecord {
        let interval: String? = try row.decode("recurring_interval")
        let count: Int? = try row.decode("recurring_interval_count")
        return OrderItemRecord(
            lineNo: try row.decode("line_no"), productID: try row.decode("product_id"),
            title: try row.decode("title"), unitAmount: try row.decode("unit_amount"),
            quantity: try row.decode("quantity"), amountTotal: try row.decode("amount_total"),
            recurring: interval.flatMap(RecurringPrice.Interval.init(rawValue:)).map {
                RecurringPrice(interval: $0, intervalCount: count ?? 1)
            })
    }

    /// Every session the order had, oldest first.
    public func sessions(_ db: Connection, orderID: UUID) throws -> [CheckoutSessionRecord] {
        try db.query(
            """
            SELECT id, attempt, status, payment_status, url, created_at
            FROM checkout_sessions WHERE order_id = $1 ORDER BY attempt, created_at
            """, [orderID]
        ).map { row in
            CheckoutSessionRecord(
                id: try row.decode("id"), attempt: try row.decode("attempt"), status: try row.decode("status"),
                paymentStatus: try row.decode("payment_status"), url: try row.decode("url"),
                createdAt: try row.decode("created_at"))
        }
    }

    /// The order's history, oldest first.
    public func history(_ db: Connection, orderID: UUID) throws -> [OrderHistoryRecord] {
        try db.query(
            """
            SELECT at, status, payment_status, fulfillment_status, reason, actor
            FROM order_history WHERE order_id = $1 ORDER BY id
            """, [orderID]
        ).map { row in
            OrderHistoryRecord(
                at: try row.decode("at"), status: try row.decode("status"),
                paymentStatus: try row.decode("payment_status"),
                fulfillmentStatus: try row.decode("fulfillment_status"),
                reason: try row.decode("reason"), actor: try row.decode("actor"))
        }
    }

    // MARK: - Write

    /// Writes the state-machine fields of `state`; the `orders_touch_updated_at` trigger (migration 014)
    /// bumps `updated_at`. `amount_received` and `amount_refunded` are the sums of `state.payments`,
    /// which the caller saves in the same transaction (``PaymentStore/save(_:orderID:before:after:)``; a
    /// deferred trigger checks both).
    public func saveState(_ db: Connection, orderID: UUID, _ state: OrderState) throws {
        try db.execute(
            """
            UPDATE orders SET status = $2, payment_status = $3, fulfillment_status = $4, checkout_session_id = $5,
                session_attempt = $6, payment_intent_id = $7, amount_received = $8, amount_refunded = $9,
                stock_reserved = $10, needs_attention = $11, attention_reason = $12, failure_reason = $13,
                fulfillment_error = $14, fulfillment_reference = $15
            WHERE id = $1
            """,
            [
                orderID, state.status.rawValue, state.paymentStatus.rawValue, state.fulfillmentStatus.rawValue,
                state.currentSessionID, state.sessionAttempt, state.paymentIntentID, state.amountReceived,
                state.amountRefunded, state.stockReserved, state.needsAttention, state.attentionReason,
                state.failureReason, state.fulfillmentError, state.fulfillmentReference,
            ])
    }

    /// Appends a history row. `actor` is `stripe:<event id>`, `admin:<note>`, `system:<component>`
    /// or `customer`.
    public func insertHistory(
        _ db: Connection, orderID: UUID, state: OrderState, reason: String, actor: String, stripeEventID: String?
    ) throws {
        try db.execute(
            """
            INSERT INTO order_history (order_id, status, payment_status, fulfillment_status, reason, actor,
                                       stripe_event_id)
            VALUES ($1, $2, $3, $4, $5, $6, $7)
            """,
            [
                orderID, state.status.rawValue, state.paymentStatus.rawValue, state.fulfillmentStatus.rawValue,
                String(reason.prefix(1000)), String(actor.prefix(300)), stripeEventID,
            ])
    }

    /// Starts a session attempt: increments `session_attempt` of a pending order that has no current
    /// session and returns the new attempt number, or nil when the order is not in that state
    /// (someone else created the session, or it is no longer pending).
    public func beginSessionAttempt(_ db: Connection, orderID: UUID) throws -> Int? {
        try db.query(
            """
            UPDATE orders SET session_attempt = session_attempt + 1
            WHERE id = $1 AND status = 'pending_payment' AND checkout_session_id IS NULL
            RETURNING session_attempt
            """, [orderID]
        ).first?.decode("session_attempt", as: Int.self)
    }

    /// Records a session Stripe created for attempt `attempt` (idempotent on the session id).
    public func insertSession(_ db: Connection, orderID: UUID, attempt: Int, session: PaymentSession) throws {
        try db.execute(
            """
            INSERT INTO checkout_sessions (id, order_id, attempt, status, payment_status, url, expires_at,
                                           payment_intent_id)
            VALUES ($1, $2, $3, $4, $5, $6, CASE WHEN $7::bigint IS NULL THEN NULL ELSE to_timestamp($7::bigint) END,
                    $8)
            ON CONFLICT (id) DO NOTHING
            """,
            [
                session.id, orderID, attempt, Self.sessionStatus(session.status), session.paymentStatus?.rawValue,
                session.url, session.expiresAt, session.paymentIntentID,
            ])
        try db.execute("UPDATE orders SET session_checked_at = now() WHERE id = $1", [orderID])
    }

    /// Updates what we know of a session (from a webhook, a retrieve or an expire answer): its
    /// status, payment status and PaymentIntent (never overwritten once known).
    public func updateSession(
        _ db: Connection, id: String, status: PaymentSession.Status?, paymentStatus: String?, paymentIntentID: String?
    ) throws {
        let statusText = status.flatMap { $0 == .unknown ? nil : Self.sessionStatus($0) }
        try db.execute(
            """
            UPDATE checkout_sessions SET status = coalesce($2, status), payment_status = coalesce($3, payment_status),
                payment_intent_id = coalesce(payment_intent_id, $4)
            WHERE id = $1
            """, [id, statusText, paymentStatus, paymentIntentID])
    }

    /// The hosted-page URL Stripe gave for a session.
    public func sessionURL(_ db: Connection, sessionID: String) throws -> String? {
        try db.query("SELECT url FROM checkout_sessions WHERE id = $1", [sessionID]).first?.decode(
            "url", as: String?.self)
    }

    /// Makes the order due for a Stripe check at once: the next reconciler pass and the next
    /// success-page lookup retrieve its session.
    public func requestSessionCheck(_ db: Connection, orderID: UUID) throws {
        try db.execute("UPDATE orders SET session_checked_at = to_timestamp(0) WHERE id = $1", [orderID])
    }

    /// Claims the right to ask Stripe about a pending order's session: sets `session_checked_at` to
    /// now when it is older than `intervalSeconds` (or unset) and says whether it did. Atomic, so of
    /// many concurrent lookups exactly one asks Stripe.
    public func claimSessionCheck(_ db: Connection, orderID: UUID, intervalSeconds: Int) throws -> Bool {
        try db.execute(
            """
            UPDATE orders SET session_checked_at = now()
            WHERE id = $1 AND status = 'pending_payment'
              AND (session_checked_at IS NULL OR session_checked_at <= now() - make_interval(secs => $2::bigint))
            """, [orderID, intervalSeconds]) == 1
    }

    /// Claims up to `limit` pending orders that nobody checked at Stripe for `staleSeconds` (by
    /// `session_checked_at`, else `created_at`), stamping them checked now so concurrent reconcilers
    /// (several instances) and success-page refreshes do not ask Stripe twice. Oldest first.
    public func claimStalePendingOrders(_ db: Connection, staleSeconds: Int, limit: Int) throws -> [UUID] {
        try db.query(
            """
            UPDATE orders SET session_checked_at = now()
            WHERE id IN (
                SELECT id FROM orders
                WHERE status = 'pending_payment'
                  AND coalesce(session_checked_at, created_at) <= now() - make_interval(secs => $1::bigint)
                ORDER BY coalesce(session_checked_at, created_at)
                LIMIT $2
                FOR UPDATE SKIP LOCKED)
            RETURNING id
            """, [staleSeconds, limit]
        ).map { try $0.decode("id", as: UUID.self) }
    }

    // MARK: - Decoding

    static func sessionStatus(_ status: PaymentSession.Status) -> String {
        switch status {
        case .open, .unknown: return "open"
        case .complete: return "complete"
        case .expired: return "expired"
        }
    }

    static func decodeOrder(_ row: Row) throws -> OrderRecord {
        let current: String? = try row.decode("checkout_session_id")
        let sessionIDs = Set(try row.decode("session_ids", as: String.self).split(separator: " ").map(String.init))
        let retired = Set(
            try row.decode("retired_payment_intents", as: String.self).split(separator: " ").map(String.init))
        let state = OrderState(
            status: try enumValue(row, "status"), paymentStatus: try enumValue(row, "payment_status"),
            fulfillmentStatus: try enumValue(row, "fulfillment_status"), currentSessionID: current,
            sessionIDs: sessionIDs, sessionAttempt: try row.decode("session_attempt"),
            paymentIntentID: try row.decode("payment_intent_id"), retiredPaymentIntentIDs: retired,
            amountTotal: try row.decode("amount_total"), currency: try row.decode("currency"),
            payments: try row.decode("payments", as: PostgresJSON.self).decode([Payment].self),
            stockReserved: try row.decode("stock_reserved"), needsAttention: try row.decode("needs_attention"),
            attentionReason: try row.decode("attention_reason"), failureReason: try row.decode("failure_reason"),
            fulfillmentError: try row.decode("fulfillment_error"),
            fulfillmentReference: try row.decode("fulfillment_reference"))
        let metadataJSON = try row.decode("metadata", as: PostgresJSON.self)
        return OrderRecord(
            id: try row.decode("id"), orderNumber: try row.decode("order_number"), state: state,
            currency: try row.decode("currency"), customerEmail: try row.decode("customer_email"),
            customerID: try row.decode("customer_id"),
            metadata: (try? metadataJSON.decode([String: String].self)) ?? [:],
            sessionCheckedAt: try row.decode("session_checked_at"), createdAt: try row.decode("created_at"),
            updatedAt: try row.decode("updated_at"))
    }

    static func enumValue<T: RawRepresentable>(_ row: Row, _ column: String) throws -> T where T.RawValue == String {
        let raw = try row.decode(column, as: String.self)
        guard let value = T(rawValue: raw) else {
            throw CheckoutError.internalFailure(detail: "unexpected value \(raw) in orders.\(column)")
        }
        return value
    }

    /// How many orders are flagged as needing a human (for `/metrics`).
    public func needsAttentionCount(_ db: Connection) throws -> Int64 {
        let rows = try db.query("SELECT count(*)::bigint AS n FROM orders WHERE needs_attention")
        return try rows.first?.decode("n", as: Int64.self) ?? 0
    }
}
