import Checkout
import CheckoutAPI
import Foundation
import Logging
import Postgres
import Stripe
import Testing
import TestSupport

/// The reconciler against real Postgres and `stripe-sim` with webhook deliveries held back (so the
/// only way the orders learn what happened at Stripe is the reconciler).
@Suite("Reconciler (real Postgres, stripe-sim with held webhooks)")
struct ReconcilerTests {
    @Test("one pass repairs missed webhooks, stranded stock and sessionless orders; a second pass changes nothing")
    func repairs() throws {
        let s = try Stack.start()
        defer { s.stop() }
        try s.product("sku_r", amount: 900, stock: 10)
        s.sim.holdDeliveries()

        let paid = try s.createdCheckout([("sku_r", 1)])
        _ = try s.sim.pay(sessionID: paid.session)  // its checkout.session.completed never arrives
        let expired = try s.createdCheckout([("sku_r", 1)])
        _ = try s.sim.expire(sessionID: expired.session)
        let open = try s.createdCheckout([("sku_r", 1)])
        let stranded = try s.createdCheckout([("sku_r", 1)])
        try s.db.withConnection { db in
            // A failed order that (through some bug or hand edit) still holds its stock.
            _ = try db.execute(
                "UPDATE orders SET status = 'failed', payment_status = 'failed' WHERE id = $1::uuid", [stranded.order])
        }
        s.sim.injectFault(.status(500), count: 3)
        let noSession = try s.checkout([("sku_r", 1)])
        #expect(noSession.status == 503)
        let noSessionID = try #require(((try noSession.json())["error"] as? [String: Any])?["orderId"] as? String)
        try s.db.withConnection { db in
            _ = try db.execute(
                "UPDATE orders SET updated_at = now() - interval '2 hours' WHERE id = $1::uuid", [noSessionID])
        }
        #expect(try s.count("SELECT stock::bigint AS n FROM products WHERE id = 'sku_r'") == 5)

        let pool = s.app.database.pool(max: 3)
        defer { pool.close() }
        let logs = LogSink.memory()
        let logger = s.app.config.makeLogger(label: "reconciler.test", sink: logs)
        let stripe = StripeClient(secretKey: AppHarness.stripeKey, apiBase: URL(string: s.sim.baseURL)!, maxRetries: 0)
        let service = CheckoutService(
            pool: pool, gateway: stripe, configuration: CheckoutConfiguration(sessionTTL: 3600), logger: logger)
        let reconciler = Reconciler(
            service: service, configuration: .init(staleAfter: 0), logger: logger)

        let report = reconciler.runOnce()
        #expect(report.errors.isEmpty, "\(report.errors)")
        #expect(!report.skipped)
        #expect(report.ordersChecked == 4)  // paid, expired, open, sessionless
        let byOrder = Dictionary(report.changes.map { ($0.orderID, $0) }, uniquingKeysWith: { a, _ in a })
        #expect(report.changes.count == 4, "\(report.lines)")
        #expect(byOrder[paid.order]?.action == "session_synced")
        #expect(byOrder[paid.order]?.to == "paid/paid/pending")
        #expect(byOrder[expired.order]?.action == "session_synced")
        #expect(byOrder[expired.order]?.to == "expired/expired/not_attempted")
        #expect(byOrder[stranded.order]?.action == "stock_released")
        #expect(byOrder[noSessionID]?.action == "reservation_expired")
        #expect(byOrder[noSessionID]?.to == "expired/expired/not_attempted")
        #expect(byOrder[open.order] == nil)

        #expect(try s.adminOrder(paid.order)["paymentStatus"] as? String == "paid")
        #expect(try s.adminOrder(expired.order)["status"] as? String == "expired")
        #expect(try s.adminOrder(open.order)["status"] as? String == "pending_payment")
        #expect(try s.adminOrder(noSessionID)["status"] as? String == "expired")
        let history = (try s.adminOrder(paid.order)["history"] as? [[String: Any]]) ?? []
        #expect(history.contains { $0["actor"] as? String == "system:reconciler" })
        // Released: expired, stranded, sessionless (3); still held: open; consumed: paid.
        #expect(try s.count("SELECT stock::bigint AS n FROM products WHERE id = 'sku_r'") == 8)
        #expect(report.lines.first?.hasPrefix("reconcile: checked 4 pending order(s), 4 change(s)") == true)
        #expect(logs.lines.filter { $0.contains("\"msg\":\"reconciler changed an order\"") }.count == 4)

        let again = reconciler.runOnce()
        #expect(again.changes.isEmpty && again.errors.isEmpty, "\(again.lines)")
        #expect(try s.count("SELECT stock::bigint AS n FROM products WHERE id = 'sku_r'") == 8)
    }

    @Test("only one instance reconciles at a time: a pass finding the advisory lock taken is skipped")
    func advisoryLock() throws {
        let database = try TestDatabase.create()
        defer { database.drop() }
        let pool = database.pool(max: 3)
        defer { pool.close() }
        let holder = try Connection(url: database.url)
        try holder.execute("SELECT pg_advisory_lock($1)", [Reconciler.lockKey])
        let stripe = StripeClient(secretKey: "sk_test_unused_0123456789", apiBase: URL(string: "http://127.0.0.1:9")!)
        let service = CheckoutService(
            pool: pool, gateway: stripe, configuration: CheckoutConfiguration(), logger: Logger(label: "t"))
        let reconciler = Reconciler(service: service, configuration: .init(), logger: Logger(label: "t"))
        let skipped = reconciler.runOnce(lockWait: .milliseconds(300))
        #expect(skipped.skipped)
        #expect(skipped.lines == ["reconcile: skipped (another instance is reconciling)"])
        try holder.execute("SELECT pg_advisory_unlock($1)", [Reconciler.lockKey])
        let ran = reconciler.runOnce()
        #expect(!ran.skipped && ran.errors.isEmpty && ran.changes.isEmpty)
    }
}

extension ReconcilerTests {
    @Test("serve runs the reconciler in the background: a missed completed webhook heals by itself")
    func periodic() throws {
        let s = try Stack.start {
            OutboxWorkerTests.fast(&$0, supplier: nil, slack: nil)
            $0.reconcileInterval = 1  // below the env minimum of 10 s, for the test only
            $0.reconcileStaleAfter = 0
        }
        defer { s.stop() }
        try s.product("sku_bg", amount: 500)
        s.sim.holdDeliveries()
        let (session, orderID) = try s.createdCheckout([("sku_bg", 1)])
        _ = try s.sim.pay(sessionID: session)
        let order = try s.waitForOrder(orderID, "confirmed") { $0["status"] as? String == "confirmed" }
        let history = (order["history"] as? [[String: Any]]) ?? []
        #expect(history.contains { $0["actor"] as? String == "system:reconciler" && $0["status"] as? String == "paid" })
        let metrics = try PrometheusExposition.parse(try s.app.request("GET", "/metrics").text)
        #expect((metrics.value("reconcile_changes_total", ["action": "session_synced"]) ?? 0) >= 1)
        #expect((metrics.value("reconcile_passes_total", ["result": "ok"]) ?? 0) >= 1)
    }

    @Test("fulfillment a crash left pending: a failed job's failure is recorded once, a done job is run again")
    func healFulfillment() throws {
        let s = try Stack.start { OutboxWorkerTests.fast(&$0, supplier: nil, slack: nil) }
        defer { s.stop() }
        let failedOrder = UUID().uuidString.lowercased()
        let doneOrder = UUID().uuidString.lowercased()
        try s.db.transaction { db in
            try db.execute(
                "INSERT INTO products (id, title, unit_amount, currency, stock) VALUES ('heal', 'Heal', 4200, 'eur', 5)"
            )
            for (id, job, error) in [(failedOrder, "failed", "supplier answered HTTP 500"), (doneOrder, "done", nil)] {
                // A paid order as the domain leaves it: its manual payment and its committed unit.
                try db.execute(
                    """
                    INSERT INTO orders (id, order_number, status, payment_status, fulfillment_status, currency,
                                        amount_total, amount_received, stock_reserved, updated_at)
                    VALUES ($1::uuid, next_order_number('H'), 'paid', 'paid', 'pending', 'eur', 4200, 4200, true,
                            now() - interval '5 minutes')
                    """, [id])
                try db.execute(
                    """
                    INSERT INTO order_items (order_id, line_no, product_id, title, unit_amount, quantity, amount_total)
                    VALUES ($1::uuid, 0, 'heal', 'Heal', 4200, 1, 4200)
                    """, [id])
                try db.execute(
                    """
                    INSERT INTO payments (order_id, kind, amount, currency, status) VALUES ($1::uuid, 'manual', 4200, 'eur', 'succeeded')
                    """, [id])
                try db.execute(
                    """
                    INSERT INTO stock_reservations (order_id, product_id, quantity, status, limited, stock_epoch)
                    VALUES ($1::uuid, 'heal', 1, 'committed', true, 0)
                    """, [id])
                try db.execute(
                    """
                    INSERT INTO outbox_jobs (kind, order_id, payload, dedupe_key, status, attempts, last_error, updated_at)
                    VALUES ('fulfill', $1::uuid, '{}'::jsonb, 'fulfill:' || $1, $2, 8, $3, now() - interval '5 minutes')
                    """, [id, job, error])
            }
        }
        let pool = s.app.database.pool(max: 3)
        defer { pool.close() }
        let stripe = StripeClient(secretKey: AppHarness.stripeKey, apiBase: URL(string: s.sim.baseURL)!, maxRetries: 0)
        let service = CheckoutService(
            pool: pool, gateway: stripe, configuration: CheckoutConfiguration(), logger: Logger(label: "t"))
        let reconciler = Reconciler(service: service, configuration: .init(), logger: Logger(label: "t"))
        let report = reconciler.runOnce()
        #expect(report.errors.isEmpty, "\(report.errors)")
        let actions = Dictionary(report.changes.map { ($0.orderID, $0.action) }, uniquingKeysWith: { a, _ in a })
        #expect(actions == [failedOrder: "fulfillment_failure_recorded", doneOrder: "fulfillment_requeued"])

        let failed = try s.adminOrder(failedOrder)
        #expect(failed["fulfillmentStatus"] as? String == "failed")
        #expect(failed["needsAttention"] as? Bool == true)
        #expect((failed["fulfillmentError"] as? String)?.contains("HTTP 500") == true)
        try s.waitForOrder(doneOrder, "confirmed") { $0["status"] as? String == "confirmed" }
        try OutboxWorkerTests.waitIdle(s, kind: "notify")
        #expect(
            try s.count(
                "SELECT count(*)::bigint AS n FROM outbox_jobs WHERE dedupe_key = $1",
                ["notify:needs_attention:\(failedOrder)"]) == 1)
        // Nothing left to heal: a second pass changes nothing.
        #expect(reconciler.runOnce().changes.isEmpty)
    }
}
