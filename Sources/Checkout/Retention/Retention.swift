import Foundation
import Logging
import Postgres
import Synchronization

/// Deletes what the service no longer needs, so nothing grows forever. One pass:
///
/// 1. outbox jobs that finished successfully (`done`) more than ``Configuration/outboxRetention``
///    seconds ago are deleted (pending, running and failed jobs stay);
/// 2. the payloads of Stripe events received more than ``Configuration/eventPayloadRetention`` seconds
///    ago are dropped; the event's id, type and result stay forever (the idempotency ledger);
/// 3. the customer email of orders that ended without money (failed, expired, cancelled, nothing
///    received) and have not changed for ``Configuration/unpaidOrderRetention`` seconds is redacted.
///
/// Nothing of a paid order is ever removed, and no status, amount or stock changes. A retention of 0
/// turns its step off. Like the reconciler, a pass takes a transaction-level advisory lock so only one
/// instance works at a time (the others skip), and works in batches of ``Configuration/batchSize`` rows,
/// each its own short transaction, at most ``Configuration/maxBatches`` per step per pass. Time comes
/// from `now`, so tests move the clock instead of waiting.
public final class Retention: Sendable {
    /// Retention periods (seconds, 0 = keep forever) and pass bounds.
    public struct Configuration: Sendable {
        /// `OUTBOX_RETENTION`: age of a finished outbox job before it is deleted.
        public var outboxRetention: Int
        /// `EVENT_PAYLOAD_RETENTION`: age of a Stripe event before its payload is dropped.
        public var eventPayloadRetention: Int
        /// `UNPAID_ORDER_RETENTION`: time since an unpaid order ended before its email is redacted.
        public var unpaidOrderRetention: Int
        /// Rows per statement.
        public var batchSize: Int
        /// Statements per step per pass (so one pass is bounded; the next pass continues).
        public var maxBatches: Int

        /// The product's defaults: 7 days, 90 days, 30 days; 1000 rows × 20 batches per step.
        public init(
            outboxRetention: Int = 7 * 86_400, eventPayloadRetention: Int = 90 * 86_400,
            unpaidOrderRetention: Int = 30 * 86_400, batchSize: Int = 1000, maxBatches: Int = 20
        ) {
            self.outboxRetention = max(0, outboxRetention)
            self.eventPayloadRetention = max(0, eventPayloadRetention)
            self.unpaidOrderRetention = max(0, unpaidOrderRetention)
            self.batchSize = max(1, batchSize)
            self.maxBatches = max(1, maxBatches)
        }
    }

    /// The advisory lock key of retention passes (the migrator's key + 2; the reconciler has + 1).
    public static let lockKey: Int64 = Migrator.lockKey + 2

    let pool: ConnectionPool
    /// The settings it runs with.
    public let configuration: Configuration
    let now: @Sendable () -> Date
    let logger: Logger
    private let cancelled = Atomic<Bool>(false)

    /// A retention task over `pool`; `now` is the clock (tests pass a controllable one).
    public init(
        pool: ConnectionPool, configuration: Configuration, logger: Logger,
        now: @escaping @Sendable () -> Date = Date.init
    ) {
        self.pool = pool
        self.configuration = configuration
        self.logger = logger
        self.now = now
    }

    /// Asks a running (and every later) pass to stop between batches. Not undone.
    public func cancel() { cancelled.store(true, ordering: .releasing) }

    /// Runs one pass. Never throws: a failure is in ``RetentionReport/errors`` and the next pass retries.
    /// Needs two pool connections (one holds the lock while batches run on another).
    public func runOnce() -> RetentionReport {
        var report = RetentionReport()
        let at = now()
        do {
            report.skipped = try !pool.transaction { lock -> Bool in
                let got =
                    try lock.query("SELECT pg_try_advisory_xact_lock($1) AS locked", [Self.lockKey]).first?
                    .decode("locked", as: Bool.self) ?? false
                if got { pass(at: at, &report) }
                return got
            }
        } catch {
            report.errors.append("retention lock: \(OutboxWorker.describe(error))")
        }
        log(report)
        return report
    }

    private func pass(at: Date, _ report: inout RetentionReport) {
        let c = configuration
        report.outboxJobs = step("outbox_jobs", retention: c.outboxRetention, at: at, &report) { db, cutoff, limit in
            try OutboxStore().deleteDone(db, finishedBefore: cutoff, limit: limit)
        }
        report.eventPayloads = step("event_payloads", retention: c.eventPayloadRetention, at: at, &report) {
            db, cutoff, limit in
            try StripeEventStore().dropPayloads(db, receivedBefore: cutoff, limit: limit)
        }
        report.orderEmails = step("order_emails", retention: c.unpaidOrderRetention, at: at, &report) {
            db, cutoff, limit in
            try OrderStore().redactUnpaidEmails(db, endedBefore: cutoff, limit: limit)
        }
    }

    /// Runs one step's batches until one comes back short (or the bound, or a cancel); returns the rows.
    private func step(
        _ name: String, retention: Int, at: Date, _ report: inout RetentionReport,
        _ batch: (Connection, Date, Int) throws -> Int
    ) -> Int {
        guard retention > 0 else { return 0 }
        let cutoff = at.addingTimeInterval(-Double(retention))
        var total = 0
        for _ in 0..<configuration.maxBatches {
            guard !cancelled.load(ordering: .acquiring) else { break }
            do {
                let n = try pool.transaction { db in try batch(db, cutoff, configuration.batchSize) }
                total += n
                if n < configuration.batchSize { break }
            } catch {
                report.errors.append("retention \(name): \(OutboxWorker.describe(error))")
                break
            }
        }
        return total
    }

    private func log(_ report: RetentionReport) {
        let metadata: Logger.Metadata = [
            "skipped": .stringConvertible(report.skipped), "outbox_jobs": .stringConvertible(report.outboxJobs),
            "event_payloads": .stringConvertible(report.eventPayloads),
            "order_emails": .stringConvertible(report.orderEmails), "errors": .stringConvertible(report.errors.count),
        ]
        for error in report.errors { logger.warning("retention error", metadata: ["error": .string(error)]) }
        if report.outboxJobs + report.eventPayloads + report.orderEmails > 0 {
            logger.info("retention pass removed old data", metadata: metadata)
        } else {
            logger.debug("retention pass", metadata: metadata)
        }
    }
}

/// What one retention pass removed.
public struct RetentionReport: Sendable, Equatable {
    /// Another instance held the lock: nothing was done.
    public var skipped = false
    /// Finished outbox jobs deleted.
    public var outboxJobs = 0
    /// Stripe event payloads dropped.
    public var eventPayloads = 0
    /// Unpaid orders whose email was redacted.
    public var orderEmails = 0
    /// Failures (the step stopped; the next pass retries).
    public var errors: [String] = []

    /// An empty report.
    public init() {}
}
