import Foundation
import Postgres

/// Enqueues post-payment work into `outbox_jobs`, in the caller's transaction, so a job exists
/// exactly when the state change that needs it was committed. Running jobs is the worker's business.
public struct OutboxStore: Sendable {
    /// Stateless; create freely.
    public init() {}

    /// Enqueues a job unless a live one with the same `dedupeKey` exists. A finished (`done`/`failed`)
    /// job with that key is revived instead (e.g. admin retry-fulfillment), so there is one row per
    /// key and never two live ones.
    public func enqueue(_ db: Connection, kind: String, orderID: UUID?, payload: [String: String], dedupeKey: String)
        throws
    {
        try db.execute(
            """
            INSERT INTO outbox_jobs (kind, order_id, payload, dedupe_key) VALUES ($1, $2, $3::jsonb, $4)
            ON CONFLICT (dedupe_key) DO UPDATE SET status = 'pending', attempts = 0, run_at = now(),
                payload = EXCLUDED.payload, locked_by = NULL, locked_until = NULL
            WHERE outbox_jobs.status IN ('done', 'failed')
            """, [kind, orderID, try PostgresJSON(encoding: payload), dedupeKey])
    }

    /// Jobs not yet done, by status (`pending`, `running`, `failed` = retries exhausted), each present
    /// with 0 when there are none; read by `/metrics` at scrape time.
    public func depthByStatus(_ db: Connection) throws -> [String: Int64] {
        var byStatus: [String: Int64] = ["pending": 0, "running": 0, "failed": 0]
        let rows = try db.query(
            """
            SELECT status, count(*)::bigint AS n FROM outbox_jobs
            WHERE status IN ('pending', 'running', 'failed') GROUP BY status
            """)
        for row in rows {
            byStatus[try row.decode("status", as: String.self)] = try row.decode("n", as: Int64.self)
        }
        return byStatus
    }
}
