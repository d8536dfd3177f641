import Foundation
import Postgres

/// All SQL about the payments ledger (`payments`). Parameterized statements only; every method runs
/// on the caller's connection (and transaction), under the order's row lock.
public struct PaymentStore: Sendable {
    /// Stateless; create freely.
    public init() {}

    /// Writes what changed between the order's ledger `before` and `after` a transition: new payments
    /// are inserted (the unique keys refuse one recorded twice), a known one may only gain refunds
    /// or a missing id (a trigger refuses anything else).
    public func save(_ db: Connection, orderID: UUID, before: [Payment], after: [Payment]) throws {
        for payment in after {
            guard let old = before.first(where: { $0.isSame(as: payment) }) else {
                try db.execute(
                    """
                    INSERT INTO payments (order_id, kind, payment_intent_id, session_id, amount, currency,
                                          amount_refunded, status, invoice_id)
                    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
                    """,
                    [
                        orderID, payment.kind.rawValue, payment.paymentIntentID, payment.sessionID, payment.amount,
                        payment.currency, payment.amountRefunded, payment.status, payment.invoiceID,
                    ])
                continue
            }
            guard old != payment else { continue }
            try db.execute(
                """
                UPDATE payments SET amount_refunded = $5, status = $6,
                    payment_intent_id = coalesce(payment_intent_id, $3), session_id = coalesce(session_id, $4)
                WHERE order_id = $1 AND kind = $2
                  AND (kind = 'manual' OR payment_intent_id = $7 OR session_id = $8 OR invoice_id = $9)
                """,
                [
                    orderID, payment.kind.rawValue, payment.paymentIntentID, payment.sessionID,
                    payment.amountRefunded, payment.status, old.paymentIntentID, old.sessionID, old.invoiceID,
                ])
        }
    }

    /// The order's payments with their times, oldest first (admin detail view).
    public func payments(_ db: Connection, orderID: UUID) throws -> [PaymentRecord] {
        try db.query(
            """
            SELECT kind, payment_intent_id, session_id, amount, currency, amount_refunded, status, created_at,
                   updated_at
            FROM payments WHERE order_id = $1 ORDER BY id
            """, [orderID]
        ).map { row in
            PaymentRecord(
                kind: try row.decode("kind"), paymentIntentID: try row.decode("payment_intent_id"),
                sessionID: try row.decode("session_id"), amount: try row.decode("amount"),
                currency: try row.decode("currency"), amountRefunded: try row.decode("amount_refunded"),
                status: try row.decode("status"), createdAt: try row.decode("created_at"),
                updatedAt: try row.decode("updated_at"))
        }
    }
}

/// One row of `payments` as the admin detail view shows it.
public struct PaymentRecord: Sendable, Equatable {
    public var kind: String
    public var paymentIntentID: String?
    public var sessionID: String?
    public var amount: Int64
    public var currency: String
    public var amountRefunded: Int64
    public var status: String
    public var createdAt: Date
    public var updatedAt: Date
}
