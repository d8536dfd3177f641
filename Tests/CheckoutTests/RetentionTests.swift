import Foundation
import Logging
import Postgres
import Testing
import TestSupport

@testable import Checkout

/// The retention task against a real database, with the clock moved instead of waited for.
@Suite("Retention")
struct RetentionTests {
    static let day: TimeInterval = 86_400

    /// A retention task whose clock is `now + offset` (days).
    static func retention(_ h: CheckoutHarness, days offset: Double, batchSize: Int = 1000) -> Retention {
        var logger = Logger(label: "retention-tests")
        logger.logLevel = .critical
        let at = Date().addingTimeInterval(offset * day)
        return Retention(
            pool: h.pool, configuration: .init(batchSize: batchSize), logger: logger, now: { at })
    }

    /// A paid order, an expired one, a failed one and a pending one, each with an email; returns their ids.
    static func orders(_ h: CheckoutHarness) throws -> (paid: UUID, expired: UUID, failed: UUID, pending: UUID) {
        try h.product("sku_keep", stock: 100)
        let paid = try h.checkout([("sku_keep", 1)], email: "paid@example.com")
        try h.deliverAll(try h.simulator.pay(sessionID: paid.id))
        let expired = try h.checkout([("sku_keep", 1)], email: "expired@example.com")
        try h.deliverAll(try h.simulator.expire(sessionID: expired.id))
        let failed = try h.checkout([("sku_keep", 1)], email: "failed@example.com")
        try h.deliverAll(try h.simulator.decline(sessionID: failed.id))
        let pending = try h.checkout([("sku_keep", 1)], email: "pending@example.com")
        return (paid.orderID, expired.orderID, failed.orderID, pending.orderID)
    }

    @Test("each step waits for its own retention; a paid or pending order keeps its email")
    func stepsByAge() throws {
        let h = try CheckoutHarness()
        let ids = try Self.orders(h)
        #expect(try h.order(ids.expired).state.status == .expired)
        #expect(try h.order(ids.failed).state.status == .failed)
        // Finished and unfinished outbox jobs (the paid order enqueued its own fulfill job).
        try h.pool.transaction { db in
            for n in 0..<3 {
                try OutboxStore().enqueue(db, kind: "test", orderID: nil, payload: [:], dedupeKey: "done:\(n)")
            }
            try OutboxStore().enqueue(db, kind: "test", orderID: nil, payload: [:], dedupeKey: "failed:0")
            try db.execute("UPDATE outbox_jobs SET status = 'done' WHERE dedupe_key LIKE 'done:%'")
            try db.execute("UPDATE outbox_jobs SET status = 'failed' WHERE dedupe_key LIKE 'failed:%'")
        }
        let jobs = try h.count("SELECT count(*)::int AS n FROM outbox_jobs")
        let events = try h.count("SELECT count(*)::int AS n FROM stripe_events")
        #expect(events >= 3)

        // Today: nothing is old enough.
        #expect(Self.retention(h, days: 0).runOnce() == RetentionReport())
        // After 8 days: only the finished jobs go.
        let week = Self.retention(h, days: 8).runOnce()
        #expect(week.outboxJobs == 3 && week.eventPayloads == 0 && week.orderEmails == 0 && week.errors.isEmpty)
        #expect(try h.count("SELECT count(*)::int AS n FROM outbox_jobs") == jobs - 3)
        #expect(try h.count("SELECT count(*)::int AS n FROM outbox_jobs WHERE status = 'failed'") == 1)
        // After 31 days: the emails of the expired and the failed order, with a history row each.
        let month = Self.retention(h, days: 31).runOnce()
        #expect(month.orderEmails == 2 && month.eventPayloads == 0, "\(month)")
        #expect(try h.order(ids.expired).customerEmail == nil)
        #expect(try h.order(ids.failed).customerEmail == nil)
        #expect(try h.order(ids.paid).customerEmail == "paid@example.com")
        #expect(try h.order(ids.pending).customerEmail == "pending@example.com")
        #expect(try h.order(ids.expired).state.status == .expired, "redaction changes no status")
        #expect(
            try h.count(
                "SELECT count(*)::int AS n FROM order_history WHERE actor = 'system:retention' AND order_id = $1",
                [ids.expired]) == 1)
        // After 91 days: every payload, while id, type and result stay.
        let quarter = Self.retention(h, days: 91).runOnce()
        #expect(quarter.eventPayloads == events && quarter.orderEmails == 0, "\(quarter)")
        #expect(try h.count("SELECT count(*)::int AS n FROM stripe_events WHERE payload IS NOT NULL") == 0)
        #expect(
            try h.count(
                "SELECT count(*)::int AS n FROM stripe_events WHERE event_id <> '' AND type <> '' AND result <> ''")
                == events)
        // A second pass finds nothing left.
        #expect(Self.retention(h, days: 91).runOnce() == RetentionReport())
    }

    @Test("a redelivered event whose payload was dropped is still a duplicate")
    func ledgerSurvives() throws {
        let h = try CheckoutHarness()
        try h.product("sku_ledger")
        let paid = try h.checkout([("sku_ledger", 1)])
        let result = try h.simulator.pay(sessionID: paid.id)
        try h.deliverAll(result)
        #expect(Self.retention(h, days: 91).runOnce().eventPayloads == result.events.count)
        for outcome in try h.deliverAll(result) {
            if case .duplicate = outcome {} else { Issue.record("expected a duplicate, got \(outcome)") }
        }
        #expect(try h.order(paid.orderID).state.paymentStatus == .paid)
    }

    @Test("only one instance works at a time: a pass skips while another holds the lock")
    func advisoryLock() throws {
        let h = try CheckoutHarness()
        _ = try Self.orders(h)
        let locked = DispatchSemaphore(value: 0)
        let release = DispatchSemaphore(value: 0)
        let finished = DispatchSemaphore(value: 0)
        let pool = h.pool
        Thread.detachNewThread {
            try? pool.transaction { db in
                try db.execute("SELECT pg_advisory_xact_lock($1)", [Retention.lockKey])
                locked.signal()
                _ = release.wait(timeout: .now() + 30)
            }
            finished.signal()
        }
        #expect(locked.wait(timeout: .now() + 10) == .success)
        let skipped = Self.retention(h, days: 91).runOnce()
        release.signal()
        #expect(skipped.skipped && skipped.orderEmails == 0 && skipped.eventPayloads == 0)
        // The holder's transaction (and with it the lock) ends only after release; wait for that.
        #expect(finished.wait(timeout: .now() + 10) == .success)
        let after = Self.retention(h, days: 91).runOnce()
        #expect(!after.skipped && after.orderEmails == 2)
    }

    @Test("concurrent passes remove every old row exactly once, in bounded batches")
    func concurrentPasses() throws {
        let h = try CheckoutHarness()
        try h.pool.withConnection { db in
            try db.execute(
                """
                INSERT INTO outbox_jobs (kind, status, dedupe_key)
                SELECT 'test', 'done', 'bulk:' || n FROM generate_series(1, 450) AS n
                """)
        }
        // Unlocked runs of the step itself (as if the lock were per statement) racing each other.
        let removed = concurrently(4) { _ in
            (try? h.pool.transaction { db in
                var total = 0
                while true {
                    let n = try OutboxStore().deleteDone(
                        db, finishedBefore: Date().addingTimeInterval(8 * Self.day), limit: 50)
                    total += n
                    if n == 0 { return total }
                }
            }) ?? -1
        }
        #expect(removed.reduce(0, +) == 450, "\(removed)")
        #expect(try h.count("SELECT count(*)::int AS n FROM outbox_jobs WHERE kind = 'test'") == 0)
        // A full pass in batches of 100 with at most 20 batches per step.
        try h.pool.withConnection { db in
            try db.execute(
                """
                INSERT INTO outbox_jobs (kind, status, dedupe_key)
                SELECT 'test', 'done', 'again:' || n FROM generate_series(1, 250) AS n
                """)
        }
        let pass = Self.retention(h, days: 8, batchSize: 100).runOnce()
        #expect(pass.outboxJobs == 250)
    }

    @Test("an unpaid order locked by a payment in flight is skipped, and once paid keeps its email")
    func latePaymentWins() throws {
        let h = try CheckoutHarness()
        let ids = try Self.orders(h)
        let locked = DispatchSemaphore(value: 0)
        let proceed = DispatchSemaphore(value: 0)
        let done = DispatchSemaphore(value: 0)
        let pool = h.pool
        let expired = ids.expired
        // A payment for the expired order in flight: row locked, then marked paid by an admin.
        Thread.detachNewThread {
            try? pool.transaction { db in
                let order = try OrderStore().order(db, id: expired, forUpdate: true)!
                locked.signal()
                _ = proceed.wait(timeout: .now() + 30)
                _ = try OrderTransitions().apply(
                    db, order: order,
                    event: .markPaid(
                        note: "bank transfer", actor: "admin:test", expiredSessionID: order.state.currentSessionID),
                    actor: "admin:test")
            }
            done.signal()
        }
        #expect(locked.wait(timeout: .now() + 10) == .success)
        let during = Self.retention(h, days: 31).runOnce()
        proceed.signal()
        #expect(done.wait(timeout: .now() + 30) == .success)
        #expect(during.orderEmails == 1, "only the failed order: the locked one is skipped")
        #expect(try h.order(expired).state.paymentStatus == .paid)
        #expect(Self.retention(h, days: 31).runOnce().orderEmails == 0)
        #expect(try h.order(expired).customerEmail == "expired@example.com")
    }
}
