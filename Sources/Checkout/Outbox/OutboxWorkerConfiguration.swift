import Foundation

/// Knobs of the outbox worker (`OUTBOX_*` in the environment; see README "Operations").
public struct OutboxWorkerConfiguration: Sendable {
    /// This process's name in `locked_by` (unique per process: host, pid and a random suffix).
    public var instanceID: String
    /// Seconds between polls while no job is due.
    public var pollInterval: Double
    /// Seconds a claimed job is leased; must exceed the longest job (the HTTP timeout) with margin.
    public var leaseSeconds: Double
    /// Attempts a job gets before it is given up.
    public var maxAttempts: Int
    /// Delays between attempts.
    public var backoff: Backoff
    /// Jobs run at once by this process.
    public var concurrency: Int
    /// How long ``OutboxWorker/stop()`` waits for running jobs to finish (seconds).
    public var stopTimeout: Double

    /// Defaults are the production ones; out-of-range values are clamped (poll ≥ 10 ms, lease ≥ 1 s,
    /// at least one attempt and one runner).
    public init(
        instanceID: String = OutboxWorkerConfiguration.defaultInstanceID(), pollInterval: Double = 1,
        leaseSeconds: Double = 60, maxAttempts: Int = 8, backoff: Backoff = Backoff(base: 2, cap: 600),
        concurrency: Int = 2, stopTimeout: Double = 15
    ) {
        self.instanceID = instanceID
        self.pollInterval = max(0.01, pollInterval)
        self.leaseSeconds = max(1, leaseSeconds)
        self.maxAttempts = max(1, maxAttempts)
        self.backoff = backoff
        self.concurrency = max(1, concurrency)
        self.stopTimeout = max(0, stopTimeout)
    }

    /// `host:pid:random`, at most 60 characters.
    public static func defaultInstanceID() -> String {
        let host = ProcessInfo.processInfo.hostName.prefix(40)
        let suffix = UInt32.random(in: 0...UInt32.max)
        return "\(host):\(ProcessInfo.processInfo.processIdentifier):\(String(suffix, radix: 36))"
    }
}
