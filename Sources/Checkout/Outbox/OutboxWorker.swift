import Dispatch
import Foundation
import Logging
import Postgres
import Synchronization

/// Runs `outbox_jobs` in the background of every `checkoutd serve`: claims due jobs (``OutboxQueue``,
/// `FOR UPDATE SKIP LOCKED`), runs each outside any transaction on a bounded set of threads, then
/// marks it done, schedules a retry with ``Backoff``, or gives it up after its last attempt.
///
/// Guarantees, with any number of instances on one database:
/// - a job is never run by two workers at once: the claim is exclusive and lasts a lease; every
///   completion update is fenced on `(id, locked_by, attempts)`, so a worker that outlived its lease
///   cannot overwrite the newer claim's result;
/// - a job whose worker died (crash, SIGKILL) is claimed again once its lease expires;
/// - jobs are run at least once, so handlers are idempotent (the fulfillment POST carries an
///   `Idempotency-Key`, domain transitions ignore repeats).
///
/// One dispatcher thread polls (every ``OutboxWorkerConfiguration/pollInterval`` while idle, at once
/// after a job finishes or ``wakeUp()``) and hands claimed jobs to at most
/// ``OutboxWorkerConfiguration/concurrency`` runner threads. Never uses Swift's cooperative pool.
public final class OutboxWorker: Sendable {
    /// One finished job, for metrics.
    public struct Report: Sendable, Equatable {
        /// The job's kind.
        public var kind: String
        /// `done`, `retry`, `failed`, `lost` (lease lost: result discarded) or `error` (not recorded).
        public var outcome: String
        /// How long the job ran.
        public var seconds: Double
    }

    private struct State {
        var started = false
        var stopping = false
        var inFlight = 0
    }

    private let pool: ConnectionPool
    /// The configuration it runs with.
    public let configuration: OutboxWorkerConfiguration
    private let handlers: [String: any OutboxJobHandler]
    private let logger: Logger
    private let observe: @Sendable (Report) -> Void
    private let queue = OutboxQueue()
    private let state = Mutex(State())
    private let wake = DispatchSemaphore(value: 0)
    private let loopFinished = DispatchSemaphore(value: 0)
    private let jobs = DispatchGroup()
    private let runners = DispatchQueue(label: "checkout.outbox.jobs", attributes: .concurrent)

    /// - Parameters:
    ///   - handlers: one per job kind; a job of another kind is given up at once.
    ///   - observe: called after every job (metrics).
    public init(
        pool: ConnectionPool, configuration: OutboxWorkerConfiguration, handlers: [any OutboxJobHandler],
        logger: Logger, observe: @escaping @Sendable (Report) -> Void = { _ in }
    ) {
        self.pool = pool
        self.configuration = configuration
        self.handlers = Dictionary(handlers.map { ($0.kind, $0) }, uniquingKeysWith: { first, _ in first })
        self.logger = logger
        self.observe = observe
    }

    /// Starts the dispatcher thread. Later calls do nothing.
    public func start() {
        let first = state.withLock { s in
            defer { s.started = true }
            return !s.started && !s.stopping
        }
        guard first else { return }
        logger.info(
            "outbox worker started",
            metadata: [
                "instance": .string(configuration.instanceID),
                "concurrency": .stringConvertible(configuration.concurrency),
                "poll_s": .stringConvertible(configuration.pollInterval),
                "lease_s": .stringConvertible(configuration.leaseSeconds),
                "max_attempts": .stringConvertible(configuration.maxAttempts),
            ])
        let thread = Thread { [self] in
            dispatchLoop()
            loopFinished.signal()
        }
        thread.name = "outbox-dispatcher"
        thread.start()
    }

    /// Polls now instead of at the next interval (e.g. right after enqueueing in this process).
    public func wakeUp() {
        wake.signal()
    }

    /// Graceful stop: claims nothing more, lets running jobs finish and record their result (bounded
    /// by ``OutboxWorkerConfiguration/stopTimeout``; a job still running after that keeps its lease,
    /// which expires, and another instance runs it again). Later calls do nothing.
    public func stop() {
        let wasRunning = state.withLock { s in
            defer { s.stopping = true }
            return s.started && !s.stopping
        }
        guard wasRunning else { return }
        wake.signal()
        let deadline = DispatchTime.now() + configuration.stopTimeout
        if loopFinished.wait(timeout: deadline) == .timedOut || jobs.wait(timeout: deadline) == .timedOut {
            logger.warning(
                "outbox worker stopped with jobs still running; their leases will expire and they will be retried",
                metadata: ["in_flight": .stringConvertible(state.withLock { $0.inFlight })])
        } else {
            logger.info("outbox worker stopped", metadata: ["instance": .string(configuration.instanceID)])
        }
    }

    /// Claims and runs due jobs on the calling thread until none is due or `limit` jobs ran; returns
    /// how many ran. For `checkoutd` one-shot use and tests; the background loop does the same.
    @discardableResult
    public func drain(limit: Int = 1000) -> Int {
        var ran = 0
        while ran < limit {
            guard let job = (try? claim(limit: 1))?.first else { break }
            process(job)
            ran += 1
        }
        return ran
    }

    // MARK: - Loop

    private func dispatchLoop() {
        while true {
            let (stopping, free) = state.withLock { ($0.stopping, configuration.concurrency - $0.inFlight) }
            if stopping { return }
            if free <= 0 {
                _ = wake.wait(timeout: .now() + configuration.pollInterval)
                continue
            }
            let claimed: [OutboxJob]
            do {
                claimed = try claim(limit: free)
            } catch {
                logger.warning("outbox claim failed", metadata: ["error": "\(Self.describe(error))"])
                _ = wake.wait(timeout: .now() + configuration.pollInterval)
                continue
            }
            for job in claimed {
                state.withLock { $0.inFlight += 1 }
                jobs.enter()
                runners.async { [self] in
                    process(job)
                    state.withLock { $0.inFlight -= 1 }
                    jobs.leave()
                    wake.signal()
                }
            }
            if claimed.count < free {
                _ = wake.wait(timeout: .now() + configuration.pollInterval)
            }
        }
    }

    private func claim(limit: Int) throws -> [OutboxJob] {
        try pool.withConnection { db in
            try queue.claim(
                db, instance: configuration.instanceID, limit: limit, leaseSeconds: configuration.leaseSeconds,
                maxAttempts: configuration.maxAttempts)
        }
    }

    // MARK: - One job

    private func process(_ job: OutboxJob) {
        let started = ContinuousClock.now
        let handler = handlers[job.kind]
        let outcome: OutboxJobOutcome
        if let handler, job.attempt <= job.maxAttempts {
            outcome = handler.run(job)
        } else if handler != nil {
            // Reclaimed after its worker died during the last attempt: nothing is left to try.
            outcome = .retry(error: job.lastError ?? "worker lost its lease during the last attempt")
        } else {
            outcome = .failed(error: "no handler for job kind \(job.kind)")
        }
        let elapsed = started.duration(to: .now)
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        var metadata: Logger.Metadata = [
            "job_id": .stringConvertible(job.id), "kind": .string(job.kind),
            "order_id": .string(job.orderID?.uuidString.lowercased() ?? "-"),
            "attempt": .stringConvertible(job.attempt), "max_attempts": .stringConvertible(job.maxAttempts),
            "duration_ms": .stringConvertible((seconds * 1000).rounded()),
        ]
        if job.reclaimed { metadata["reclaimed"] = "true" }
        var result: String
        do {
            switch outcome {
            case .done(let detail):
                metadata["detail"] = .string(String(detail.prefix(300)))
                result = try pool.withConnection { db in try queue.complete(db, job) } ? "done" : "lost"
            case .retry(let error) where job.attempt < job.maxAttempts:
                let delay = configuration.backoff.delay(afterAttempt: job.attempt)
                metadata["error"] = .string(String(error.prefix(300)))
                metadata["retry_in_s"] = .stringConvertible((delay * 1000).rounded() / 1000)
                result =
                    try pool.withConnection { db in try queue.retry(db, job, delaySeconds: delay, error: error) }
                    ? "retry" : "lost"
            case .retry(let error), .failed(let error):
                metadata["error"] = .string(String(error.prefix(300)))
                let marked = try pool.withConnection { db in try queue.fail(db, job, error: error) }
                result = marked ? "failed" : "lost"
                // The row is `failed` first, so an admin retry that follows the domain's record finds
                // a finished row to revive. A crash in between is healed by the reconciler.
                if marked { handler?.gaveUp(job, error: error) }
            }
        } catch {
            metadata["error"] = .string(Self.describe(error))
            result = "error"
        }
        metadata["outcome"] = .string(result)
        switch result {
        case "done": logger.info("outbox job done", metadata: metadata)
        case "retry": logger.warning("outbox job will be retried", metadata: metadata)
        case "failed": logger.error("outbox job gave up", metadata: metadata)
        case "lost": logger.warning("outbox job lease lost; result discarded", metadata: metadata)
        default: logger.error("outbox job result could not be recorded; it will run again", metadata: metadata)
        }
        observe(Report(kind: job.kind, outcome: result, seconds: seconds))
    }

    /// Safe text of an error for logs (Postgres errors without SQL or data).
    static func describe(_ error: any Error) -> String {
        if let pg = error as? PostgresError { return pg.description }
        return String(String(describing: error).prefix(300))
    }
}
