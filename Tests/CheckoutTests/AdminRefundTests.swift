import Foundation
import Postgres
import Stripe
import StripeSimulator
import Testing

@testable import Checkout

/// Admin refunds (docs/API.md §3, POST /api/admin/orders/:id/refunds): validated per payment, sent
/// with an Idempotency-Key derived from the request so a doubled submit refunds once, recorded until
/// Stripe's events settle them; restock through the stock ledger; the refund of a duplicate payment.
@Suite("Admin refunds")
struct AdminRefundTests {
    /// A paid order of `quantity` mugs at 2500 (stock 5), its events delivered.
    static func paidOrder(_ h: CheckoutHarness, quantity: Int = 2) throws -> CheckoutSessionResult {
        try h.product("mug", amount: 2500, stock: 5)
        let created = try h.checkout([("mug", quantity)])
        try h.deliverAll(try h.simulator.pay(sessionID: created.id))
        return created
    }

    static func stripeRefunds(_ h: CheckoutHarness) -> Int {
        h.simulator.events(type: "refund.created").count
    }

    @Test("a partial refund is recorded from Stripe's answer; its events change nothing more")
    func partialRefund() throws {
        let h = try CheckoutHarness()
        let created = try Self.paidOrder(h)
        let order = try h.service.refund(
            orderID: created.orderID, AdminRefundRequest(amount: 1000, reason: "requested_by_customer", note: "broken"))
        #expect(order.amountRefunded == 1000 && order.order.status == .paid)
        let refund = try #require(order.refunds?.first)
        #expect(refund.status == "succeeded" && refund.requestedBy == "admin" && refund.note == "broken")
        #expect(order.refundStatus == "partial")
        for event in h.simulator.events() where event.type.hasPrefix("refund.") || event.type == "charge.refunded" {
            try h.deliver(event.id)
        }
        let after = try h.service.adminOrder(created.orderID)
        #expect(after.amountRefunded == 1000 && after.refunds?.count == 1)
        #expect(after.history?.contains { $0.reason.contains("requested by admin") } == true)
    }

    @Test("a concurrent double submit of the same refund makes one Stripe refund, and so does a late third")
    func doubleSubmitRefundsOnce() throws {
        let h = try CheckoutHarness()
        let created = try Self.paidOrder(h)
        let request = AdminRefundRequest(amount: 1500, reason: "requested_by_customer")
        let results = concurrently(2) { _ in
            Result { () throws(CheckoutError) in try h.service.refund(orderID: created.orderID, request) }
        }
        #expect(results.contains { if case .success = $0 { true } else { false } })
        #expect(Self.stripeRefunds(h) == 1, "one refund at Stripe")
        // The same submit once more after both finished (a late second click): still one refund.
        let again = try h.service.refund(orderID: created.orderID, request)
        #expect(Self.stripeRefunds(h) == 1)
        #expect(again.refunds?.count == 1 && again.amountRefunded == 1500)
    }

    @Test("more than the payment can still refund is refused, pending refunds counted; nothing reaches Stripe")
    func validatedPerPayment() throws {
        let h = try CheckoutHarness()
        let created = try Self.paidOrder(h)
        h.simulator.holdRefundsPending(true)
        _ = try h.service.refund(
            orderID: created.orderID, AdminRefundRequest(amount: 3000, reason: "requested_by_customer"))
        let intent = try #require(try h.order(created.orderID).state.paymentIntentID)
        #expect(throws: CheckoutError.validation(field: "amount", message: "exceeds the 2000 refundable of \(intent)"))
        {
            try h.service.refund(orderID: created.orderID, AdminRefundRequest(amount: 2001, reason: "fraudulent"))
        }
        #expect(throws: CheckoutError.self) {
            try h.service.refund(
                orderID: created.orderID, AdminRefundRequest(reason: "duplicate", paymentID: "pi_not_this_order"))
        }
        #expect(Self.stripeRefunds(h) == 1)
        let order = try h.service.adminOrder(created.orderID)
        #expect(order.refundStatus == "pending" && order.amountRefunded == 0)
    }

    @Test("a full refund with restock returns the units once it succeeded")
    func restock() throws {
        let h = try CheckoutHarness()
        let created = try Self.paidOrder(h)
        #expect(try h.stock("mug") == 3)
        h.simulator.holdRefundsPending(true)
        let pending = try h.service.refund(
            orderID: created.orderID, AdminRefundRequest(reason: "requested_by_customer", restock: true))
        #expect(try h.stock("mug") == 3, "not before the money went back")
        let id = try #require(pending.refunds?.first?.id)
        for event in try h.simulator.settleRefund(id: id, succeed: true) { try h.deliver(event) }
        let order = try h.service.adminOrder(created.orderID)
        #expect(order.order.status == .refunded && order.amountRefunded == 5000)
        #expect(try h.stock("mug") == 5)
        #expect(order.reservations?.map(\.status) == ["returned"])
        #expect(throws: CheckoutError.self) {
            try h.service.refund(
                orderID: created.orderID, AdminRefundRequest(amount: 1, reason: "requested_by_customer"))
        }
    }

    @Test("a second payment of an order is refunded by its paymentId; the flag goes, the order stays paid")
    func duplicatePaymentRefund() throws {
        let h = try CheckoutHarness()
        let created = try Self.paidOrder(h)
        let first = try h.order(created.orderID)
        // A second session Stripe made for the order (as a superseded, still open session would be).
        let second = try h.client.createCheckoutSession(
            CheckoutSessionCreateParams(
                lineItems: [.init(name: "Title of mug", unitAmount: 2500, currency: "usd", quantity: 2)],
                successURL: "http://shop.test/ok", cancelURL: "http://shop.test/no",
                clientReferenceID: first.orderNumber, metadata: ["order_id": created.orderID.lowercased],
                paymentIntentMetadata: ["order_id": created.orderID.lowercased], customerEmail: nil, expiresAt: nil),
            idempotencyKey: "second-session")
        try h.deliverAll(try h.simulator.pay(sessionID: second.id))
        var order = try h.service.adminOrder(created.orderID)
        #expect(order.needsAttention && order.payments?.count == 2)
        let duplicate = try #require(order.payments?.last?.paymentIntentId)
        #expect(throws: CheckoutError.self, "two refundable payments: which one?") {
            try h.service.refund(orderID: created.orderID, AdminRefundRequest(reason: "duplicate"))
        }
        order = try h.service.refund(
            orderID: created.orderID, AdminRefundRequest(reason: "duplicate", paymentID: duplicate))
        #expect(order.order.status == .paid && order.amountRefunded == 5000 && order.amountReceived == 10_000)
        #expect(order.needsAttention == false, "\(order.attentionReason ?? "")")
    }

    @Test("admin filters refundStatus= and disputeStatus=")
    func filters() throws {
        let h = try CheckoutHarness()
        let refunded = try Self.paidOrder(h, quantity: 1)
        let disputed = try h.checkout([("mug", 1)])
        try h.deliverAll(try h.simulator.pay(sessionID: disputed.id))
        _ = try h.service.refund(
            orderID: refunded.orderID, AdminRefundRequest(amount: 100, reason: "requested_by_customer"))
        let opened = try h.simulator.openDispute(sessionID: disputed.id)
        for id in opened.events { try h.deliver(id) }
        func ids(_ parameters: [String: String]) throws -> [UUID] {
            try h.service.adminOrders(try AdminOrderQuery.parse(parameters)).orders.map {
                UUID(uuidString: $0.order.id)!
            }
        }
        #expect(try ids(["refundStatus": "succeeded"]) == [refunded.orderID])
        #expect(try ids(["refundStatus": "none"]) == [disputed.orderID])
        #expect(try ids(["disputeStatus": "needs_response"]) == [disputed.orderID])
        #expect(try ids(["disputeStatus": "none"]) == [refunded.orderID])
        #expect(try ids(["disputeStatus": "lost"]).isEmpty)
        #expect(throws: CheckoutError.validation(field: "disputeStatus", message: "unknown dispute status")) {
            try AdminOrderQuery.parse(["disputeStatus": "funds_reinstated"])
        }
        let detail = try h.service.adminOrder(disputed.orderID)
        #expect(detail.disputeStatus == "needs_response" && detail.disputes?.first?.evidenceDueBy != nil)
    }

    @Test(
        "the request body is validated field by field",
        arguments: [
            (#"{"reason":"changed_mind"}"#, "reason"), (#"{"amount":0,"reason":"duplicate"}"#, "amount"),
            (#"{"amount":1.5,"reason":"duplicate"}"#, "amount"), (#"{"amount":"5","reason":"duplicate"}"#, "amount"),
            (#"{"reason":"duplicate","restock":"yes"}"#, "restock"), (#"{"reason":"duplicate","extra":1}"#, "extra"),
            (#"{"amount":5}"#, "reason"), (#"{"reason":"duplicate","paymentId":""}"#, "paymentId"),
        ])
    func bodyValidated(body: String, field: String) throws {
        var refused: String?
        do {
            _ = try AdminRefundRequest.parse(Array(body.utf8))
        } catch {
            if case .validation(let f, _) = error { refused = f }
        }
        #expect(refused == field)
    }
}
