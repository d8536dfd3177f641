import Foundation
import Postgres
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
