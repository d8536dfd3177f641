import Foundation
import Logging
import Postgres
import Stripe
import StripeSimulator
import Testing
import TestSupport

@testable import Checkout

/// metadata.order_id is a hint, never trusted alone; the money and the mode of an event are checked.
@Suite("WebhookProcessor: cross-checks of order, mode and money")
struct WebhookCrossCheckTests {
    /// A session Stripe holds for `orderID` that we never stored (as if created by someone else).
    static func foreignSession(
        _ h: CheckoutHarness, orderID: UUID, reference: String, amount: Int64 = 1250, currency: String = "usd"
    ) throws -> CheckoutSession {
        try h.client.createCheckoutSession(
            CheckoutSessionCreateParams(
                lineItems: [.init(name: "x", unitAmount: amount, currency: currency, quantity: 1)],
                successURL: "http://shop.test/ok", cancelURL: "http://shop.test/no", clientReferenceID: reference,
                metadata: ["order_id": orderID.uuidString.lowercased()],
                paymentIntentMetadata: ["order_id": orderID.uuidString.lowercased()],
                expiresAt: Int64(Date().timeIntervalSince1970) + 3600),
            idempotencyKey: UUID().uuidString)
    }

    func fulfillJobs(_ h: CheckoutHarness, _ orderID: UUID) throws -> Int {
        try h.count("SELECT count(*)::int AS n FROM outbox_jobs WHERE kind = 'fulfill' AND order_id = $1", [orderID])
    }

    @Test(
        "the expected mode comes from the secret key prefix",
        arguments: [
            ("sk_live_abc", true), ("rk_live_abc", true), ("sk_test_abc", false), ("rk_test_abc", false),
            ("sk_live", false), ("", false), ("pk_live_abc", false),
        ])
    func livemodeFromKey(_ key: String, _ live: Bool) {
        #expect(WebhookProcessor.expectedLivemode(secretKey: key) == live)
    }

    @Test("an event of the other mode is stored as ignored and changes nothing")
    func wrongMode() throws {
        let h = try CheckoutHarness()
        try h.product("p")
        let checkout = try h.checkout([("p", 1)])
        let paid = try h.simulator.pay(sessionID: checkout.id)
        let live = WebhookProcessor(
            pool: h.pool, verifier: WebhookVerifier(secrets: [h.secret]), logger: Logger(label: "t"), livemode: true)
        let event = try #require(h.eventIDs(paid, type: "checkout.session.completed").first)
        let body = try #require(h.simulator.eventBody(event))
        let outcome = try live.process(
            payload: body,
            signatureHeader: stripeSignatureHeader(
                payload: body, secret: h.secret, timestamp: Int64(Date().timeIntervalSince1970)))
        #expect(outcome.result == "ignored")
        #expect(try h.order(checkout.orderID).state.status == .pendingPayment)
        #expect(try h.count("SELECT count(*)::int AS n FROM stripe_events WHERE result = 'ignored'") == 1)
    }

    @Test("an event of one order's session whose metadata names another order is ignored; neither changes")
    func sessionOfAnotherOrder() throws {
        let h = try CheckoutHarness()
        try h.product("p")
        let a = try h.checkout([("p", 1)])
        let b = try h.checkout([("p", 1)])
        let paid = try h.simulator.pay(sessionID: a.id)
        let event = try #require(h.eventIDs(paid, type: "checkout.session.completed").first)
        let original = String(decoding: try #require(h.simulator.eventBody(event)), as: UTF8.self)
        let forged = Array(
            original.replacingOccurrences(
                of: a.orderID.uuidString.lowercased(), with: b.orderID.uuidString.lowercased()
            ).utf8)
        let outcome = try h.webhooks.process(
            payload: forged,
            signatureHeader: stripeSignatureHeader(
                payload: forged, secret: h.secret, timestamp: Int64(Date().timeIntervalSince1970)))
        #expect(outcome.result == "ignored")
        #expect(try h.order(a.orderID).state.status == .pendingPayment)
        #expect(try h.order(b.orderID).state.status == .pendingPayment)
        #expect(
            try h.count(
                "SELECT count(*)::int AS n FROM checkout_sessions WHERE id = $1 AND status = 'open'", [a.id])
                == 1, "the other order's session row is not written")
    }

    @Test("a session we never stored must carry the order number as client_reference_id")
    func unknownSessionWrongReference() throws {
        let h = try CheckoutHarness()
        try h.product("p")
        let order = try h.checkout([("p", 1)])
        let foreign = try Self.foreignSession(h, orderID: order.orderID, reference: "SOMEONE-ELSE")
        let outcomes = try h.deliverAll(try h.simulator.pay(sessionID: foreign.id))
        #expect(outcomes.allSatisfy { $0.result == "ignored" || $0.result == "no_op" }, "\(outcomes)")
        #expect(try h.order(order.orderID).state.status == .pendingPayment)
        #expect(try fulfillJobs(h, order.orderID) == 0)
    }

    @Test(
        "a payment of another amount or currency is recorded, flags the order and fulfils nothing",
        arguments: [(Int64(1249), "usd"), (Int64(1250), "eur")])
    func moneyMismatch(_ amount: Int64, _ currency: String) throws {
        let h = try CheckoutHarness()
        try h.product("p", amount: 1250)
        let checkout = try h.checkout([("p", 1)])
        let number = try h.order(checkout.orderID).orderNumber
        let other = try Self.foreignSession(
            h, orderID: checkout.orderID, reference: number, amount: amount, currency: currency)
        try h.deliverAll(try h.simulator.pay(sessionID: other.id))
        let order = try h.order(checkout.orderID)
        #expect(order.state.status == .paid && order.state.amountReceived == amount)
        #expect(order.state.needsAttention && order.state.fulfillmentStatus == .failed)
        #expect(try fulfillJobs(h, checkout.orderID) == 0)
        #expect(
            try h.count(
                "SELECT count(*)::int AS n FROM outbox_jobs WHERE kind = 'notify' AND order_id = $1",
                [checkout.orderID]) == 1)
    }
}
