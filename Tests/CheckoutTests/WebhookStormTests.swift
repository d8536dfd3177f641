import Foundation
import Postgres
import Stripe
import StripeSimulator
import Testing

@testable import Checkout

/// Many orders, each driven through a payment story at the simulator; every resulting event is
/// delivered in a shuffled order with duplicates from several threads at once. Whatever the
/// interleaving, each order must end where its story says, no event applies twice, and stock is
/// conserved (initial = on shelf + held by orders that keep it).
@Suite("Webhook storm: shuffled, duplicated, concurrent delivery")
struct WebhookStormTests {
    enum Story: CaseIterable {
        case pay, declineThenPay, decline, expire, payThenRefundPartlyThenFully, delayedSuccess, delayedFailure
        case declineRetryPay, expireRetryPay

        var expected: OrderStatus {
            switch self {
            case .pay, .declineThenPay, .delayedSuccess, .declineRetryPay, .expireRetryPay: return .paid
            case .decline, .delayedFailure: return .failed
            case .expire: return .expired
            case .payThenRefundPartlyThenFully: return .refunded
            }
        }
    }

    @Test("every order ends as its story says; stock is conserved", arguments: [7, 42])
    func storm(seed: UInt64) throws {
        var rng = SeededGenerator(state: seed)
        let h = try CheckoutHarness(poolSize: 10)
        let initialStock = 100
        try h.product("p", amount: 1000, stock: initialStock)
        var events: [String] = []
        var orders: [(UUID, Story)] = []
        for index in 0..<18 {
            let story = Story.allCases[index % Story.allCases.count]
            let checkout = try h.checkout([("p", Int.random(in: 1...3, using: &rng))])
            let s = checkout.id
            let sim = h.simulator
            switch story {
            case .pay: events += try sim.pay(sessionID: s).events
            case .declineThenPay: events += try sim.decline(sessionID: s).events + sim.pay(sessionID: s).events
            case .decline: events += try sim.decline(sessionID: s).events
            case .expire: events += try sim.expire(sessionID: s).events
            case .payThenRefundPartlyThenFully:
                events += try sim.pay(sessionID: s).events
                events += try sim.refund(sessionID: s, amount: 100).events + sim.refund(sessionID: s).events
            case .delayedSuccess:
                events += try sim.completeUnpaid(sessionID: s).events + sim.asyncPaymentSucceeded(sessionID: s).events
            case .delayedFailure:
                events += try sim.completeUnpaid(sessionID: s).events + sim.asyncPaymentFailed(sessionID: s).events
            case .declineRetryPay, .expireRetryPay:
                events +=
                    story == .declineRetryPay
                    ? try sim.decline(sessionID: s).events : try sim.expire(sessionID: s).events
                let retried = try h.service.retrySession(orderID: checkout.orderID)
                events += try sim.pay(sessionID: retried.id).events
            }
            orders.append((checkout.orderID, story))
        }
        // Everything the simulator generated (including the expiries retry-session caused), 30% twice.
        let all = h.simulator.events().map(\.id)
        #expect(Set(events).isSubset(of: Set(all)))
        var deliveries = all + all.filter { _ in Int.random(in: 0..<10, using: &rng) < 3 }
        deliveries.shuffle(using: &rng)
        let queue = deliveries
        let outcomes = concurrently(8) { worker -> [WebhookOutcome] in
            stride(from: worker, to: queue.count, by: 8).map {
                (try? h.deliver(queue[$0])) ?? .invalidPayload("error")
            }
        }.flatMap { $0 }
        #expect(outcomes.count == deliveries.count)
        #expect(!outcomes.contains(.invalidPayload("error")), "every delivery committed")
        #expect(
            outcomes.filter { if case .duplicate = $0 { true } else { false } }.count == deliveries.count - all.count)

        for (orderID, story) in orders {
            let order = try h.order(orderID)
            #expect(order.state.status == story.expected, "\(story): \(order.state.triple)")
            #expect(StatusTriple.reachable.contains(order.state.triple))
            if story == .payThenRefundPartlyThenFully { #expect(order.state.amountRefunded == order.state.amountTotal) }
        }
        #expect(try h.count("SELECT count(*)::int AS n FROM stripe_events") == all.count)
        #expect(
            try h.count(
                "SELECT count(*)::int AS n FROM (SELECT stripe_event_id FROM order_history WHERE stripe_event_id IS NOT NULL GROUP BY 1 HAVING count(*) > 1) d"
            ) == 0, "no event applied twice")
        #expect(
            try h.count("SELECT count(*)::int AS n FROM stripe_events WHERE result = 'applied'")
                == h.count("SELECT count(*)::int AS n FROM order_history WHERE stripe_event_id IS NOT NULL"),
            "every applied event wrote exactly one history row, and only applied ones did")
        #expect(try h.count("SELECT count(*)::int AS n FROM stripe_events WHERE detail = 'processing'") == 0)
        let held = try h.count(
            """
            SELECT coalesce(sum(i.quantity), 0)::int AS n FROM order_items i JOIN orders o ON o.id = i.order_id
            WHERE o.stock_reserved
            """)
        #expect(try h.stock("p")! + held == initialStock, "stock conserved")
        #expect(try h.count("SELECT count(*)::int AS n FROM orders WHERE needs_attention") == 0)
    }
}
