/// Runs one kind of outbox job. Implementations are blocking (called on the worker's own threads),
/// must be idempotent (a job can run again after a crash between its effect and its completion
/// record), and must finish well within the worker's lease.
public protocol OutboxJobHandler: Sendable {
    /// The `kind` column value this handler runs.
    var kind: String { get }
    /// Performs the job once.
    func run(_ job: OutboxJob) -> OutboxJobOutcome
    /// Called once when the job is given up for good (after the row is marked `failed`), so the
    /// domain can record the failure. `error` is the last attempt's error.
    func gaveUp(_ job: OutboxJob, error: String)
}
