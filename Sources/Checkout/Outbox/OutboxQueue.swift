import Foundation
import Postgres

/// The worker's SQL on `outbox_jobs`: claim due jobs, then finish them with updates fenced on
/// `(id, claim_token)` (a fresh token per claim; `locked_by` and `attempts` alone repeat after a
/// revive resets `attempts`).
///
/// Claiming is one statement (`FOR UPDATE SKIP LOCKED` in a sub-select), so concurrent workers on
/// any number of instances never claim the same row, and nothing is held while a job runs: the job
/// runs outside any transaction, protected by its lease (`locked_until`). A job whose worker died
/// is due again once its lease has expired.
public struct OutboxQueue: Sendable {
    public init() {}

    /// Claims up to `limit` due jobs for `instance`: pending jobs whose `run_at` has come, and
    /// running jobs whose lease expired. Each gets `status = running`, `locked_by = instance`,
    /// `locked_until = now() + lease`, `attempts + 1` and `max_attempts = maxAttempts` (the running
    /// configuration decides how many attempts a job gets).
    public func claim(
        _ db: Connection, instance: String, limit: Int, leaseSeconds: Double, maxAttempts: Int
    ) throws -> [OutboxJob] {
        let rows = try db.query(
            """
            WITH due AS (
                SELECT id, status AS was FROM outbox_jobs
                WHERE (status = 'pending' AND run_at <= now()) OR (status = 'running' AND locked_until < now())
                ORDER BY run_at
                LIMIT $2
                FOR UPDATE SKIP LOCKED
            )
            UPDATE outbox_jobs j
            SET status = 'running', locked_by = $1,
                locked_until = now() + make_interval(secs => $3::double precision),
                attempts = j.attempts + 1, max_attempts = $4, claim_token = gen_random_uuid()
            FROM due WHERE j.id = due.id
            RETURNING j.id, j.kind, j.order_id, j.payload, j.attempts, j.max_attempts, j.last_error, j.claim_token,
                      due.was = 'running' AS reclaimed
            """, [instance, limit, leaseSeconds, maxAttempts])
        return try rows.map { row in
            let payload = try row.decode("payload", as: PostgresJSON.self)
            return OutboxJob(
                id: try row.decode("id"), kind: try row.decode("kind"), orderID: try row.decode("order_id"),
                payload: (try? payload.decode([String: String].self)) ?? [:], attempt: try row.decode("attempts"),
                maxAttempts: try row.decode("max_attempts"), lockedBy: instance,
                lastError: try row.decode("last_error"), reclaimed: try row.decode("reclaimed"),
                claimToken: try row.decode("claim_token"))
        }
    }

    /// Marks the job done. `locked_by` is kept (who ran it, for forensics). False when the lease was
    /// lost (another worker claimed the job again): nothing changed.
    public func complete(_ db: Connection, _ job: OutboxJob) throws -> Bool {
        try db.execute(
            """
            UPDATE outbox_jobs SET status = 'done', locked_until = NULL, last_error = NULL
            WHERE id = $1 AND locked_by = $2 AND attempts = $3 AND claim_token = $4 AND status = 'running'
            """, [job.id, job.lockedBy, job.attempt, job.claimToken]) == 1
    }

    /// Puts the job back to `pending`, due after `delaySeconds`, with `error` recorded. False when the
    /// lease was lost.
    public func retry(_ db: Connection, _ job: OutboxJob, delaySeconds: Double, error: String) throws -> Bool {
        try db.execute(
            """
            UPDATE outbox_jobs SET status = 'pending', run_at = now() + make_interval(secs => $4::double precision),
                locked_by = NULL, locked_until = NULL, last_error = $5
            WHERE id = $1 AND locked_by = $2 AND attempts = $3 AND claim_token = $6 AND status = 'running'
            """, [job.id, job.lockedBy, job.attempt, delaySeconds, String(error.prefix(1000)), job.claimToken]) == 1
    }

    /// Gives the job up (`failed`, error recorded). False when the lease was lost.
    public func fail(_ db: Connection, _ job: OutboxJob, error: String) throws -> Bool {
        try db.execute(
            """
            UPDATE outbox_jobs SET status = 'failed', locked_until = NULL, last_error = $4
            WHERE id = $1 AND locked_by = $2 AND attempts = $3 AND claim_token = $5 AND status = 'running'
            """, [job.id, job.lockedBy, job.attempt, String(error.prefix(1000)), job.claimToken]) == 1
    }

    /// Jobs not done, by status (`pending`, `running`, `failed`), for metrics.
    public func depth(_ db: Connection) throws -> [String: Int64] {
        var out: [String: Int64] = ["pending": 0, "running": 0, "failed": 0]
        for row in try db.query(
            "SELECT status, count(*)::bigint AS n FROM outbox_jobs WHERE status <> 'done' GROUP BY status")
        {
            out[try row.decode("status", as: String.self)] = try row.decode("n", as: Int64.self)
        }
        return out
    }
}
