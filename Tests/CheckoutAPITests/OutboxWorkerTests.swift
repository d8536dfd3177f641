import Checkout
import CheckoutAPI
import Foundation
import Logging
import Postgres
import Stripe
import Synchronization
import Testing
import TestSupport

/// The outbox worker inside a real server: real Postgres, `stripe-sim` over sockets, and local HTTP
/// receivers standing in for the fulfillment supplier and Slack.
@Suite("Outbox worker: fulfillment and notifications (real server, real receivers)")
struct OutboxWorkerTests {
    /// Fast worker settings so retries take milliseconds.
    static func fast(_ c: inout AppConfig, supplier: Receiver?, slack: Receiver?, maxAttempts: Int = 5) {
        c.fulfillmentWebhookURL = supplier?.url
        c.notifyWebhookURL = slack.map { Secret($0.url.absoluteString) }
        c.outboxPollInterval = 0.05
        c.outboxBackoffBase = 0.05
        c.outboxBackoffMax = 0.2
        c.outboxMaxAttempts = maxAttempts
        // Generous: on a loaded 2-core machine a slow answer must not turn into an extra attempt.
        c.outboxHTTPTimeout = 10
        c.outboxLeaseSeconds = 15
        c.publicBaseURL = "https://ops.shop.test"
    }

    /// Creates a checkout for 2 × 12.50 EUR and pays it at the simulator; returns (session, order id).
    static func paidOrder(_ s: Stack) throws -> (String, String) {
        try s.product("sku_mug", amount: 1250, stock: 10)
        let (session, order) = try s.createdCheckout([("sku_mug", 2)])
        _ = try s.sim.pay(sessionID: session)
        return (session, order)
    }

    /// Waits until no job of `kind` is left to run.
    static func waitIdle(_ s: Stack, kind: String) throws {
        let idle = try eventually(timeout: .seconds(20)) {
            try s.count(
                "SELECT count(*)::bigint AS n FROM outbox_jobs WHERE kind = $1 AND status IN ('pending', 'running')",
                [kind]) == 0
        }
        #expect(idle, "\(kind) jobs never finished")
    }

    @Test(
        "a supplier that fails twice then succeeds: confirmed/success, reference stored, 3 attempts, one confirmation")
    func failTwiceThenSucceed() throws {
        let supplier = try Receiver { n, _ in
            n < 2 ? .respond(n == 0 ? 500 : 503, #"{"error":"busy"}"#) : .respond(200, #"{"reference":"SUP-777"}"#)
        }
        let slack = try Receiver.always(200, body: "\"ok\"")
        defer {
            supplier.stop()
            slack.stop()
        }
        let s = try Stack.start { Self.fast(&$0, supplier: supplier, slack: slack) }
        defer { s.stop() }
        let (_, orderID) = try Self.paidOrder(s)

        let order = try s.waitForOrder(orderID, "confirmed") { $0["status"] as? String == "confirmed" }
        #expect(order["paymentStatus"] as? String == "paid")
        #expect(order["fulfillmentStatus"] as? String == "success")
        #expect(order["fulfillmentReference"] as? String == "SUP-777")
        #expect(order["fulfillmentError"] is NSNull)
        #expect(order["needsAttention"] as? Bool == false)

        // Three deliveries of the same order with the same Idempotency-Key; the admin order shape
        // without sessions/events/history.
        let deliveries = supplier.deliveries
        #expect(deliveries.count == 3)
        #expect(deliveries.allSatisfy { $0.header("Idempotency-Key") == "fulfill:\(orderID)" })
        #expect(deliveries.allSatisfy { $0.header("Content-Type")?.hasPrefix("application/json") == true })
        let body = deliveries[0].json
        #expect(body["id"] as? String == orderID)
        #expect(body["amountTotal"] as? Int == 2500)
        #expect(body["status"] as? String == "paid")
        #expect((body["items"] as? [[String: Any]])?.first?["productId"] as? String == "sku_mug")
        #expect(body["events"] == nil && body["history"] == nil && body["sessions"] == nil)
        #expect(
            try s.count("SELECT attempts::bigint AS n FROM outbox_jobs WHERE dedupe_key = $1", ["fulfill:\(orderID)"])
                == 3)
        #expect(
            try s.count(
                "SELECT count(*)::bigint AS n FROM outbox_jobs WHERE dedupe_key = $1 AND status = 'done'",
                ["fulfill:\(orderID)"]) == 1)

        // Exactly one "order confirmed" notification, with number, amount and admin link.
        try Self.waitIdle(s, kind: "notify")
        #expect(slack.deliveries.count == 1)
        let text = try #require(slack.deliveries.first?.json["text"] as? String)
        let number = try #require(order["orderNumber"] as? String)
        #expect(text.contains("Order \(number) (25.00 EUR) confirmed, fulfillment reference SUP-777"))
        #expect(text.contains("<https://ops.shop.test/admin/#/orders/\(orderID)|Open in admin>"))
        #expect(s.app.app.metrics.background.jobCount(kind: "fulfill", outcome: "retry") == 2)
        #expect(s.app.app.metrics.background.jobCount(kind: "fulfill", outcome: "done") == 1)
        let history = (order["history"] as? [[String: Any]]) ?? []
        #expect(
            history.contains {
                $0["actor"] as? String == "system:fulfillment" && $0["status"] as? String == "confirmed"
            })
        // One log line per job run: two retries and one done for the fulfill job.
        let jobLines = s.app.logs.lines.filter {
            $0.contains("\"kind\":\"fulfill\"") && $0.contains("\"msg\":\"outbox job")
        }
        #expect(jobLines.count == 3, "\(jobLines)")
    }

    @Test(
        "a supplier that always fails: fulfillment failed, needs attention, exactly one notification; retry-fulfillment re-runs it"
    )
    func alwaysFails() throws {
        let healthy = Atomic<Bool>(false)
        let supplier = try Receiver { _, _ in
            healthy.load(ordering: .acquiring) ? .respond(201, #"{"reference":"LATE-1"}"#) : .respond(502, "{}")
        }
        let slack = try Receiver.always(200, body: "\"ok\"")
        defer {
            supplier.stop()
            slack.stop()
        }
        let s = try Stack.start { Self.fast(&$0, supplier: supplier, slack: slack, maxAttempts: 3) }
        defer { s.stop() }
        let (_, orderID) = try Self.paidOrder(s)

        let order = try s.waitForOrder(orderID, "fulfillment failed") { $0["fulfillmentStatus"] as? String == "failed" }
        #expect(order["status"] as? String == "paid")
        #expect(order["needsAttention"] as? Bool == true)
        let error = try #require(order["fulfillmentError"] as? String)
        #expect(error.contains("HTTP 502") && error.contains("gave up after 3 attempts"), "\(error)")
        #expect(supplier.deliveries.count == 3)
        #expect(
            try s.count(
                "SELECT count(*)::bigint AS n FROM outbox_jobs WHERE dedupe_key = $1 AND status = 'failed' AND attempts = 3",
                ["fulfill:\(orderID)"]) == 1)

        try Self.waitIdle(s, kind: "notify")
        #expect(slack.deliveries.count == 1)
        let text = try #require(slack.deliveries.first?.json["text"] as? String)
        let number = try #require(order["orderNumber"] as? String)
        #expect(
            text.contains(
                ":warning: Order \(number) (25.00 EUR) needs attention: fulfillment failed: supplier answered HTTP 502")
        )
        #expect(text.contains("https://ops.shop.test/admin/#/orders/\(orderID)"))
        #expect(try s.count("SELECT count(*)::bigint AS n FROM outbox_jobs WHERE kind = 'notify'") == 1)
        let metrics = try s.app.request("GET", "/metrics").text
        #expect(metrics.contains("orders_needing_attention 1"))
        #expect(metrics.contains(#"outbox_jobs_processed_total{kind="fulfill",outcome="failed"} 1"#))
        #expect(metrics.contains(#"outbox_jobs{status="failed"} 1"#))

        // The operator fixes the supplier and retries: the worker picks the revived job up.
        healthy.store(true, ordering: .releasing)
        let retry = try s.app.admin("POST", "/api/admin/orders/\(orderID)/retry-fulfillment")
        #expect(retry.status == 200, "\(retry.text)")
        let confirmed = try s.waitForOrder(orderID, "confirmed") { $0["status"] as? String == "confirmed" }
        #expect(confirmed["needsAttention"] as? Bool == false)
        #expect(confirmed["fulfillmentReference"] as? String == "LATE-1")
        try Self.waitIdle(s, kind: "notify")
        #expect(slack.deliveries.count == 2)
        #expect((slack.deliveries.last?.json["text"] as? String)?.contains("confirmed") == true)
    }

    @Test("no FULFILLMENT_WEBHOOK_URL: fulfilled at once; no NOTIFY_WEBHOOK_URL: the notification is logged only")
    func unsetURLs() throws {
        let s = try Stack.start { Self.fast(&$0, supplier: nil, slack: nil) }
        defer { s.stop() }
        let (_, orderID) = try Self.paidOrder(s)
        let order = try s.waitForOrder(orderID, "confirmed") { $0["status"] as? String == "confirmed" }
        #expect(order["fulfillmentStatus"] as? String == "success")
        #expect(order["fulfillmentReference"] is NSNull)
        try Self.waitIdle(s, kind: "notify")
        let line = s.app.logs.lines.first { $0.contains("NOTIFY_WEBHOOK_URL unset") }
        #expect(line?.contains("order_confirmed") == true, "\(s.app.logs.lines.suffix(5))")
        #expect(line?.contains(try #require(order["orderNumber"] as? String)) == true)
    }

    @Test("graceful stop lets the job in flight finish and record its result")
    func stopFinishesJob() throws {
        let arrived = Atomic<Int>(0)
        let supplier = try Receiver { _, _ in
            arrived.add(1, ordering: .relaxed)
            Thread.sleep(forTimeInterval: 0.4)
            return .respond(200, #"{"reference":"SLOW-1"}"#)
        }
        defer { supplier.stop() }
        let s = try Stack.start { Self.fast(&$0, supplier: supplier, slack: nil) }
        defer { s.stop() }
        let (_, orderID) = try Self.paidOrder(s)
        #expect(supplier.waitFor(1))
        s.app.running.stop()  // HTTP drains, then the worker waits for the supplier's answer
        let workerLog = s.app.logs.lines.filter { $0.contains("outbox") || $0.contains("error") }
        #expect(
            try s.count(
                "SELECT count(*)::bigint AS n FROM outbox_jobs WHERE dedupe_key = $1 AND status = 'done'",
                ["fulfill:\(orderID)"]) == 1, "\(workerLog)")
        #expect(
            try s.count(
                "SELECT count(*)::bigint AS n FROM orders WHERE id = $1::uuid AND status = 'confirmed' AND fulfillment_reference = 'SLOW-1'",
                [orderID]) == 1)
        #expect(s.app.logs.lines.contains { $0.contains("\"msg\":\"outbox worker stopped\"") })
        #expect(arrived.load(ordering: .relaxed) == 1)
    }
}

extension OutboxWorkerTests {
    @Test("an order fully refunded before its fulfillment ran is not sent to the supplier (worker drained by hand)")
    func refundedBeforeFulfillment() throws {
        let supplier = try Receiver.always(200)
        defer { supplier.stop() }
        let s = try Stack.start {
            Self.fast(&$0, supplier: supplier, slack: nil)
            $0.outboxConcurrency = 0  // no background worker: this test drives one itself
        }
        defer { s.stop() }
        let (session, orderID) = try Self.paidOrder(s)
        try s.waitForOrder(orderID, "paid") { $0["status"] as? String == "paid" }
        _ = try s.sim.refund(sessionID: session)
        try s.waitForOrder(orderID, "refunded") { $0["status"] as? String == "refunded" }

        let pool = s.app.database.pool(max: 2)
        defer { pool.close() }
        let logger = Logger(label: "t")
        let stripe = StripeClient(secretKey: AppHarness.stripeKey, apiBase: URL(string: s.sim.baseURL)!)
        let service = CheckoutService(
            pool: pool, gateway: stripe, configuration: CheckoutConfiguration(), logger: logger)
        let worker = OutboxWorker(
            pool: pool, configuration: OutboxWorkerConfiguration(instanceID: "test"),
            handlers: [FulfillmentJob(service: service, url: supplier.url, timeout: 2, logger: logger)],
            logger: logger)
        #expect(worker.drain() == 1)
        #expect(supplier.deliveries.isEmpty)
        let order = try s.adminOrder(orderID)
        #expect(order["status"] as? String == "refunded")
        #expect(order["fulfillmentStatus"] as? String == "failed")
        #expect((order["fulfillmentError"] as? String)?.contains("refunded before fulfillment") == true)
        #expect(order["needsAttention"] as? Bool == false)
        #expect(
            try s.count(
                "SELECT count(*)::bigint AS n FROM outbox_jobs WHERE dedupe_key = $1 AND status = 'done'",
                ["fulfill:\(orderID)"]) == 1)
    }
}
