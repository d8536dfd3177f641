import Foundation
import Postgres
import Stripe
import StripeSimulator
import Testing

@testable import Checkout

/// Disputes and early fraud warnings (docs/invariants.md D1–D3): the outcome is the dispute object's
/// status, never the event type; a lost dispute is money returned; a new dispute or warning holds
/// fulfillment that has not started.
@Suite("Disputes and early fraud warnings")
struct DisputeLedgerTests {
    static let paid = RefundLedgerTests.paid

    static func dispute(_ status: String, amount: Int64 = 5000) -> OrderEvent {
        .disputeObserved(
            DisputeObservation(
                id: "du_1", paymentIntentID: "pi_1", chargeID: "ch_1", amount: amount, currency: "usd",
                reason: "fraudulent", status: status, evidenceDueBy: 1_800_000_000))
    }

    @Test("a lost dispute is money returned, whichever event carried it (funds_reinstated included)")
    func lostIsMoneyReturned() throws {
        let (state, effects) = RefundLedgerTests.fold(
            Self.paid, [Self.dispute("needs_response"), Self.dispute("under_review"), Self.dispute("lost")])
        #expect(state.status == .refunded && state.amountRefunded == 5000)
        #expect(state.attentionReason?.contains("dispute du_1 lost") == true)
        #expect(effects.contains(.enqueueNotification(.needsAttention)))
        #expect(OrderStateMachine.disputeStatus(state.disputes) == "lost")
    }

    @Test("a won dispute keeps the money; its late created/updated events change nothing", arguments: [true, false])
    func wonKeepsMoney(reversed: Bool) throws {
        let stream = [Self.dispute("needs_response"), Self.dispute("under_review"), Self.dispute("won")]
        let (state, _) = RefundLedgerTests.fold(Self.paid, reversed ? stream.reversed() : stream)
        #expect(state.amountRefunded == 0 && state.status == .paid)
        #expect(OrderStateMachine.disputeStatus(state.disputes) == "won")
        for event in stream { #expect(OrderStateMachine.apply(state, event).newState == nil) }
    }

    @Test("lost then a late needs_response (reordered delivery): still lost, still refunded")
    func lostStaysLost() throws {
        let (state, _) = RefundLedgerTests.fold(Self.paid, [Self.dispute("lost"), Self.dispute("needs_response")])
        #expect(state.status == .refunded && state.disputes.map(\.status) == ["lost"])
    }

    @Test("a new dispute holds fulfillment that has not started and says when evidence is due")
    func disputeHoldsFulfillment() throws {
        let decision = OrderStateMachine.apply(Self.paid, Self.dispute("needs_response"))
        let state = try #require(decision.newState)
        #expect(state.fulfillmentStatus == .failed && state.fulfillmentError?.hasPrefix("held: dispute du_1") == true)
        #expect(state.needsAttention && state.attentionReason?.contains("evidence due 2027-01-15") == true)
        var confirmed = Self.paid
        confirmed.status = .confirmed
        confirmed.fulfillmentStatus = .success
        let shipped = try #require(OrderStateMachine.apply(confirmed, Self.dispute("needs_response")).newState)
        #expect(shipped.fulfillmentStatus == .success, "goods already sent stay sent")
    }

    @Test("an early fraud warning before fulfillment holds it and asks for a refund when actionable")
    func fraudWarningBeforeFulfillment() throws {
        let warning = OrderEvent.fraudWarningObserved(
            FraudWarningObservation(
                id: "issfr_1", paymentIntentID: "pi_1", chargeID: "ch_1", fraudType: "unauthorized_use_of_card",
                actionable: true))
        let decision = OrderStateMachine.apply(Self.paid, warning)
        let state = try #require(decision.newState)
        #expect(state.fulfillmentStatus == .failed)
        #expect(state.attentionReason?.contains("refund now to prevent a dispute") == true)
        #expect(decision.effects == [.enqueueNotification(.needsAttention)])
        #expect(OrderStateMachine.apply(state, warning).newState == nil, "a duplicate changes nothing")
    }

    @Test("over the wire: a dispute opened and lost through the simulator; a warning before fulfillment")
    func disputeEndToEnd() throws {
        let h = try CheckoutHarness()
        try h.product("mug", amount: 2500)
        let created = try h.checkout([("mug", 1)])
        let paid = try h.simulator.pay(sessionID: created.id)
        // The fulfillment job has not run: the warning holds it.
        try h.deliverAll(paid)
        let warning = try h.simulator.raiseFraudWarning(sessionID: created.id, actionable: true)
        for id in warning.events { try h.deliver(id) }
        var order = try h.order(created.orderID)
        #expect(order.state.fulfillmentStatus == .failed && order.state.needsAttention)

        let opened = try h.simulator.openDispute(sessionID: created.id)
        let closed = try h.simulator.updateDispute(id: opened.id, status: "lost")
        for id in (opened.events + closed).reversed() { try h.deliver(id) }
        order = try h.order(created.orderID)
        #expect(order.state.status == .refunded && order.state.amountRefunded == 2500)
        let statuses = try h.pool.withConnection { db in
            try db.query("SELECT status FROM disputes WHERE id = $1", [opened.id]).map {
                try $0.decode("status", as: String.self)
            }
        }
        #expect(statuses == ["lost"])
    }
}
