import Foundation
import Logging
import Postgres
import Stripe
import StripeSimulator
import Synchronization
import Testing

@testable import Checkout

/// The real Stripe client, with one `expireSession` call held at a gate until the test opens it: a
/// Stripe that is slow on exactly that call, so another actor can run in between. Every call still
/// goes over a socket to stripe-sim.
final class GatedExpireGateway: PaymentGateway {
    let inner: any PaymentGateway
    let arrived = DispatchSemaphore(value: 0)
    let proceed = DispatchSemaphore(value: 0)
    private let armed = Atomic<Bool>(true)

    init(_ inner: any PaymentGateway) { self.inner = inner }

    func createSession(_ request: PaymentSessionRequest, idempotencyKey: String) throws(PaymentGatewayError)
        -> PaymentSession
    {
        try inner.createSession(request, idempotencyKey: idempotencyKey)
    }

    func retrieveSession(_ id: String) throws(PaymentGatewayError) -> PaymentSession {
        try inner.retrieveSession(id)
    }

    func expireSession(_ id: String, idempotencyKey: String) throws(PaymentGatewayError) -> PaymentSession {
        if armed.exchange(false, ordering: .acquiringAndReleasing) {
            arrived.signal()
            _ = proceed.wait(timeout: .now() + 30)
        }
        return try inner.expireSession(id, idempotencyKey: idempotencyKey)
    }
}

/// The five defects of the money-invariants review, each reproduced against real Postgres and
/// stripe-sim. Each of these failed on the code before the ledgers and the one mutation path.
@Suite("Money defects: seams between actors")
struct MoneyDefectTests {
    // MARK: 1. Bank transfer marked paid while the customer retries

    @Test("mark-paid racing retry-session: the new session is expired too, and its refund keeps the order paid")
    func markPaidRacesRetry() throws {
        let h = try CheckoutHarness()
        try h.product("p")
        let first = try h.checkout([("p", 1)])
        let gated = GatedExpireGateway(h.client)
        var logger = Logger(label: "gated")
        logger.logLevel = .critical
        let admin = CheckoutService(
            pool: h.pool, gateway: gated, configuration: CheckoutConfiguration(publicOrigin: "http://shop.test"),
            logger: logger)
        let adminResult = Mutex<Result<AdminOrder, CheckoutError>?>(nil)
        let done = DispatchSemaphore(value: 0)
        let thread = Thread {
            let result = Result { () throws(CheckoutError) -> AdminOrder in
                try admin.markPaid(orderID: first.orderID, note: "bank transfer 4711")
            }
            adminResult.withLock { $0 = result }
            done.signal()
        }
        thread.start()
        #expect(gated.arrived.wait(timeout: .now() + 30) == .success, "mark-paid reached its expire call")
        // While Stripe is slow on mark-paid's expire, the customer starts a new attempt.
        let second = try h.service.retrySession(orderID: first.orderID)
        #expect(second.id != first.id)
        gated.proceed.signal()
        #expect(done.wait(timeout: .now() + 30) == .success, "mark-paid finished")
        let marked = try #require(adminResult.withLock { $0 })
        #expect((try? marked.get())?.order.status == .paid)

        // No session of the order may still take money.
        #expect(h.simulator.session(second.id)?.status != .open, "mark-paid left the customer's new session open")
        // If it could (the old behaviour), the customer pays it and the operator refunds that payment.
        if let paid = try? h.simulator.pay(sessionID: second.id) {
            try h.deliverAll(paid)
            try h.deliverAll(try h.simulator.refund(sessionID: second.id))
        }
        let order = try h.order(first.orderID)
        #expect(order.state.status == .paid, "the bank transfer was kept: the order stays paid")
        #expect(
            try h.count(
                "SELECT count(*)::int AS n FROM outbox_jobs WHERE kind = 'fulfill' AND order_id = $1", [first.orderID])
                == 1, "and is fulfilled")
    }

    @Test("an expire answered 404 does not let mark-paid leave an open session behind")
    func expire404IsNotProofOfClosed() throws {
        let h = try CheckoutHarness()
        try h.product("p")
        let checkout = try h.checkout([("p", 1)])
        h.simulator.injectFault(.status(404), count: 1)
        #expect(throws: CheckoutError.self) { try h.service.markPaid(orderID: checkout.orderID, note: "wire") }
        #expect(h.simulator.session(checkout.id)?.status == .open)
        #expect(try h.order(checkout.orderID).state.status == .pendingPayment, "nothing changed")
        // Once Stripe answers properly, mark-paid expires the session and records the manual payment.
        let marked = try h.service.markPaid(orderID: checkout.orderID, note: "wire")
        #expect(marked.order.status == .paid)
        #expect(h.simulator.session(checkout.id)?.status == .expired)
    }

    // MARK: 2. Oversold and fulfilled

    @Test(
        "a payment after the unit went to someone else is kept, flagged 'out of stock' and not fulfilled",
        arguments: ["declined", "cancelled"])
    func paidAfterStockWentElsewhere(_ how: String) throws {
        let h = try CheckoutHarness()
        try h.product("one", stock: 1)
        let a = try h.checkout([("one", 1)])
        if how == "declined" {
            try h.deliverAll(try h.simulator.decline(sessionID: a.id))
            #expect(try h.order(a.orderID).state.status == .failed)
        } else {
            _ = try h.service.cancel(orderID: a.orderID, reason: "customer asked")
        }
        #expect(try h.stock("one") == 1, "A's unit was released")
        let b = try h.checkout([("one", 1)])
        // A's session is still open (as on Stripe): A pays it with another card.
        try h.deliverAll(try h.simulator.pay(sessionID: a.id))
        try h.deliverAll(try h.simulator.pay(sessionID: b.id))

        let fulfillJobs = try h.count("SELECT count(*)::int AS n FROM outbox_jobs WHERE kind = 'fulfill'")
        #expect(fulfillJobs == 1, "one unit, one fulfillment")
        let orderA = try h.order(a.orderID)
        #expect(orderA.state.status == .paid && orderA.state.paymentStatus == .paid)
        #expect(orderA.state.fulfillmentStatus != .pending, "A's fulfillment is held")
        #expect(orderA.state.needsAttention)
        #expect((orderA.state.attentionReason ?? "").contains("out of stock"), "\(orderA.state.attentionReason ?? "-")")
        #expect(try h.order(b.orderID).state.status == .paid)
        #expect(try h.stock("one") == 0)
    }

    // MARK: 3. Stock created from nothing

    @Test(
        "switching a product between unlimited and limited never creates units",
        arguments: [
            // (stock at checkout, then the admin sets these, in order)
            (Int?.none, [Int?.some(10)]),
            (Int?.some(60), [Int?.none, Int?.some(10)]),
        ])
    func limitedSwitchKeepsUnits(_ initial: Int?, _ changes: [Int?]) throws {
        let h = try CheckoutHarness()
        try h.product("p", stock: initial)
        let order = try h.checkout([("p", 50)])
        for stock in changes { try h.product("p", stock: stock) }
        try h.deliverAll(try h.simulator.expire(sessionID: order.id))
        #expect(try h.order(order.orderID).state.status == .expired)
        #expect(try h.stock("p") == changes.last!, "the admin's count stays what the admin set")
    }

    // MARK: 4. One 401 during retry

    @Test(
        "a Stripe 401/403 during retry-session is stripe_rejected and keeps the order retryable", arguments: [401, 403])
    func rejectedRetryKeepsOrder(_ status: Int) throws {
        let h = try CheckoutHarness()
        try h.product("p", stock: 3)
        h.simulator.injectFault(.status(503), count: 1)
        var kept: UUID?
        do {
            _ = try h.checkout([("p", 1)])
        } catch let error as CheckoutError {
            #expect(error.code == "stripe_unavailable")
            kept = error.orderID
        }
        let orderID = try #require(kept)
        h.simulator.injectFault(.status(status), count: 1)
        do {
            _ = try h.service.retrySession(orderID: orderID)
            Issue.record("retry-session succeeded despite the \(status)")
        } catch {
            #expect(error.code == "stripe_rejected")
        }
        #expect(try h.order(orderID).state.status == .pendingPayment, "the order is kept")
        #expect(try h.stock("p") == 2, "and keeps its unit")
        // The key is fixed: the next retry works.
        let retried = try h.service.retrySession(orderID: orderID)
        #expect(retried.orderID == orderID)
        #expect(h.simulator.session(retried.id)?.status == .open)
    }

    // MARK: 5. An invented amount

    @Test("a completed (paid) event without amount_total and currency is confirmed only from the session at Stripe")
    func completionWithoutAmount() throws {
        let h = try CheckoutHarness()
        try h.product("p", amount: 1500)
        let checkout = try h.checkout([("p", 2)])
        let paid = try h.simulator.pay(sessionID: checkout.id)
        let completed = try #require(h.eventIDs(paid, type: "checkout.session.completed").first)
        let body = try #require(h.simulator.eventBody(completed))
        var event = try #require(try JSONSerialization.jsonObject(with: Data(body)) as? [String: Any])
        var data = try #require(event["data"] as? [String: Any])
        var object = try #require(data["object"] as? [String: Any])
        object.removeValue(forKey: "amount_total")
        object.removeValue(forKey: "currency")
        data["object"] = object
        event["data"] = data
        let stripped = [UInt8](try JSONSerialization.data(withJSONObject: event))
        let header = stripeSignatureHeader(
            payload: stripped, secret: h.secret, timestamp: Int64(Date().timeIntervalSince1970))
        _ = try h.webhooks.process(payload: stripped, signatureHeader: header)

        let after = try h.order(checkout.orderID)
        #expect(after.state.status == .pendingPayment, "no amount, no confirmation")
        #expect(after.state.amountReceived == 0, "no amount is assumed")
        #expect(try h.count("SELECT count(*)::int AS n FROM outbox_jobs WHERE kind = 'fulfill'") == 0)

        // The order is due for a check at Stripe at once; the retrieved session carries the amount.
        let results = try h.service.reconcilePendingOrders(staleSeconds: 300)
        #expect(results.map(\.result) == ["applied"])
        let confirmed = try h.order(checkout.orderID)
        #expect(confirmed.state.status == .paid)
        #expect(confirmed.state.amountReceived == 3000)
    }
}
