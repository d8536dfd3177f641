import Foundation
import Logging
import Postgres

/// Repairs what webhooks and crashes can leave behind (API.md §6). One pass:
///
/// 1. `pending_payment` orders whose current session should be over (its `expires_at` passed since
///    it was last checked, or it was last checked more than ``Configuration/staleAfter`` ago): the
///    session is retrieved from Stripe and applied through the domain, exactly like a webhook or the
///    admin sync (a missed `checkout.session.completed` makes the order paid, a missed `expired`
///    expires it and releases its stock).
/// 2. Orders that ended (failed / expired / cancelled) but still hold stock: the stock is released
///    (the domain never leaves it so; this heals manual edits and bugs).
/// 3. `pending_payment` orders with no session whose last change is older than the session TTL
///    (Stripe was down at checkout and the customer never retried): expired locally, stock released.
///    The customer can still retry-session an expired order.
/// 4. Paid orders whose fulfillment is still `pending` but whose `fulfill` job is finished (a crash
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
        /// Seconds after which a pending order without a session is expired (the session TTL).
        public var sessionTTL: Int
        /// Orders per step per pass.
        public var batchSize: Int

        public init(staleAfter: Int = 900, sessionTTL: Int = 3600, batchSize: Int = 200) {
            self.staleAfter = max(0, staleAfter)
            self.sessionTTL = max(0, sessionTTL)
            self.batchSize = max(1, batchSize)
        }
    }

    /// The advisory lock key of the reconciler (the migrator's key + 1).
    public static let lockKey: Int64 = Migrator.lockKey + 1

    let service: CheckoutService
    /// The settings it runs with.
    public let configuration: Configuration
    let logger: Logger
    private let outbox = OutboxStore()

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
        syncStaleSessions(&report)
        releaseEndedReservations(&report)
        expireSessionless(&report)
        healFulfillment(&report)
    }

    private func log(_ report: ReconcileReport) {
        let metadata: Logger.Metadata = [
            "skipped": .stringConvertible(report.skipped),
            "sessions_checked": .stringConvertible(report.sessionsChecked),
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

    // MARK: - 1. Sessions that should be over

    private func syncStaleSessions(_ report: inout ReconcileReport) {
        let candidates: [(UUID, String)]
        do {
            candidates = try pool.withConnection { db in
                try db.query(
                    """
                    SELECT o.id, o.checkout_session_id FROM orders o
                    LEFT JOIN checkout_sessions s ON s.id = o.checkout_session_id
                    WHERE o.status = 'pending_payment' AND o.checkout_session_id IS NOT NULL
                      AND (coalesce(o.session_checked_at, o.created_at) <= now() - make_interval(secs => $1::bigint)
                           OR (s.expires_at <= now() AND coalesce(o.session_checked_at, o.created_at) < s.expires_at))
                    ORDER BY coalesce(o.session_checked_at, o.created_at)
                    LIMIT $2
                    """, [configuration.staleAfter, configuration.batchSize]
                ).map { (try $0.decode("id", as: UUID.self), try $0.decode("checkout_session_id", as: String.self)) }
            }
        } catch {
            report.errors.append("listing pending orders: \(OutboxWorker.describe(error))")
            return
        }
        for (orderID, sessionID) in candidates {
            do {
                // Marks the check first, so a Stripe outage does not make every pass retry at once.
                _ = try pool.withConnection { db in
                    try service.orders.claimSessionCheck(db, orderID: orderID, intervalSeconds: 0)
                }
                let session: PaymentSession
                do {
                    session = try service.gateway.retrieveSession(sessionID)
                } catch {
                    report.errors.append("order \(orderID.lowercased): Stripe: \(Self.describe(error))")
                    continue
                }
                report.sessionsChecked += 1
                let before = try loadRecord(orderID)
                if let decision = try service.apply(session: session, orderID: orderID, actor: "system:reconciler"),
                    let after = decision.newState, let before
                {
                    report.changes.append(
                        .init(
                            action: "session_synced", orderID: orderID.lowercased, orderNumber: before.orderNumber,
                            from: before.state.triple.description, to: after.triple.description, detail: decision.reason
                        ))
                }
            } catch {
                report.errors.append("order \(orderID.lowercased): \(OutboxWorker.describe(error))")
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
                let change = try pool.transaction { db -> ReconcileReport.Change? in
                    guard let order = try service.orders.order(db, id: id, forUpdate: true), order.state.stockReserved,
                        [.failed, .expired, .cancelled].contains(order.state.status)
                    else { return nil }
                    try releaseStock(db, orderID: id)
                    var next = order.state
                    next.stockReserved = false
                    let reason = "released stock still reserved by a \(order.state.status.rawValue) order"
                    try service.orders.saveState(db, orderID: id, next)
                    try service.orders.insertHistory(
                        db, orderID: id, state: next, reason: reason, actor: "system:reconciler", stripeEventID: nil)
                    return .init(
                        action: "stock_released", orderID: id.lowercased, orderNumber: order.orderNumber,
                        from: order.state.triple.description, to: next.triple.description, detail: reason)
                }
                if let change { report.changes.append(change) }
            } catch {
                report.errors.append("order \(id.lowercased): \(OutboxWorker.describe(error))")
            }
        }
    }

    // MARK: - 3. Pending orders that never got a session

    private func expireSessionless(_ report: inout ReconcileReport) {
        let ids: [UUID]
        do {
            ids = try pool.withConnection { db in
                try db.query(
                    """
                    SELECT id FROM orders
                    WHERE status = 'pending_payment' AND checkout_session_id IS NULL
                      AND updated_at <= now() - make_interval(secs => $1::bigint)
                    ORDER BY updated_at LIMIT $2
                    """, [configuration.sessionTTL, configuration.batchSize]
                ).map { try $0.decode("id", as: UUID.self) }
            }
        } catch {
            report.errors.append("listing orders without a session: \(OutboxWorker.describe(error))")
            return
        }
        for id in ids {
            do {
                let change = try pool.transaction { db -> ReconcileReport.Change? in
                    // Re-checked under the row lock: a retry-session or checkout in flight bumps updated_at.
                    guard let order = try service.orders.order(db, id: id, forUpdate: true),
                        order.state.status == .pendingPayment, order.state.currentSessionID == nil,
                        try db.query(
                            "SELECT updated_at <= now() - make_interval(secs => $2::bigint) AS stale FROM orders WHERE id = $1",
                            [id, configuration.sessionTTL]
                        ).first?.decode("stale", as: Bool.self) == true
                    else { return nil }
                    var next = order.state
                    next.status = .expired
                    next.paymentStatus = .expired
                    next.fulfillmentStatus = .notAttempted
                    next.failureReason = order.state.failureReason ?? "no checkout session was created in time"
                    if order.state.stockReserved {
                        try releaseStock(db, orderID: id)
                        next.stockReserved = false
                    }
                    let reason = "expired by the reconciler: no checkout session within \(configuration.sessionTTL) s"
                    try service.orders.saveState(db, orderID: id, next)
                    try service.orders.insertHistory(
                        db, orderID: id, state: next, reason: reason, actor: "system:reconciler", stripeEventID: nil)
                    return .init(
                        action: "expired_without_session", orderID: id.lowercased, orderNumber: order.orderNumber,
                        from: order.state.triple.description, to: next.triple.description, detail: reason)
                }
                if let change { report.changes.append(change) }
            } catch {
                report.errors.append("order \(id.lowercased): \(OutboxWorker.describe(error))")
            }
        }
    }

    // MARK: - 4. Fulfillment left pending by a crash

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
                    try pool.transaction { db in
                        try outbox.enqueue(
                            db, kind: "fulfill", orderID: id, payload: ["orderId": id.lowercased],
                            dedupeKey: "fulfill:\(id.lowercased)")
                    }
                    if let before {
                        report.changes.append(
                            .init(
                                action: "fulfillment_requeued", orderID: id.lowercased, orderNumber: before.orderNumber,
                                from: before.state.triple.description, to: before.state.triple.description,
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

    /// Gives every item's stock back (products in id order, as the domain does, so locks never cross).
    private func releaseStock(_ db: Connection, orderID: UUID) throws {
        for item in try service.orders.items(db, orderID: orderID).sorted(by: { $0.productID < $1.productID }) {
            try service.products.release(db, productID: item.productID, quantity: item.quantity)
        }
    }

    static func describe(_ error: any Error) -> String {
        switch error as? PaymentGatewayError {
        case .rejected(let status, _, let code, _): return "rejected \(status) \(code ?? "")"
        case .unavailable(let detail): return "unavailable (\(String(detail.prefix(200))))"
        case nil: return OutboxWorker.describe(error)
        }
    }
}
