import Foundation
import Logging
import Postgres
import Synchronization

/// Repairs what webhooks and crashes can leave behind (docs/API.md §6). One pass:
///
/// 1. `pending_payment` orders not checked at Stripe for ``Configuration/staleAfter`` seconds (the
///    domain's ``CheckoutService/reconcilePendingOrders(staleSeconds:limit:)``): the session is
///    retrieved from Stripe and applied through the domain, exactly like a webhook or the admin sync
///    (a missed `checkout.session.completed` makes the order paid, a missed `expired` expires it and
///    releases its stock); one that never got a session and is older than the session TTL (Stripe was
///    down at checkout and the customer never retried) ends `expired` with its stock released (the
///    customer can still retry-session it).
/// 2. Orders that ended (failed / expired / cancelled) but still hold stock: the stock is released
///    (the domain never leaves it so; this heals manual edits and bugs).
/// 3. Paid orders whose fulfillment is still `pending` but whose `fulfill` job is finished (a crash
///    between the job's row and the order's record): a failed job's failure is recorded on the order
///    (needs attention, one notification), a done or missing job is enqueued again.
///
/// A pass takes a transaction-level Postgres advisory lock, so only one instance reconciles at a
/// time; the others skip. Every change goes through the order row lock and writes history with actor
/// `system:reconciler`. Work per pass is bounded by ``Configuration/batchSize`` per step.
public final class Reconciler: Sendable {
    /// Reconciler settings.
    public struct Configuration: Sendable {
        /// Seconds after which a pending order's session is checked at Stripe even before it expires
        /// (`RECONCILE_STALE_AFTER`).
        public var staleAfter: Int
        /// Orders per step per pass.
        public var batchSize: Int

        /// A pending order without a session is expired after the service's session TTL.
        public init(staleAfter: Int = 900, batchSize: Int = 200) {
            self.staleAfter = max(0, staleAfter)
            self.batchSize = max(1, batchSize)
        }
    }

    /// The advisory lock key of the reconciler (the migrator's key + 1).
    public static let lockKey: Int64 = Migrator.lockKey + 1

    let service: CheckoutService
    /// The settings it runs with.
    public let configuration: Configuration
    let logger: Logger
    private let cancelled = Atomic<Bool>(false)

    /// Asks a running (and every later) pass to stop between orders: shutdown must not wait for a
    /// whole batch of Stripe calls. Not undone.
    public func cancel() { cancelled.store(true, ordering: .releasing) }

    /// True once ``cancel()`` was called.
    public var isCancelled: Bool { cancelled.load(ordering: .acquiring) }

    /// A reconciler working through `service` (its pool and its Stripe gateway).
    public init(service: CheckoutService, configuration: Configuration, logger: Logger) {
        self.service = service
        self.configuration = configuration
        self.logger = logger
    }

    private var pool: ConnectionPool { service.pool }

    /// Runs one pass and reports what it changed. Never throws: failures are in ``ReconcileReport/errors``.
    /// `lockWait` is how long to wait for another instance's pass to finish (0 = skip at once).
    /// Needs two pool connections (one holds the lock).
    public func runOnce(lockWait: Duration = .zero) -> ReconcileReport {
        var report = ReconcileReport()
        let deadline = ContinuousClock.now + lockWait
        do {
            while true {
                let locked = try pool.transaction { lockConnection -> Bool in
                    let got =
                        try lockConnection.query(
                            "SELECT pg_try_advisory_xact_lock($1) AS locked", [Self.lockKey]
                        ).first?.decode("locked", as: Bool.self) ?? false
                    if got { pass(&report) }
                    return got
                }
                if locked { break }
                if ContinuousClock.now >= deadline {
                    report.skipped = true
                    break
                }
                Thread.sleep(forTimeInterval: 0.2)
            }
        } catch {
            report.errors.append("reconciler lock: \(OutboxWorker.describe(error))")
        }
        log(report)
        return report
    }

    private func pass(_ report: inout ReconcileReport) {
        reconcilePending(&report)
        guard !isCancelled else { return }
        releaseEndedReservations(&report)
        guard !isCancelled else { return }
        healFulfillment(&report)
    }

    private func log(_ report: ReconcileReport) {
        let metadata: Logger.Metadata = [
            "skipped": .stringConvertible(report.skipped),
            "orders_checked": .stringConvertible(report.ordersChecked),
            "changes": .stringConvertible(report.changes.count), "errors": .stringConvertible(report.errors.count),
        ]
        for change in report.changes {
            logger.info(
                "reconciler changed an order",
                metadata: [
                    "action": .string(change.action), "order_id": .string(change.orderID),
                    "from": .string(change.from), "to": .string(change.to), "reason": .string(change.detail),
                ])
        }
        for error in report.errors { logger.warning("reconciler error", metadata: ["error": .string(error)]) }
        if report.changes.isEmpty && report.errors.isEmpty {
            logger.debug("reconcile pass", metadata: metadata)
        } else {
            logger.info("reconcile pass", metadata: metadata)
        }
    }

    // MARK: - 1 + 3. Pending orders: sessions that should be over, reservations that never got one

    /// The domain's pass (``CheckoutService/reconcilePendingOrders(staleSeconds:limit:)``): claims
    /// stale pending orders with `SKIP LOCKED`, applies what Stripe says about their session, and
    /// expires (``OrderEvent/reservationExpired``) those that never got a session within the TTL.
    private func reconcilePending(_ report: inout ReconcileReport) {
        let results: [ReconcileResult]
        do {
            results = try service.reconcilePendingOrders(
                staleSeconds: configuration.staleAfter, limit: configuration.batchSize,
                shouldStop: { [self] in isCancelled })
        } catch {
            report.errors.append("pending orders: \(error.code)")
            return
        }
        let skipped = results.filter { $0.result == "skipped" }.count
        if skipped > 0, !isCancelled {
            report.errors.append("pending orders: \(skipped) skipped after repeated Stripe unavailability")
        }
        // Every claimed order was pending_payment, whose payment and fulfillment are pending / not_attempted.
        let from = StatusTriple(.pendingPayment, .pending, .notAttempted).description
        for result in results {
            let id = result.orderID.lowercased
            switch result.result {
            case "error":
                report.errors.append("order \(id): \(String(result.detail.prefix(200)))")
                continue
            case "skipped":
                continue
            case "applied":
                guard let after = try? loadRecord(result.orderID) else {
                    report.errors.append("order \(id): changed, but could not be read back")
                    continue
                }
                report.ordersChecked += 1
                let expired = after.state.currentSessionID == nil && after.state.status == .expired
                report.changes.append(
                    .init(
                        action: expired ? "reservation_expired" : "session_synced", orderID: id,
                        orderNumber: after.orderNumber, from: from, to: after.state.triple.description,
                        detail: result.detail))
            default:
                report.ordersChecked += 1
            }
        }
    }

    // MARK: - 2. Ended orders still holding stock

    private func releaseEndedReservations(_ report: inout ReconcileReport) {
        let ids: [UUID]
        do {
            ids = try pool.withConnection { db in
                try db.query(
                    """
                    SELECT id FROM orders WHERE stock_reserved AND status IN ('failed', 'expired', 'cancelled')
                    ORDER BY updated_at LIMIT $1
                    """, [configuration.batchSize]
                ).map { try $0.decode("id", as: UUID.self) }
            }
        } catch {
            report.errors.append("listing ended reservations: \(OutboxWorker.describe(error))")
            return
        }
        for id in ids {
            do {
                // An input like any other: the order's lock, the machine and the stock ledger decide.
                let (order, decision) = try service.input(id, .releaseEndedReservation, actor: "system:reconciler")
                if let next = decision.newState {
                    report.changes.append(
                        .init(
                            action: "stock_released", orderID: id.lowercased, orderNumber: order.orderNumber,
                            from: order.state.triple.description, to: next.triple.description,
                            detail: decision.reason))
                }
            } catch {
                report.errors.append("order \(id.lowercased): \(OutboxWorker.describe(error))")
            }
        }
    }

    // MARK: - 3. Fulfillment left pending by a crash

    private func healFulfillment(_ report: inout ReconcileReport) {
        let rows: [(UUID, String?, String?)]
        do {
            rows = try pool.withConnection { db in
                try db.query(
                    """
                    SELECT o.id, j.status AS job_status, j.last_error FROM orders o
                    LEFT JOIN outbox_jobs j ON j.dedupe_key = 'fulfill:' || o.id::text
                    WHERE o.status IN ('paid', 'refunded') AND o.fulfillment_status = 'pending'
                      AND o.updated_at <= now() - interval '60 seconds'
                      AND (j.id IS NULL OR (j.status IN ('done', 'failed') AND j.updated_at <= now() - interval '60 seconds'))
                    ORDER BY o.updated_at LIMIT $1
                    """, [configuration.batchSize]
                ).map {
                    (
                        try $0.decode("id", as: UUID.self), try $0.decode("job_status", as: String?.self),
                        try $0.decode("last_error", as: String?.self)
                    )
                }
            }
        } catch {
            report.errors.append("listing pending fulfillments: \(OutboxWorker.describe(error))")
            return
        }
        for (id, jobStatus, lastError) in rows {
            do {
                let before = try loadRecord(id)
                if jobStatus == "failed" {
                    let error = lastError ?? "fulfillment job failed"
                    try service.recordFulfillmentFailed(orderID: id, error: error)
                    if let before, let after = try loadRecord(id), after.state != before.state {
                        report.changes.append(
                            .init(
                                action: "fulfillment_failure_recorded", orderID: id.lowercased,
                                orderNumber: before.orderNumber, from: before.state.triple.description,
                                to: after.state.triple.description,
                                detail: "fulfillment failed: \(error)"))
                    }
                } else {
                    let (order, decision) = try service.input(id, .requeueFulfillment, actor: "system:reconciler")
                    if decision.newState != nil {
                        report.changes.append(
                            .init(
                                action: "fulfillment_requeued", orderID: id.lowercased, orderNumber: order.orderNumber,
                                from: order.state.triple.description, to: order.state.triple.description,
                                detail: "fulfillment pending without a live job (\(jobStatus ?? "none"))"))
                    }
                }
            } catch {
                report.errors.append("order \(id.lowercased): \(OutboxWorker.describe(error))")
            }
        }
    }

    // MARK: - Helpers

    private func loadRecord(_ id: UUID) throws -> OrderRecord? {
        try pool.withConnection { db in try service.orders.order(db, id: id) }
    }

    static func describe(_ error: any Error) -> String {
        switch error as? PaymentGatewayError {
        case .rejected(let status, _, let code, _): return "rejected \(status) \(code ?? "")"
        case .unavailable(let detail): return "unavailable (\(String(detail.prefix(200))))"
        case nil: return OutboxWorker.describe(error)
        }
    }
}
