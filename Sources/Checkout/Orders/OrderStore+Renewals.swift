import Foundation
import Postgres

/// The SQL of renewal orders: one order per renewal invoice (`orders.stripe_invoice_id` is unique).
extension OrderStore {
    /// Inserts the renewal order of `invoiceID` (`pending_payment`, no stock held, no session) with its
    /// lines, unless it exists; answers its id either way. Concurrent inserts for one invoice wait on the
    /// unique key and then find the winner's row.
    func insertRenewalOrder(
        _ db: Connection, invoiceID: String, subscriptionID: String, orderNumberPrefix: String, currency: String,
        customerEmail: String?, customerID: String?, items: [OrderItemRecord]
    ) throws -> (id: UUID, created: Bool) {
        let id = UUID()
        let total = items.reduce(Int64(0)) { $0 + $1.amountTotal }
        let rows = try db.query(
            """
            INSERT INTO orders (id, order_number, currency, amount_total, customer_email, customer_id, metadata,
                                stock_reserved, subscription_id, stripe_invoice_id)
            VALUES ($1, next_order_number($2), $3, $4, $5, $6, '{}'::jsonb, false, $7, $8)
            ON CONFLICT (stripe_invoice_id) DO NOTHING
            RETURNING order_number
            """,
            [id, orderNumberPrefix, currency, total, customerEmail, customerID, subscriptionID, invoiceID])
        guard let row = rows.first else {
            let existing = try db.query("SELECT id FROM orders WHERE stripe_invoice_id = $1", [invoiceID])
            return (try existing[0].decode("id", as: UUID.self), false)
        }
        try insertItems(db, orderID: id, items: items)
        try insertHistory(
            db, orderID: id, state: OrderState(amountTotal: total, currency: currency, stockReserved: false),
            reason:
                "renewal order \(try row.decode("order_number", as: String.self)) of subscription \(subscriptionID), invoice \(invoiceID)",
            actor: "system:subscriptions", stripeEventID: nil)
        return (id, true)
    }

    /// The subscription and invoice of an order (nil for a checkout order).
    public func renewal(_ db: Connection, orderID: UUID) throws -> (subscriptionID: String?, invoiceID: String?) {
        guard
            let row = try db.query(
                "SELECT subscription_id, stripe_invoice_id FROM orders WHERE id = $1", [orderID]
            ).first
        else { return (nil, nil) }
        return (try row.decode("subscription_id"), try row.decode("stripe_invoice_id"))
    }

    /// The orders of a subscription: its checkout order and every renewal, newest first.
    public func subscriptionOrderIDs(_ db: Connection, subscriptionID: String, checkoutOrderID: UUID?) throws
        -> [UUID]
    {
        try db.query(
            """
            SELECT id FROM orders WHERE subscription_id = $1 OR id = $2
            ORDER BY created_at DESC, id DESC LIMIT 500
            """, [subscriptionID, checkoutOrderID]
        ).map { try $0.decode("id", as: UUID.self) }
    }
}
