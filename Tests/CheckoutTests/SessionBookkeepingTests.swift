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
}
