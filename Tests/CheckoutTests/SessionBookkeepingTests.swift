import Foundation
import Postgres
import Stripe
import StripeSimulator
import Testing
import TestSupport

@testable import Checkout

/// Which Idempotency-Key an expire call uses, and which session a PaymentIntent is recorded on.
@Suite("CheckoutService: session bookkeeping")
struct SessionBookkeepingTests {
    @Test("a failed expire is not replayed: every retry-session call expires with a fresh Idempotency-Key")
    func expireKeyPerCall() throws {
        let h = try CheckoutHarness()
        try h.product("p")
        let checkout = try h.checkout([("p", 1)])
        h.simulator.injectFault(.status(500), count: 1)
        #expect {
            _ = try h.service.retrySession(orderID: checkout.orderID)
        } throws: { ($0 as? CheckoutError)?.code == "stripe_unavailable" }
        let retried = try h.service.retrySession(orderID: checkout.orderID)
        #expect(retried.id != checkout.id)
        let keys = h.simulator.requests().filter { $0.path.hasSuffix("/expire") }.compactMap(\.idempotencyKey)
        #expect(keys.count == 2 && Set(keys).count == 2, "\(keys)")
        #expect(keys.allSatisfy { $0.hasPrefix("order:\(checkout.orderID.uuidString.lowercased()):expire:") })
    }

    @Test("a late payment of a superseded session records its intent on that session, not on the current one")
    func intentOnItsOwnSession() throws {
        let h = try CheckoutHarness()
        try h.product("p")
        let first = try h.checkout([("p", 1)])
        try h.deliverAll(try h.simulator.expire(sessionID: first.id))
        let retried = try h.service.retrySession(orderID: first.orderID)
        // The first session is paid after all (expired at Stripe here, so forge its completion).
        let second = try h.checkout([("p", 1)])
        let paid = try h.simulator.pay(sessionID: second.id)
        let event = try #require(h.eventIDs(paid, type: "checkout.session.completed").first)
        let body = String(decoding: try #require(h.simulator.eventBody(event)), as: UTF8.self)
            .replacingOccurrences(of: second.id, with: first.id)
            .replacingOccurrences(
                of: second.orderID.uuidString.lowercased(), with: first.orderID.uuidString.lowercased()
            )
            .replacingOccurrences(
                of: try h.order(second.orderID).orderNumber, with: try h.order(first.orderID).orderNumber)
        let bytes = Array(body.utf8)
        let outcome = try h.webhooks.process(
            payload: bytes,
            signatureHeader: stripeSignatureHeader(
                payload: bytes, secret: h.secret, timestamp: Int64(Date().timeIntervalSince1970)))
        #expect(outcome.result == "applied", "\(outcome)")
        let order = try h.order(first.orderID)
        let intent = try #require(order.state.paymentIntentID)
        #expect(order.state.status == .paid && order.state.currentSessionID == retried.id)
        func intentOf(_ sessionID: String) throws -> String? {
            try h.pool.withConnection { db in
                try db.query("SELECT payment_intent_id FROM checkout_sessions WHERE id = $1", [sessionID])[0]
                    .decode("payment_intent_id", as: String?.self)
            }
        }
        #expect(try intentOf(first.id) == intent)
        #expect(try intentOf(retried.id) == nil, "the current session never saw that payment")
    }
}
