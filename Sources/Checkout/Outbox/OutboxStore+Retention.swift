import Foundation
import Postgres

extension OutboxStore {
    /// Deletes up to `limit` jobs that finished successfully (`done`) and were last touched before
    /// `cutoff`; returns how many. Pending, running and failed jobs are never touched: a failed job is
    /// the evidence behind an order that needs attention. Rows another transaction holds are skipped.
    public func deleteDone(_ db: Connection, finishedBefore cutoff: Date, limit: Int) throws -> Int {
        try db.query(
            """
            WITH doomed AS (
                SELECT id FROM outbox_jobs WHERE status = 'done' AND updated_at < $1
                ORDER BY updated_at LIMIT $2 FOR UPDATE SKIP LOCKED
            )
            DELETE FROM outbox_jobs j USING doomed WHERE j.id = doomed.id AND j.status = 'done'
            RETURNING j.id
            """, [cutoff, limit]
        ).count
    }
}
