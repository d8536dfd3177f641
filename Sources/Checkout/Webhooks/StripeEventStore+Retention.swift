import Foundation
import Postgres

extension StripeEventStore {
    /// Drops the payload of up to `limit` recorded events received before `cutoff`; returns how many.
    /// The row itself (event id, type, result, order, times) stays forever: it is the idempotency
    /// ledger that makes a redelivery a duplicate. Every recorded event is final (applied, no-op or
    /// ignored), so the payload is only kept for people reading it.
    public func dropPayloads(_ db: Connection, receivedBefore cutoff: Date, limit: Int) throws -> Int {
        try db.query(
            """
            WITH old AS (
                SELECT event_id FROM stripe_events WHERE payload IS NOT NULL AND received_at < $1
                ORDER BY received_at LIMIT $2 FOR UPDATE SKIP LOCKED
            )
            UPDATE stripe_events e SET payload = NULL FROM old
            WHERE e.event_id = old.event_id AND e.payload IS NOT NULL
            RETURNING e.event_id
            """, [cutoff, limit]
        ).count
    }
}
