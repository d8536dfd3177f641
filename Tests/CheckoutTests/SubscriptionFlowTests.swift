import Foundation
import Postgres
import Stripe
import StripeSimulator
import Testing

@testable import Checkout

/// Mixed carts and subscriptions end to end: the real `StripeClient` against stripe-sim's subscription mode,
/// Stripe's events fed (signed) to the `WebhookProcessor`, Postgres checked.
@Suite("Subscriptions: mixed carts, renewals, events duplicated and reordered")
struct SubscriptionFlowTests {
    static let monthly = RecurringPrice(interval: .month)

    /// A membership billed monthly (1500) and a one-time course (4900, 5 in stock).
    static func world() throws -> CheckoutHarness {
        let h = try CheckoutHarness()
        _ = try h.service.upsertProduct(
            Product(id: "member", title: "Membership", unitAmount: 1500, currency: "usd", recurring: monthly))
        _ = try h.service.upsertProduct(
            Product(id: "course", title: "Course", unitAmount: 4900, currency: "usd", stock: 5))
        return h
    }

    static func subscription(_ h: CheckoutHarness, _ id: String) throws -> SubscriptionRecord {
        try #require(try h.pool.withConnection { db in try SubscriptionStore().subscription(db, id: id) })
    }

    static func renewalOrders(_ h: CheckoutHarness, _ subscriptionID: String) throws -> [OrderRecord] {
        let ids = try h.pool.withConnection { db in
            try db.query(
                "SELECT id FROM orders WHERE subscription_id = $1 ORDER BY stripe_invoice_id", [subscriptionID]
            ).map { try $0.decode("id", as: UUID.self) }
        }
        return try ids.map { try h.order($0) }
    }

    @Test("a mixed cart is one subscription-mode session; paying it pays the order and records the subscription")
    func mixedCart() throws {
        let h = try Self.world()
        let checkout = try h.checkout([("member", 1), ("course", 1)])
        let session = try #require(h.simulator.session(checkout.id))
        #expect(session.mode == "subscription" && session.amountTotal == 6400)
        #expect(try h.stock("course") == 4, "the one-time line holds its stock like any order")
        let paid = try h.simulator.pay(sessionID: checkout.id)
        try h.deliverAll(paid)
        let order = try h.order(checkout.orderID)
        #expect(order.state.triple == StatusTriple(.paid, .paid, .pending))
        #expect(order.state.amountReceived == 6400 && order.state.paymentIntentID == nil)
        let subscriptionID = try #require(paid.session.subscription)
        let stripeSubscription = try #require(h.simulator.subscriptions().first)
        #expect(stripeSubscription.metadata == ["order_id": checkout.orderID.lowercased], "only the order id")
        #expect(stripeSubscription.items.count == 1, "the course is not a subscription item")
        let row = try Self.subscription(h, subscriptionID)
        #expect(row.status == "active" && row.orderID == checkout.orderID && row.customerID == paid.session.customer)
        #expect(row.currentPeriodEnd == Date(timeIntervalSince1970: Double(stripeSubscription.currentPeriodEnd ?? 0)))
        #expect(!row.needsAttention)
        #expect(try Self.renewalOrders(h, subscriptionID).isEmpty, "the first invoice is the checkout order's")
        #expect(
            try h.count(
                "SELECT count(*)::int AS n FROM outbox_jobs WHERE kind = 'fulfill' AND order_id = $1",
                [checkout.orderID]) == 1)
    }

    /// Pays a mixed cart, then bills two renewals: the first paid, the second failed and then paid.
    /// Answers the checkout, the subscription id and every event, in Stripe's order.
    static func twoRenewals(_ h: CheckoutHarness) throws -> (CheckoutSessionResult, String, [String], String) {
        let checkout = try h.checkout([("member", 2), ("course", 1)])
        let paid = try h.simulator.pay(sessionID: checkout.id)
        let subscriptionID = try #require(paid.session.subscription)
        // Stripe's events of one subscription are seconds apart (the rules also settle ties).
        h.simulator.advanceClock(seconds: 60)
        let first = try h.simulator.renew(subscriptionID: subscriptionID, outcome: .paid)
        h.simulator.advanceClock(seconds: 60)
        let failed = try h.simulator.renew(subscriptionID: subscriptionID, outcome: .failed)
        let failedInvoice = try #require(failed.invoice?.id)
        h.simulator.advanceClock(seconds: 60)
        let retried = try h.simulator.attemptInvoice(invoiceID: failedInvoice, outcome: .paid)
        return (checkout, subscriptionID, paid.events + first.events + failed.events + retried.events, failedInvoice)
    }

    static func checkFinal(_ h: CheckoutHarness, _ checkout: CheckoutSessionResult, _ subscriptionID: String) throws {
        let order = try h.order(checkout.orderID)
        #expect(order.state.triple == StatusTriple(.paid, .paid, .pending))
        let renewals = try renewalOrders(h, subscriptionID)
        #expect(renewals.count == 2, "one order per paid renewal invoice")
        for renewal in renewals {
            #expect(renewal.state.triple == StatusTriple(.paid, .paid, .pending), "\(renewal.orderNumber)")
            #expect(renewal.state.amountTotal == 3000 && renewal.state.amountReceived == 3000)
            #expect(renewal.state.payments.count == 1 && renewal.state.payments[0].invoiceID != nil)
            #expect(!renewal.state.needsAttention, "\(renewal.state.attentionReason ?? "")")
            #expect(renewal.orderNumber != order.orderNumber)
            #expect(
                try h.count(
                    "SELECT count(*)::int AS n FROM outbox_jobs WHERE kind = 'fulfill' AND order_id = $1",
                    [renewal.id]) == 1)
        }
        let items = try h.pool.withConnection { db in try OrderStore().items(db, orderID: renewals[0].id) }
        #expect(items.map(\.productID) == ["member"] && items[0].quantity == 2 && items[0].recurring == monthly)
        let row = try subscription(h, subscriptionID)
        #expect(row.status == "active" && !row.needsAttention, "\(row)")
        #expect(try h.stock("course") == 4, "renewals bill the subscription lines only")
        #expect(try h.count("SELECT count(*)::int AS n FROM payments WHERE invoice_id IS NOT NULL") == 2)
    }

    @Test("two renewals in Stripe's order: failed → past due, flagged, notified; then paid → cleared")
    func renewalsInOrder() throws {
        let h = try Self.world()
        let checkout = try h.checkout([("member", 2), ("course", 1)])
        let paid = try h.simulator.pay(sessionID: checkout.id)
        try h.deliverAll(paid)
        let subscriptionID = try #require(paid.session.subscription)
        for event in try h.simulator.renew(subscriptionID: subscriptionID).events { try h.deliver(event) }
        #expect(try Self.renewalOrders(h, subscriptionID).count == 1)

        let failed = try h.simulator.renew(subscriptionID: subscriptionID, outcome: .failed)
        for event in failed.events { try h.deliver(event) }
        var row = try Self.subscription(h, subscriptionID)
        #expect(row.status == "past_due" && row.needsAttention, "\(row)")
        #expect(row.attentionReason?.contains(failed.invoice?.id ?? "-") == true)
        #expect(try Self.renewalOrders(h, subscriptionID).count == 1, "a failed invoice makes no order")
        #expect(
            try h.count(
                "SELECT count(*)::int AS n FROM outbox_jobs WHERE kind = 'notify' AND dedupe_key LIKE 'notify:renewal_failed:%'"
            ) == 1)

        let invoiceID = try #require(failed.invoice?.id)
        let again = try h.simulator.attemptInvoice(invoiceID: invoiceID, outcome: .failed)
        for event in again.events { try h.deliver(event) }
        row = try Self.subscription(h, subscriptionID)
        #expect(row.attentionReason?.contains("2 failed attempts") == true, "\(row)")

        let retried = try h.simulator.attemptInvoice(invoiceID: invoiceID, outcome: .paid)
        for event in retried.events { try h.deliver(event) }
        try Self.checkFinal(h, checkout, subscriptionID)
    }

    @Test(
        "every subscription and invoice event duplicated and reordered ends in the same state",
        arguments: ["reversed", "shuffled-1", "shuffled-2", "shuffled-3"])
    func reordered(order: String) throws {
        let h = try Self.world()
        let (checkout, subscriptionID, events, _) = try Self.twoRenewals(h)
        var sequence = events + events
        switch order {
        case "reversed":
            sequence.reverse()
        default:
            var generator = SeededGenerator(state: UInt64(order.last!.wholeNumberValue!))
            sequence.shuffle(using: &generator)
        }
        for event in sequence { try h.deliver(event) }
        try Self.checkFinal(h, checkout, subscriptionID)
        // The second copy of every event was a duplicate.
        #expect(try h.count("SELECT count(*)::int AS n FROM stripe_events") == events.count)
    }

    @Test("one invoice.paid delivered concurrently from 8 threads makes one renewal order")
    func concurrentRenewal() throws {
        let h = try Self.world()
        let checkout = try h.checkout([("member", 1)])
        let paid = try h.simulator.pay(sessionID: checkout.id)
        try h.deliverAll(paid)
        let subscriptionID = try #require(paid.session.subscription)
        let renewal = try h.simulator.renew(subscriptionID: subscriptionID)
        let invoicePaid = try #require(renewal.events.last)
        _ = concurrently(8) { _ in try? h.deliver(invoicePaid) }
        #expect(try Self.renewalOrders(h, subscriptionID).count == 1)
        #expect(try h.count("SELECT count(*)::int AS n FROM payments WHERE invoice_id IS NOT NULL") == 1)
    }

    @Test("Stripe's line limits and one billing period per checkout are the customer's 400")
    func lineLimits() throws {
        let h = try CheckoutHarness()
        for index in 0..<22 {
            _ = try h.service.upsertProduct(
                Product(id: "r\(index)", title: "R\(index)", unitAmount: 100, currency: "usd", recurring: Self.monthly))
            _ = try h.service.upsertProduct(
                Product(id: "o\(index)", title: "O\(index)", unitAmount: 100, currency: "usd"))
        }
        _ = try h.service.upsertProduct(
            Product(id: "yearly", title: "Y", unitAmount: 100, currency: "usd", recurring: .init(interval: .year)))
        func refused(_ items: [(String, Int)]) -> String? {
            do {
                _ = try h.checkout(items)
                return nil
            } catch let error as CheckoutError {
                return error.code == "validation_error" ? error.field : "\(error)"
            } catch {
                return "\(error)"
            }
        }
        #expect(refused((0..<21).map { ("r\($0)", 1) }) == "items")
        #expect(refused([("r0", 1)] + (0..<21).map { ("o\($0)", 1) }) == "items")
        #expect(refused([("r0", 1), ("yearly", 1)]) == "items[1].productId")
        let edge = try h.checkout((0..<20).map { ("r\($0)", 1) } + (0..<20).map { ("o\($0)", 1) })
        #expect(h.simulator.session(edge.id)?.mode == "subscription")
        #expect(try h.count("SELECT count(*)::int AS n FROM orders") == 1, "refused carts store nothing")
    }
}
