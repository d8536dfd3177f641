import Foundation
import Postgres
import Stripe
import StripeSimulator
import Testing

@testable import Checkout

/// The refunds ledger (docs/invariants.md R1–R6): refund objects recorded by id whatever the order and
/// however often they arrive, a payment's refunds derived from them, a failed refund giving the money
/// back to the order and flagging it. Pure rules first, then the database's own checks.
@Suite("Refund ledger: refund objects in any order, duplicated, failing")
struct RefundLedgerTests {
    static let paid = OrderState(
        status: .paid, paymentStatus: .paid, fulfillmentStatus: .pending, currentSessionID: "cs_1",
        paymentIntentID: "pi_1", amountTotal: 5000, amountReceived: 5000)

    static func refund(_ status: RefundStatus, id: String = "re_1", amount: Int64 = 5000, failure: String? = nil)
        -> OrderEvent
    {
        .refundObserved(
            RefundObservation(
                id: id, paymentIntentID: "pi_1", amount: amount, currency: "usd", status: status,
                failureReason: failure))
    }

    static let chargeTotal = OrderEvent.chargeRefunded(
        paymentIntentID: "pi_1", amountRefunded: 5000, amount: 5000, currency: "usd")

    /// Folds events over a state the way OrderTransitions would (a no-op keeps the state).
    static func fold(_ state: OrderState, _ events: [OrderEvent]) -> (OrderState, [OrderEffect]) {
        var state = state
        var effects: [OrderEffect] = []
        for event in events {
            let decision = OrderStateMachine.apply(state, event)
            if let next = decision.newState { state = next }
            effects += decision.effects
        }
        return (state, effects)
    }

    static func permutations<T>(_ items: [T]) -> [[T]] {
        guard items.count > 1 else { return [items] }
        return items.indices.flatMap { i -> [[T]] in
            var rest = items
            let head = rest.remove(at: i)
            return permutations(rest).map { [head] + $0 }
        }
    }

    static let succeededStream = [refund(.pending), refund(.succeeded), chargeTotal]

    @Test(
        "refund.created (pending), refund.updated (succeeded) and charge.refunded in every order: refunded once",
        arguments: permutations(Array(0..<3)))
    func everyOrder(_ order: [Int]) throws {
        let events = order.map { Self.succeededStream[$0] }
        let (state, _) = Self.fold(Self.paid, events)
        #expect(state.status == .refunded && state.paymentStatus == .refunded)
        #expect(state.amountRefunded == 5000 && state.payments.count == 1)
        #expect(state.refunds.filter { $0.kind == .refund }.map(\.status) == [.succeeded])
        // Every event again, in the same order and reversed: nothing changes.
        for event in events + events.reversed() {
            guard case .noOp = OrderStateMachine.apply(state, event) else {
                Issue.record("\(event.name) applied twice")
                return
            }
        }
    }

    @Test("a pending refund counts nothing; charge.refunded does not count it once its refund object is known")
    func pendingCountsNothing() throws {
        let (state, _) = Self.fold(Self.paid, [Self.refund(.pending), Self.chargeTotal])
        #expect(state.status == .paid && state.amountRefunded == 0)
        #expect(RefundLedger.refundable(state.payments[0], refunds: state.refunds, disputes: []) == 0)
    }

    @Test("a refund object that never arrives (unmatched, late): the charge total counts what no object explains")
    func unexplainedChargeTotal() throws {
        let (state, _) = Self.fold(
            Self.paid,
            [
                Self.refund(.succeeded, id: "re_b", amount: 1900), Self.chargeTotal,
                Self.refund(.succeeded, id: "re_b", amount: 1900),
            ])
        #expect(state.status == .refunded && state.amountRefunded == 5000)
        // Once the missing refund (3100) arrives, it explains its share: still 5000, not more.
        let (late, _) = Self.fold(state, [Self.refund(.succeeded, id: "re_a", amount: 3100)])
        #expect(late.amountRefunded == 5000)
        // A refund that fails after the charge reported it is explained by its object: nothing counted.
        let (failed, _) = Self.fold(
            Self.paid, [Self.chargeTotal, Self.refund(.pending), Self.refund(.failed, failure: "declined")])
        #expect(failed.status == .paid && failed.amountRefunded == 0)
    }

    @Test("charge.refunded alone (no refund object known) still counts, cumulatively")
    func chargeTotalAlone() throws {
        let partial = OrderEvent.chargeRefunded(
            paymentIntentID: "pi_1", amountRefunded: 2000, amount: 5000, currency: "usd")
        let (state, _) = Self.fold(Self.paid, [Self.chargeTotal, partial, partial])
        #expect(state.status == .refunded && state.amountRefunded == 5000, "a lower cumulative total is old news")
    }

    @Test("pending → failed: nothing was refunded; the order needs attention and a notification goes out")
    func pendingThenFailed() throws {
        let (state, effects) = Self.fold(
            Self.paid, [Self.refund(.pending), Self.refund(.failed, failure: "insufficient_funds")])
        #expect(state.status == .paid && state.amountRefunded == 0)
        #expect(state.needsAttention)
        #expect(state.attentionReason?.contains("refund re_1 of 5000 failed (insufficient_funds)") == true)
        #expect(effects.filter { $0 == .enqueueNotification(.needsAttention) }.count == 1)
    }

    @Test("succeeded → failed after the order was refunded: the money is back, the order is confirmed again")
    func succeededThenFailedReverses() throws {
        var fulfilled = Self.paid
        fulfilled.status = .confirmed
        fulfilled.fulfillmentStatus = .success
        let (refunded, _) = Self.fold(fulfilled, [Self.refund(.succeeded)])
        #expect(refunded.status == .refunded)
        let failed = OrderStateMachine.apply(refunded, Self.refund(.failed, failure: "expired_or_canceled_card"))
        let state = try #require(failed.newState)
        #expect(state.status == .confirmed && state.paymentStatus == .paid && state.amountRefunded == 0)
        #expect(state.payments[0].amountRefunded == 0)
        #expect(state.attentionReason?.contains("the money is back on the order") == true)
        #expect(failed.effects == [.enqueueNotification(.needsAttention)])
        // The late refund.created (pending) and refund.updated (succeeded) change nothing now.
        for late in [Self.refund(.pending), Self.refund(.succeeded)] {
            #expect(OrderStateMachine.apply(state, late).newState == nil)
        }
    }

    @Test("a refund reported before its payment: the payment arrives refunded and nothing is sent")
    func refundBeforePayment() throws {
        let pending = OrderState(currentSessionID: "cs_1", amountTotal: 5000)
        let (state, effects) = Self.fold(
            pending,
            [
                Self.refund(.succeeded),
                .sessionCompleted(
                    sessionID: "cs_1", paymentStatus: .paid, paymentIntentID: "pi_1", amountTotal: 5000,
                    currency: "usd"),
            ])
        #expect(state.status == .refunded && state.amountRefunded == 5000)
        #expect(!effects.contains(.enqueueFulfillment))
    }

    @Test("two partial refunds, one failing: the order keeps what did not go back")
    func partialRefunds() throws {
        let (state, _) = Self.fold(
            Self.paid,
            [
                Self.refund(.succeeded, id: "re_a", amount: 1000), Self.refund(.pending, id: "re_b", amount: 1500),
                Self.refund(.failed, id: "re_b", amount: 1500), Self.refund(.pending, id: "re_a", amount: 1000),
            ])
        #expect(state.status == .paid && state.amountRefunded == 1000)
        #expect(RefundLedger.refundable(state.payments[0], refunds: state.refunds, disputes: []) == 4000)
    }

    @Test("an admin refund request is refused above what is refundable")
    func requestValidated() throws {
        let request = { (amount: Int64) in
            OrderEvent.refundRequested(
                RefundRequest(
                    paymentIntentID: "pi_1", amount: amount, reason: "requested_by_customer", note: nil, actor: "admin")
            )
        }
        let (state, _) = Self.fold(Self.paid, [Self.refund(.pending, id: "re_a", amount: 3000)])
        #expect(OrderStateMachine.apply(state, request(2000)).newState != nil)
        #expect(OrderStateMachine.apply(state, request(2001)).newState == nil)
        #expect(OrderStateMachine.apply(state, request(0)).newState == nil)
    }

    // MARK: - Against the database and the simulator

    @Test("over the wire: a pending refund's events reversed and duplicated, then it fails; the ledger holds")
    func pendingRefundFailsEndToEnd() throws {
        let h = try CheckoutHarness()
        try h.product("mug", amount: 2500)
        let created = try h.checkout([("mug", 2)])
        try h.deliverAll(try h.simulator.pay(sessionID: created.id))
        let intent = try #require(h.order(created.orderID).state.paymentIntentID)

        h.simulator.holdRefundsPending(true)
        let refund = try h.client.createRefund(
            paymentIntent: intent, amount: 2000, reason: "requested_by_customer",
            metadata: ["order_id": created.orderID.lowercased], idempotencyKey: "test-refund-1")
        #expect(refund.status == .pending)
        let events = h.simulator.events().filter { $0.type == "refund.created" || $0.type == "charge.refunded" }
            .map(\.id)
        #expect(events.count == 2)
        for id in events.reversed() + events { try h.deliver(id) }
        var order = try h.order(created.orderID)
        #expect(order.state.status == .paid && order.state.amountRefunded == 0, "pending is not refunded yet")

        let failed = try h.simulator.settleRefund(id: refund.id, succeed: false, failureReason: "insufficient_funds")
        for id in failed + failed.reversed() { try h.deliver(id) }
        order = try h.order(created.orderID)
        #expect(order.state.status == .paid && order.state.amountRefunded == 0)
        #expect(
            order.state.needsAttention && order.state.attentionReason?.contains("failed (insufficient_funds)") == true)
        let statuses = try h.pool.withConnection { db in
            try db.query("SELECT status FROM refunds WHERE id = $1", [refund.id]).map {
                try $0.decode("status", as: String.self)
            }
        }
        #expect(statuses == ["failed"])
        #expect(
            try h.count(
                "SELECT count(*) AS n FROM outbox_jobs WHERE kind = 'notify' AND order_id = $1", [created.orderID]) >= 1
        )

        // A second refund that succeeds: refunded in part, and the replayed key answers the same refund.
        h.simulator.holdRefundsPending(false)
        let second = try h.client.createRefund(
            paymentIntent: intent, amount: 5000, reason: nil, metadata: [:], idempotencyKey: "test-refund-2")
        let again = try h.client.createRefund(
            paymentIntent: intent, amount: 5000, reason: nil, metadata: [:], idempotencyKey: "test-refund-2")
        #expect(second.id == again.id && second.status == .succeeded)
        for event in h.simulator.events() where event.objectId == second.id || event.type == "charge.refunded" {
            try h.deliver(event.id)
        }
        order = try h.order(created.orderID)
        #expect(order.state.status == .refunded && order.state.amountRefunded == 5000)
    }

    @Test("the database refuses a payment's refunds that its refund rows do not explain, and statuses going back")
    func derivedRefundsChecked() throws {
        let h = try CheckoutHarness()
        try h.product("mug", amount: 2500)
        let created = try h.checkout([("mug", 1)])
        try h.deliverAll(try h.simulator.pay(sessionID: created.id))
        let id = created.orderID
        #expect(throws: PostgresError.self) {
            try h.pool.transaction { db in
                try db.execute(
                    "UPDATE payments SET amount_refunded = 100, status = 'partially_refunded' WHERE order_id = $1", [id]
                )
                try db.execute("UPDATE orders SET amount_refunded = 100 WHERE id = $1", [id])
            }
        }
        let intent = try #require(h.order(id).state.paymentIntentID)
        try h.pool.transaction { db in
            try db.execute(
                """
                INSERT INTO refunds (id, order_id, payment_intent_id, amount, currency, status)
                VALUES ('re_x', $1, $2, 100, 'usd', 'failed')
                """, [id, intent])
        }
        #expect(throws: PostgresError.self) {
            try h.pool.transaction { db in try db.execute("UPDATE refunds SET status = 'succeeded' WHERE id = 're_x'") }
        }
    }
}
