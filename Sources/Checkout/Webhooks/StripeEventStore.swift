import Foundation
import Postgres

/// All SQL about `stripe_events`: the idempotency record of every webhook event we received.
public struct StripeEventStore: Sendable {
    /// Stateless; create freely.
    public init() {}

    /// Inserts the event unless its id is known; true when this call inserted it.
    ///
    /// `ON CONFLICT (event_id) DO NOTHING`: a concurrent delivery of the same event blocks on the
    /// unique index until the first transaction commits (then sees the conflict and gets false) or
    /// rolls back (then inserts). This is what makes N concurrent deliveries apply once.
    public func insertIfNew(
        _ db: Connection, id: String, type: String, livemode: Bool, apiVersion: String?, created: Int64,
        payload: String
    ) throws -> Bool {
        try !db.query(
            """
            INSERT INTO stripe_events (event_id, type, livemode, api_version, stripe_created, payload, result, detail)
            VALUES ($1, $2, $3, $4, to_timestamp($5::bigint), $6::jsonb, 'ignored', 'processing')
            ON CONFLICT (event_id) DO NOTHING
            RETURNING event_id
            """, [id, type, livemode, apiVersion, created, PostgresJSON(payload)]
        ).isEmpty
    }

    /// Records what the event did (`applied` / `no_op` / `ignored`), why, and the order it concerned.
    public func recordResult(_ db: Connection, id: String, orderID: UUID?, result: String, detail: String) throws {
        try db.execute(
            "UPDATE stripe_events SET order_id = $2, result = $3, detail = $4 WHERE event_id = $1",
            [id, orderID, result, String(detail.prefix(1000))])
    }

    /// The events recorded for an order, oldest first.
    public func events(_ db: Connection, orderID: UUID) throws -> [StripeEventRecord] {
        try db.query(
            """
            SELECT event_id, type, stripe_created, received_at, result, detail
            FROM stripe_events WHERE order_id = $1 ORDER BY received_at, event_id
            """, [orderID]
        ).map { row in
            StripeEventRecord(
                id: try row.decode("event_id"), type: try row.decode("type"),
                stripeCreatedAt: try row.decode("stripe_created"), receivedAt: try row.decode("received_at"),
                result: try row.decode("result"), detail: try row.decode("detail"))
        }
    }
}
