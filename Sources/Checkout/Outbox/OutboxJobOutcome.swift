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
