import Foundation

/// One claimed row of `outbox_jobs`, as a handler sees it.
///
/// `attempt` is this run's number (1 for the first run; the claim incremented it), and together with
/// `id` and `lockedBy` it fences every completion update: a worker whose lease expired and whose job
/// was claimed again can no longer mark it done, retry or failed.
public struct OutboxJob: Sendable, Equatable {
    /// `outbox_jobs.id`.
    public var id: Int64
    /// `fulfill`, `notify`, … (the handler is chosen by this).
    public var kind: String
    /// The order the job is about, when it is about one.
    public var orderID: UUID?
    /// The job's small string payload (written by the domain when it enqueued the job).
    public var payload: [String: String]
    /// This run's attempt number (1-based).
    public var attempt: Int
    /// Attempts allowed in total; a retryable failure of attempt `maxAttempts` gives up.
    public var maxAttempts: Int
    /// The worker instance holding the lease.
    public var lockedBy: String
    /// The previous attempt's error, if any.
    public var lastError: String?
    /// True when the job was taken over from a worker whose lease expired (it crashed or hung).
    public var reclaimed: Bool

    /// Builds a job (the queue decodes rows into this; tests build them directly).
    public init(
        id: Int64, kind: String, orderID: UUID?, payload: [String: String], attempt: Int, maxAttempts: Int,
        lockedBy: String, lastError: String? = nil, reclaimed: Bool = false
    ) {
        self.id = id
        self.kind = kind
        self.orderID = orderID
        self.payload = payload
        self.attempt = attempt
        self.maxAttempts = maxAttempts
        self.lockedBy = lockedBy
        self.lastError = lastError
        self.reclaimed = reclaimed
    }

    /// True when no attempt is left after this one.
    public var isLastAttempt: Bool { attempt >= maxAttempts }
}

/// What running a job came to. The worker turns it into `done`, a scheduled retry, or `failed`.
public enum OutboxJobOutcome: Sendable, Equatable {
    /// Finished; `detail` is logged (never secrets or bodies).
    case done(detail: String)
    /// Failed in a way that may pass (timeout, 5xx, connection refused): retry with backoff, or give
    /// up once the attempts are exhausted.
    case retry(error: String)
    /// Failed in a way retrying cannot fix (unknown kind, order gone): give up now.
    case failed(error: String)
}

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
