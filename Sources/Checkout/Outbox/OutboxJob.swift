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
