import CheckoutAPI
import Foundation
import Stripe
import Testing
import TestSupport

/// Outbound order webhooks end to end: a real checkoutd (in-process, port 0), stripe-sim, and a receiver
/// process that checks every `Checkout-Signature` with the README's verification snippet.
@Suite("order webhooks")
struct OrderWebhookTests {
    static let secret = "order-webhook-secret-0123456789"

    static func start(url: URL) throws -> Stack {
        try Stack.start { config in
            config.outbound.orderWebhookURL = url
            config.outbound.orderWebhookSecret = Secret(secret)
            config.outboxPollInterval = 0.05
            config.outboxBackoffBase = 0.05
            config.outboxBackoffMax = 0.2
        }
    }

    @Test("pay, fulfil, refund: order.paid, order.confirmed, order.refunded, each signed, once, with its snapshot")
    func paidConfirmedRefunded() throws {
        let receiver = try ScriptServer(
            script: "tests/webhooks/receiver.py", arguments: [Self.secret, "deliveries.jsonl"])
        defer { receiver.stop() }
        let s = try Self.start(url: URL(string: "http://127.0.0.1:\(receiver.port)/orders")!)
        defer { s.stop() }
        try s.product("hook-1", amount: 2500)
        let (session, orderID) = try s.createdCheckout([("hook-1", 2)])
        _ = try s.sim.pay(sessionID: session)
        try s.waitForOrder(orderID, "confirmed") { $0["status"] as? String == "confirmed" }
        _ = try s.sim.refund(sessionID: session)
        try s.waitForOrder(orderID, "refunded") { $0["status"] as? String == "refunded" }

        let expected = ["order.paid", "order.confirmed", "order.refunded"]
        #expect(eventually(timeout: .seconds(20)) { receiver.jsonLines("deliveries.jsonl").count >= 3 })
        let deliveries = receiver.jsonLines("deliveries.jsonl")
        #expect(deliveries.count == 3, "\(deliveries)")
        #expect(deliveries.allSatisfy { $0["verified"] as? Bool == true }, "\(deliveries)")
        #expect(Set(deliveries.compactMap { $0["type"] as? String }) == Set(expected))
        let ids = deliveries.compactMap { $0["eventId"] as? String }
        #expect(Set(ids).count == 3)
        for delivery in deliveries {
            let event = try #require(delivery["event"] as? [String: Any])
            let type = try #require(event["type"] as? String)
            #expect(event["id"] as? String == delivery["eventId"] as? String)
            #expect(delivery["idempotencyKey"] as? String == delivery["eventId"] as? String)
            #expect(event["object"] as? String == "event")
            #expect(event["created"] is Int)
            let order = try #require((event["data"] as? [String: Any])?["object"] as? [String: Any])
            #expect(order["id"] as? String == orderID)
            #expect(order["amountTotal"] as? Int == 5000)
            // The snapshot as the transition committed it, not the order as it is now.
            #expect(order["status"] as? String == String(type.dropFirst("order.".count)))
            #expect(order["sessions"] == nil && order["history"] == nil)
        }
        #expect(
            try s.count(
                "SELECT count(*)::bigint AS n FROM outbox_jobs WHERE kind = 'order_webhook' AND status = 'done'") == 3)
    }

    @Test(
        "a receiver that fails is retried: the same event id, a fresh signature per attempt, delivered once it answers 2xx"
    )
    func retriedUntilAccepted() throws {
        let receiver = try Receiver { n, _ in n < 2 ? .respond(503, "{}") : .respond(200, "{}") }
        defer { receiver.stop() }
        let s = try Self.start(url: receiver.url)
        defer { s.stop() }
        try s.product("hook-2", amount: 900, stock: 3)
        let (session, orderID) = try s.createdCheckout([("hook-2", 1)])
        _ = try s.sim.expire(sessionID: session)
        try s.waitForOrder(orderID, "expired") { $0["status"] as? String == "expired" }
        #expect(receiver.waitFor(3))
        let done = eventually(timeout: .seconds(10)) {
            (try? s.count(
                "SELECT count(*)::bigint AS n FROM outbox_jobs WHERE kind = 'order_webhook' AND status = 'done'"))
                == 1
        }
        #expect(done)
        let deliveries = receiver.deliveries
        #expect(deliveries.count == 3)
        #expect(Set(deliveries.compactMap { $0.header("Checkout-Event-Id") }).count == 1)
        #expect(deliveries.allSatisfy { $0.header("Checkout-Event-Type") == "order.expired" })
        #expect(Set(deliveries.map(\.text)).count == 1, "the body is frozen at the transition")
        // Each attempt verifies with the secret (Stripe's verifier: the same scheme), and not with another.
        let verifier = WebhookVerifier(secrets: [Self.secret], tolerance: 300)
        let other = WebhookVerifier(secrets: ["another-secret-0123456789"], tolerance: 300)
        for delivery in deliveries {
            let header = try #require(delivery.header("Checkout-Signature"))
            #expect(throws: Never.self) { try verifier.verify(payload: delivery.body, header: header) }
            #expect(throws: (any Error).self) { try other.verify(payload: delivery.body, header: header) }
        }
        #expect(
            try s.count("SELECT attempts::bigint AS n FROM outbox_jobs WHERE kind = 'order_webhook'") == 3)
    }

    @Test("without ORDER_WEBHOOK_URL no order webhook job is written")
    func offByDefault() throws {
        let s = try Stack.start()
        defer { s.stop() }
        try s.product("hook-3", amount: 700)
        let (session, orderID) = try s.createdCheckout([("hook-3", 1)])
        _ = try s.sim.pay(sessionID: session)
        try s.waitForOrder(orderID, "confirmed") { $0["status"] as? String == "confirmed" }
        #expect(try s.count("SELECT count(*)::bigint AS n FROM outbox_jobs WHERE kind = 'order_webhook'") == 0)
    }

    @Test("the README's verification snippet is the one the receiver runs")
    func readmeSnippet() throws {
        let snippet = try String(
            contentsOf: TestEnvironment.repoRoot.appendingPathComponent("tests/webhooks/verify.py"), encoding: .utf8)
        let readme = try String(
            contentsOf: TestEnvironment.repoRoot.appendingPathComponent("README.md"), encoding: .utf8)
        #expect(readme.contains(snippet.trimmingCharacters(in: .whitespacesAndNewlines)))
    }
}
