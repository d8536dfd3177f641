import Foundation
import Postgres

extension OrderStore {
    /// Redacts the customer email of up to `limit` orders that ended without money (failed, expired or
    /// cancelled, nothing received) and have not changed since `cutoff`; returns how many. Writes one
    /// history row per order (actor `system:retention`). Changes no status, amount or stock.
    ///
    /// Never touches an order that got paid: the condition is rechecked on the locked row, so an order
    /// a late payment moves to `paid` while this runs keeps its email (that update wins or waits).
    public func redactUnpaidEmails(_ db: Connection, endedBefore cutoff: Date, limit: Int) throws -> Int {
        try db.query(
            """
            WITH candidates AS (
                SELECT id FROM orders
                WHERE customer_email IS NOT NULL AND status IN ('failed', 'expired', 'cancelled')
                    AND amount_received = 0 AND updated_at < $1
                ORDER BY updated_at LIMIT $2 FOR UPDATE SKIP LOCKED
            ), redacted AS (
                UPDATE orders o SET customer_email = NULL FROM candidates
                WHERE o.id = candidates.id AND o.customer_email IS NOT NULL
                    AND o.status IN ('failed', 'expired', 'cancelled') AND o.amount_received = 0
                RETURNING o.id, o.status, o.payment_status, o.fulfillment_status
            )
            INSERT INTO order_history (order_id, status, payment_status, fulfillment_status, reason, actor)
            SELECT id, status, payment_status, fulfillment_status, 'customer email redacted (retention)',
                'system:retention'
            FROM redacted
            RETURNING order_id
            """, [cutoff, limit]
        ).count
    }
}
