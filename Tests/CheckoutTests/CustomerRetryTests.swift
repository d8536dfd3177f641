import Foundation
import Logging
import Testing

@testable import Checkout

/// The public retry-session: whoever holds an order id may call it, so it must not break the payment
/// the customer is making. (The forced path both routes end in is covered in OrderQueriesTests.)
@Suite("CheckoutService: a customer retry leaves an open session alone")
struct CustomerRetryTests {
    @Test("pending order, session open at Stripe: the same session is answered, nothing expired or created")
    func openSessionIsReused() throws {
        let h = try CheckoutHarness()
        try h.product("p", stock: 3)
        let checkout = try h.checkout([("p", 1)])
        let historyRows = "SELECT count(*)::bigint AS n FROM order_history WHERE order_id = $1"
        let historyBefore = try h.count(historyRows, [checkout.orderID])
        let retried = try h.service.customerRetrySession(orderID: checkout.orderID)
        #expect(retried.reused)
        #expect(retried.session == checkout, "same id, same URL, same order")
        #expect(h.simulator.session(checkout.id)?.status == .open, "the customer's page still takes money")
        #expect(h.simulator.sessions().count == 1, "no second session")
        #expect(!h.simulator.requests().contains { $0.path.hasSuffix("/expire") }, "no expire call")
        let order = try h.order(checkout.orderID)
        #expect(order.state.currentSessionID == checkout.id)
        #expect(try h.count(historyRows, [checkout.orderID]) == historyBefore, "no transition")
        #expect(try h.stock("p") == 2, "one reservation")
        try h.deliverAll(try h.simulator.pay(sessionID: checkout.id))
        #expect(try h.order(checkout.orderID).state.status == .paid)
    }

    @Test(
        "near its expires_at the open session is replaced, before that it is kept",
        arguments: [(3600 - 400, true), (3600 - 200, false)])
    func minimumRemainingLifetime(secondsLater: Int, reused: Bool) throws {
        let h = try CheckoutHarness()  // CHECKOUT_SESSION_TTL default: 3600 s
        try h.product("p")
        let checkout = try h.checkout([("p", 1)])
        var logger = Logger(label: "customer-retry-tests")
        logger.logLevel = .critical
        let later = CheckoutService(
            pool: h.pool, gateway: h.client, configuration: CheckoutConfiguration(publicOrigin: "http://shop.test"),
            logger: logger, now: { Date().addingTimeInterval(TimeInterval(secondsLater)) })
        let retried = try later.customerRetrySession(orderID: checkout.orderID)
        #expect(retried.reused == reused)
        #expect((retried.session.id == checkout.id) == reused)
        #expect(h.simulator.session(checkout.id)?.status == (reused ? .open : .expired))
        #expect(try h.order(checkout.orderID).state.currentSessionID == retried.session.id)
    }

    @Test("the session expired at Stripe before its webhook arrived: a new session, never the dead page")
    func expiredBeforeItsWebhook() throws {
        let h = try CheckoutHarness()
        try h.product("p")
        let checkout = try h.checkout([("p", 1)])
        _ = try h.simulator.expire(sessionID: checkout.id)  // events not delivered
        let retried = try h.service.customerRetrySession(orderID: checkout.orderID)
        #expect(!retried.reused && retried.session.id != checkout.id)
        #expect(h.simulator.session(retried.session.id)?.status == .open)
        #expect(try h.order(checkout.orderID).state.currentSessionID == retried.session.id)
    }

    @Test("the session was paid before its webhook arrived: the payment is applied, 409 already paid")
    func paidBeforeItsWebhook() throws {
        let h = try CheckoutHarness()
        try h.product("p")
        let checkout = try h.checkout([("p", 1)])
        _ = try h.simulator.pay(sessionID: checkout.id)  // events not delivered
        #expect {
            _ = try h.service.customerRetrySession(orderID: checkout.orderID)
        } throws: { ($0 as? CheckoutError)?.code == "order_already_paid" }
        #expect(try h.order(checkout.orderID).state.status == .paid)
        #expect(h.simulator.sessions().count == 1)
    }

    @Test("failed, expired or session-less orders get a new session as before")
    func otherStatesGetANewSession() throws {
        let h = try CheckoutHarness()
        try h.product("p", stock: 1)
        let checkout = try h.checkout([("p", 1)])
        try h.deliverAll(try h.simulator.decline(sessionID: checkout.id))
        #expect(try h.order(checkout.orderID).state.status == .failed)
        let retried = try h.service.customerRetrySession(orderID: checkout.orderID)
        #expect(!retried.reused && retried.session.id != checkout.id)
        #expect(h.simulator.session(checkout.id)?.status == .expired, "the old page can take no second payment")
        #expect(try h.stock("p") == 0, "stock reserved again for the new attempt")
        // The next customer retry, the new session being open, answers it again.
        let again = try h.service.customerRetrySession(orderID: checkout.orderID)
        #expect(again.reused && again.session == retried.session)
    }

    @Test("Stripe unreachable while asking about the open session: 503, nothing changed")
    func stripeDownWhileAsking() throws {
        let h = try CheckoutHarness()
        try h.product("p")
        let checkout = try h.checkout([("p", 1)])
        h.simulator.injectFault(.status(500), count: 1)
        #expect {
            _ = try h.service.customerRetrySession(orderID: checkout.orderID)
        } throws: { ($0 as? CheckoutError)?.code == "stripe_unavailable" }
        #expect(h.simulator.session(checkout.id)?.status == .open)
        #expect(try h.order(checkout.orderID).state.currentSessionID == checkout.id)
    }
}
