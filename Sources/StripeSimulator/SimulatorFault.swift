/// A fault the simulator injects into the next API call (`POST /_sim/faults`), to test a client's
/// retries and timeouts against real sockets.
public struct SimulatorFault: Codable, Sendable, Equatable {
    /// Answer this status with a Stripe-shaped error body instead of processing the call (500, 429, 409 …).
    public var status: Int?
    /// Or: hold the call this many seconds, then process it normally (a slow Stripe; the client's own
    /// timeout decides what it sees).
    public var hangSeconds: Double?
    /// `Stripe-Should-Retry` on a status fault; unset (nil) by default, as on most real errors.
    public var shouldRetry: Bool?
    /// `Retry-After` seconds on a status fault.
    public var retryAfter: Int?

    public init(status: Int? = nil, hangSeconds: Double? = nil, shouldRetry: Bool? = nil, retryAfter: Int? = nil) {
        self.status = status
        self.hangSeconds = hangSeconds
        self.shouldRetry = shouldRetry
        self.retryAfter = retryAfter
    }

    /// Answer with `status`.
    public static func status(_ code: Int) -> SimulatorFault { SimulatorFault(status: code) }
    /// Hang `seconds`, then answer normally.
    public static func hang(_ seconds: Double) -> SimulatorFault { SimulatorFault(hangSeconds: seconds) }
}

/// One API call as the simulator saw it (`GET /_sim/requests`): lets tests check that a client's retries
/// reused one `Idempotency-Key` and how many attempts were made.
public struct SimulatorRequestLogEntry: Codable, Sendable, Equatable {
    public var requestId: String
    public var method: String
    public var path: String
    public var idempotencyKey: String?
    /// The status answered.
    public var status: Int
    /// The injected fault, if one was consumed (`"status 500"`, `"hang 2.0s"`).
    public var fault: String?
    /// True when the answer was an idempotent replay.
    public var replayed: Bool
}

/// One delivery attempt of one event (what `/_sim/events` reports so tests can await deliveries).
public struct SimulatorDeliveryAttempt: Codable, Sendable {
    /// Which delivery (copy) of the event this attempt belongs to, starting at 1.
    public var delivery: Int
    public var attempt: Int
    /// The signed `t` (fresh per attempt).
    public var signedAt: Int64
    /// HTTP status of the answer, nil when there was none.
    public var status: Int?
    public var error: String?
    public var succeeded: Bool
}
