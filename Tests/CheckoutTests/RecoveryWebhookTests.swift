import Foundation
import Stripe
import StripeSimulator
import Testing

@testable import Checkout

/// Sessions made from a recovery link (`recovered_from`), at the webhook processor: they pay the order of
/// the session they name, and only that order (docs/invariants.md P10).
@Suite("Recovered sessions at the webhook")
struct RecoveryWebhookTests {
    static func harness() throws -> CheckoutHarness {
        var configuration = CheckoutConfiguration(publicOrigin: "http://shop.test")
        configuration.totals = CheckoutTotalsSettings(recovery: true)
        return try CheckoutHarness(configuration: configuration)
    }

    /// Processes `body` with its `id` and `recovered_from` replaced, signed like a real delivery.
    static func deliverForged(_ h: CheckoutHarness, _ body: [UInt8], recoveredFrom: String) throws -> WebhookOutcome {
        var event = try #require(try JSONSerialization.jsonObject(with: Data(body)) as? [String: Any])
        event["id"] = "evt_forged_" + UUID().uuidString.prefix(8)
        var data = try #require(event["data"] as? [String: Any])
        var object = try #require(data["object"] as? [String: Any])
        object["recovered_from"] = recoveredFrom
        data["object"] = object
        event["data"] = data
        let forged = Array(try JSONSerialization.data(withJSONObject: event))
        let header = stripeSignatureHeader(
            payload: forged, secret: h.secret, timestamp: Int64(Date().timeIntervalSince1970))
        return try h.webhooks.process(payload: forged, signatureHeader: header)
    }

    @Test("a recovered session naming another order's session is ignored; naming its own, it pays the order")
    func foreignRecoveredFrom() throws {
        let h = try Self.harness()
        try h.product("p", amount: 2000, stock: 2)
        let a = try h.checkout([("p", 1)])
        let b = try h.checkout([("p", 1)])
        try h.deliverAll(try h.simulator.expire(sessionID: a.id))
        let expired = try h.order(a.orderID)
        #expect(expired.state.status == .expired)
        #expect(expired.state.checkout.recovery?.url.contains("/recover/") == true)
        #expect(expired.state.checkout.recovery?.mayEmail == false, "no consent was asked")

        let recovered = try h.simulator.recover(sessionID: a.id).session
        let paid = try h.simulator.pay(sessionID: recovered.id)
        let completed = try #require(h.eventIDs(paid, type: "checkout.session.completed").first)
        let body = try #require(h.simulator.eventBody(completed))

        // Same order metadata and number, but recovered from B's session: not A's to take.
        let forged = try Self.deliverForged(h, body, recoveredFrom: b.id)
        guard case .ignored(_, let reason) = forged else {
            Issue.record("expected ignored, got \(forged)")
            return
        }
        #expect(reason.contains("not a session of this order"))
        #expect(try h.order(a.orderID).state.status == .expired)
        #expect(try h.count("SELECT count(*)::int AS n FROM checkout_sessions WHERE recovered_from IS NOT NULL") == 0)

        // The real event: A is paid (stock taken again), the session stored with A under A's attempt.
        try h.deliverAll(paid)
        let done = try h.order(a.orderID)
        #expect(done.state.status == .paid && !done.state.needsAttention)
        #expect(done.state.sessionIDs.contains(recovered.id))
        #expect(try h.stock("p") == 0)
        #expect(
            try h.count(
                "SELECT count(*)::int AS n FROM checkout_sessions WHERE id = $1 AND recovered_from = $2 AND attempt = 1",
                [recovered.id, a.id]) == 1)
        #expect(try h.order(b.orderID).state.status == .pendingPayment, "B is untouched")
    }

    @Test("the recovery URL is stored only for the order's current session; a superseded one's is not")
    func recoveryOnlyForCurrentSession() throws {
        let h = try Self.harness()
        try h.product("p", amount: 2000)
        let a = try h.checkout([("p", 1)])
        let retried = try h.service.retrySession(orderID: a.orderID)
        #expect(retried.id != a.id)
        // The retry expired the old session at Stripe (its event carries a recovery link): changes nothing.
        for event in h.simulator.events(type: "checkout.session.expired") { try h.deliver(event.id) }
        let order = try h.order(a.orderID)
        #expect(order.state.status == .pendingPayment && order.state.checkout.recovery == nil)
    }
}
