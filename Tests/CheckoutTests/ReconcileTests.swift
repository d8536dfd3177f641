import Foundation
import Logging
import Postgres
import Synchronization
import Testing

@testable import Checkout

@Suite("CheckoutService: reconciler pass")
struct ReconcileTests {
    @Test("repairs a lost completed webhook and a lost expiry; expires a reservation that never got a session")
    func reconcile() throws {
        let h = try CheckoutHarness()
        try h.product("p", stock: 10)
        let paid = try h.checkout([("p", 1)])
        _ = try h.simulator.pay(sessionID: paid.id)  // webhook lost
        let expired = try h.checkout([("p", 2)])
        _ = try h.simulator.expire(sessionID: expired.id)  // webhook lost
        let open = try h.checkout([("p", 1)])
        h.simulator.injectFault(.status(500), count: 1)
        var orphan: UUID?
        do {
            _ = try h.checkout([("p", 3)])
        } catch let error as CheckoutError {
            orphan = error.orderID
        }
        let orphanID = try #require(orphan, "Stripe failed: the order is kept without a session")
        #expect(try h.stock("p") == 3)

        // Nothing is stale yet.
        #expect(try h.service.reconcilePendingOrders(staleSeconds: 300).isEmpty)
        try h.pool.withConnection { db in
            try db.execute(
                "UPDATE orders SET session_checked_at = now() - interval '1 hour', updated_at = now() - interval '2 hours'"
            )
        }
        let results = try h.service.reconcilePendingOrders(staleSeconds: 300)
        let byOrder = Dictionary(uniqueKeysWithValues: results.map { ($0.orderID, $0.result) })
        #expect(byOrder[paid.orderID] == "applied")
        #expect(byOrder[expired.orderID] == "applied")
        #expect(byOrder[open.orderID] == "unchanged")
        #expect(byOrder[orphanID] == "applied")
        #expect(try h.order(paid.orderID).state.status == .paid)
        #expect(try h.order(expired.orderID).state.status == .expired)
        #expect(try h.order(open.orderID).state.status == .pendingPayment)
        #expect(try h.order(orphanID).state.status == .expired)
        #expect(try h.stock("p") == 8, "the expired and the orphan gave their 5 units back")
        #expect(try h.count("SELECT count(*)::int AS n FROM order_history WHERE actor = 'system:reconciler'") == 3)
        // Just checked: a second pass claims nothing.
        #expect(try h.service.reconcilePendingOrders(staleSeconds: 300).isEmpty)
    }

    @Test("a session Stripe no longer knows (404) ends the order expired once its TTL passed, releasing stock")
    func missingSessionExpires() throws {
        let h = try CheckoutHarness()
        try h.product("p", stock: 5)
        let young = try h.checkout([("p", 1)])
        let old = try h.checkout([("p", 2)])
        h.simulator.reset()  // Stripe forgets both sessions
        try h.pool.withConnection { db in
            try db.execute("UPDATE orders SET session_checked_at = now() - interval '1 hour'")
            try db.execute(
                "UPDATE orders SET updated_at = now() - interval '3 hours' WHERE id = $1", [old.orderID])
        }
        let results = try h.service.reconcilePendingOrders(staleSeconds: 300)
        let byOrder = Dictionary(uniqueKeysWithValues: results.map { ($0.orderID, $0.result) })
        #expect(byOrder[old.orderID] == "applied")
        #expect(byOrder[young.orderID] == "error", "within its TTL a 404 may be a transient mix-up")
        let expired = try h.order(old.orderID)
        #expect(expired.state.status == .expired && !expired.state.stockReserved)
        #expect(try h.stock("p") == 4, "the old order's 2 units are back")
    }

    @Test("a pass stops asking Stripe after 3 unavailable answers in a row; the rest is skipped, not dropped")
    func circuitBreaker() throws {
        let h = try CheckoutHarness()
        try h.product("p")
        for _ in 0..<6 { _ = try h.checkout([("p", 1)]) }
        try h.pool.withConnection { db in
            try db.execute("UPDATE orders SET session_checked_at = now() - interval '1 hour'")
        }
        h.simulator.injectFault(.status(500), count: 10)
        let before = h.simulator.requests().filter { $0.method == "GET" }.count
        let results = try h.service.reconcilePendingOrders(staleSeconds: 300)
        let gets = h.simulator.requests().filter { $0.method == "GET" }.count - before
        #expect(gets == 3, "\(results)")
        #expect(results.count == 6)
        #expect(results.filter { $0.result == "error" }.count == 3)
        #expect(results.filter { $0.result == "skipped" }.count == 3)
    }

    @Test("a cancelled reconciler stops between orders: shutdown does not wait for a batch of Stripe calls")
    func cancelStopsBetweenOrders() throws {
        let h = try CheckoutHarness()
        try h.product("p")
        for _ in 0..<4 { _ = try h.checkout([("p", 1)]) }
        try h.pool.withConnection { db in
            try db.execute("UPDATE orders SET session_checked_at = now() - interval '1 hour'")
        }
        let before = h.simulator.requests().filter { $0.method == "GET" }.count
        let calls = Mutex(0)
        let results = try h.service.reconcilePendingOrders(
            staleSeconds: 300,
            shouldStop: {
                calls.withLock {
                    $0 += 1; return $0 > 1
                }
            })
        #expect(h.simulator.requests().filter { $0.method == "GET" }.count - before == 1)
        #expect(results.filter { $0.result == "skipped" }.count == 3)

        try h.pool.withConnection { db in
            try db.execute("UPDATE orders SET session_checked_at = now() - interval '1 hour'")
        }
        let reconciler = Reconciler(
            service: h.service, configuration: .init(staleAfter: 300), logger: Logger(label: "test"))
        reconciler.cancel()
        let report = reconciler.runOnce()
        #expect(h.simulator.requests().filter { $0.method == "GET" }.count - before == 1, "\(report)")
        #expect(report.errors.isEmpty)
    }

    @Test("a reservation expiry rechecks the order's age under the lock: a retry in between is left alone")
    func reservationExpiryRechecksAge() throws {
        let h = try CheckoutHarness()
        try h.product("p", stock: 3)
        h.simulator.injectFault(.status(503), count: 1)
        var orphan: UUID?
        do {
            _ = try h.checkout([("p", 1)])
        } catch let error as CheckoutError {
            orphan = error.orderID
        }
        let id = try #require(orphan)
        try h.pool.withConnection { db in
            try db.execute(
                "UPDATE orders SET session_checked_at = now() - interval '1 hour', updated_at = now() - interval '2 hours'"
            )
        }
        // The pass reads the order (old), then — before it locks the row — the order changes (as a
        // retry-session would: updated_at = now()). The clock's first reading is the moment in between.
        let pool = h.pool
        let armed = Mutex(true)
        let service = CheckoutService(
            pool: h.pool, gateway: h.client, configuration: CheckoutConfiguration(publicOrigin: "http://shop.test"),
            logger: Logger(label: "test"),
            now: {
                if armed.withLock({
                    let was = $0; $0 = false; return was
                }) {
                    _ = try? pool.withConnection { db in
                        try db.execute("UPDATE orders SET updated_at = now() WHERE id = $1", [id])
                    }
                }
                return Date()
            })
        let results = try service.reconcilePendingOrders(staleSeconds: 300)
        #expect(results.map(\.result) == ["unchanged"], "\(results)")
        let order = try h.order(id)
        #expect(order.state.status == .pendingPayment && order.state.stockReserved)
        #expect(try h.stock("p") == 2)
    }

    @Test("a session applied outside the webhook path (reconciler, sync) is cross-checked for its currency")
    func appliedSessionCurrencyChecked() throws {
        let h = try CheckoutHarness()
        try h.product("p", amount: 1250)
        let checkout = try h.checkout([("p", 1)])
        let paidInEuros = PaymentSession(
            id: checkout.id, url: nil, status: .complete, paymentStatus: .paid, paymentIntentID: "pi_eur",
            amountTotal: 1250, metadata: ["order_id": checkout.orderID.uuidString.lowercased()], expiresAt: nil,
            currency: "eur")
        try h.service.apply(session: paidInEuros, orderID: checkout.orderID, actor: "system:reconciler")
        let order = try h.order(checkout.orderID)
        #expect(order.state.status == .paid && order.state.fulfillmentStatus == .failed)
        #expect(order.state.needsAttention && order.state.attentionReason?.contains("currency eur") == true)
        #expect(
            try h.count(
                "SELECT count(*)::int AS n FROM outbox_jobs WHERE kind = 'fulfill' AND order_id = $1",
                [
                    checkout.orderID
                ]) == 0)
    }

    @Test("concurrent passes never check one order twice")
    func concurrentPasses() throws {
        let h = try CheckoutHarness(poolSize: 10)
        try h.product("p")
        for _ in 0..<6 { _ = try h.checkout([("p", 1)]) }
        try h.pool.withConnection { db in
            try db.execute("UPDATE orders SET session_checked_at = now() - interval '1 hour'")
        }
        let before = h.simulator.requests().filter { $0.method == "GET" }.count
        let passes = concurrently(4) { _ in (try? h.service.reconcilePendingOrders(staleSeconds: 300, limit: 2)) ?? [] }
        let checked = passes.flatMap { $0 }.map(\.orderID)
        #expect(Set(checked).count == checked.count, "no order claimed by two passes")
        #expect(h.simulator.requests().filter { $0.method == "GET" }.count - before == checked.count)
    }
}
