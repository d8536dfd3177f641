import Foundation
import Postgres

extension OrderStore {
    /// The migration-013 columns every order read returns (``OrderCheckout``).
    static let checkoutColumns = """
        array_to_string(checkout_adjustments, ',') AS checkout_adjustments, amount_subtotal, amount_discount,
        amount_tax, amount_shipping, promotion_code, customer_details, shipping_address, recovery_url,
        (extract(epoch FROM recovery_expires_at))::bigint AS recovery_expires_at, promotions_consent
        """

    /// Records which adjustments a new order allows (in its creating transaction).
    public func recordAdjustments(_ db: Connection, orderID: UUID, _ adjustments: CheckoutAdjustments) throws {
        guard !adjustments.isEmpty else { return }
        try db.execute(
            "UPDATE orders SET checkout_adjustments = string_to_array($2::text, ',') WHERE id = $1",
            [orderID, adjustments.names.joined(separator: ",")])
    }

    /// Writes ``OrderCheckout``'s totals and recovery fields (the state machine changed them; the caller's
    /// transaction is the one that saves the rest of the state). The adjustments never change.
    public func saveCheckout(_ db: Connection, orderID: UUID, _ checkout: OrderCheckout) throws {
        let totals = checkout.totals
        let recovery = checkout.recovery
        try db.execute(
            """
            UPDATE orders SET amount_subtotal = $2, amount_discount = $3, amount_tax = $4, amount_shipping = $5,
                promotion_code = $6, customer_details = $7::jsonb, shipping_address = $8::jsonb, recovery_url = $9,
                recovery_expires_at = CASE WHEN $10::bigint IS NULL THEN NULL ELSE to_timestamp($10::bigint) END,
                promotions_consent = $11
            WHERE id = $1
            """,
            [
                orderID, totals?.amountSubtotal, totals?.amountDiscount, totals?.amountTax, totals?.amountShipping,
                totals?.promotionCode.map { String($0.prefix(255)) },
                try totals?.customer.map { try PostgresJSON(encoding: $0) },
                try totals?.shippingAddress.map { try PostgresJSON(encoding: $0) },
                recovery.map { String($0.url.prefix(2000)) }, recovery?.expiresAt,
                recovery?.promotionsConsent.flatMap { ["opt_in", "opt_out"].contains($0) ? $0 : nil },
            ])
    }

    /// Stores a session Stripe made from the recovery link of `recoveredFrom` (one of the order's
    /// sessions), under that session's attempt (idempotent on the session id).
    public func insertRecoveredSession(
        _ db: Connection, id: String, orderID: UUID, recoveredFrom: String, status: PaymentSession.Status,
        paymentStatus: String?, paymentIntentID: String?
    ) throws {
        try db.execute(
            """
            INSERT INTO checkout_sessions (id, order_id, attempt, status, payment_status, payment_intent_id,
                                           recovered_from)
            SELECT $1, $2, s.attempt, $4, $5, $6, s.id FROM checkout_sessions s WHERE s.id = $3 AND s.order_id = $2
            ON CONFLICT (id) DO NOTHING
            """,
            [id, orderID, recoveredFrom, Self.sessionStatus(status), paymentStatus, paymentIntentID])
    }

    static func decodeCheckout(_ row: Row) throws -> OrderCheckout {
        let names = try row.decode("checkout_adjustments", as: String?.self) ?? ""
        var checkout = OrderCheckout(
            adjustments: CheckoutAdjustments(names: names.split(separator: ",").map(String.init)))
        if let subtotal = try row.decode("amount_subtotal", as: Int64?.self) {
            checkout.totals = SessionTotals(
                amountSubtotal: subtotal, amountDiscount: try row.decode("amount_discount", as: Int64?.self) ?? 0,
                amountTax: try row.decode("amount_tax", as: Int64?.self) ?? 0,
                amountShipping: try row.decode("amount_shipping", as: Int64?.self) ?? 0,
                promotionCode: try row.decode("promotion_code"),
                customer: try row.decode("customer_details", as: PostgresJSON?.self).map {
                    try $0.decode(CheckoutCustomer.self)
                },
                shippingAddress: try row.decode("shipping_address", as: PostgresJSON?.self).map {
                    try $0.decode(PostalAddress.self)
                })
        }
        if let url = try row.decode("recovery_url", as: String?.self) {
            checkout.recovery = SessionRecovery(
                url: url, expiresAt: try row.decode("recovery_expires_at"),
                promotionsConsent: try row.decode("promotions_consent"))
        }
        return checkout
    }
}
