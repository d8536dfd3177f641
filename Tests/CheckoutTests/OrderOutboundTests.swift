import Checkout
import Testing

/// ``OrderOutbound``: which order webhook events a transition produces, read off the states alone, and
/// the signature scheme of the order webhook.
@Suite("order outbound events")
struct OrderOutboundTests {
    static let total: Int64 = 5000
    static let pending = OrderState(currentSessionID: "cs_1", amountTotal: total)
    static let paid = OrderState(
        status: .paid, paymentStatus: .paid, fulfillmentStatus: .pending, currentSessionID: "cs_1",
        paymentIntentID: "pi_1", amountTotal: total, amountReceived: total)
    static let confirmed = OrderState(
        status: .confirmed, paymentStatus: .paid, fulfillmentStatus: .success, currentSessionID: "cs_1",
        paymentIntentID: "pi_1", amountTotal: total, amountReceived: total)
    static let partlyRefunded = OrderState(
        status: .confirmed, paymentStatus: .paid, fulfillmentStatus: .success, currentSessionID: "cs_1",
        paymentIntentID: "pi_1", amountTotal: total, amountReceived: total, amountRefunded: 1000)
    static let refunded = OrderState(
        status: .refunded, paymentStatus: .refunded, fulfillmentStatus: .success, currentSessionID: "cs_1",
        paymentIntentID: "pi_1", amountTotal: total, amountReceived: total, amountRefunded: total)
    static let failed = OrderState(
        status: .failed, paymentStatus: .failed, currentSessionID: "cs_1", amountTotal: total, stockReserved: false,
        failureReason: "declined")
    static let expired = OrderState(
        status: .expired, paymentStatus: .expired, currentSessionID: "cs_1", amountTotal: total,
        stockReserved: false)
    static let flagged = OrderState(
        status: .paid, paymentStatus: .paid, fulfillmentStatus: .failed, currentSessionID: "cs_1",
        paymentIntentID: "pi_1", amountTotal: total, amountReceived: total, needsAttention: true,
        attentionReason: "fulfillment failed: boom", fulfillmentError: "boom")
    static let flaggedTwice = OrderState(
        status: .paid, paymentStatus: .paid, fulfillmentStatus: .failed, currentSessionID: "cs_1",
        paymentIntentID: "pi_1", amountTotal: total, amountReceived: total, needsAttention: true,
        attentionReason: "fulfillment failed: boom; second payment pi_2 received: refund one",
        fulfillmentError: "boom")

    @Test(
        "events of a transition",
        arguments: [
            ("paid", pending, paid, ["order.paid"]),
            ("confirmed", paid, confirmed, ["order.confirmed"]),
            ("failed", pending, failed, ["order.failed"]),
            ("expired", pending, expired, ["order.expired"]),
            ("new attempt", failed, pending, ["order.pending_payment"]),
            ("partial refund", confirmed, partlyRefunded, ["order.partially_refunded"]),
            ("full refund", partlyRefunded, refunded, ["order.refunded"]),
            ("fulfillment failed", paid, flagged, ["order.needs_attention"]),
            ("another reason", flagged, flaggedTwice, ["order.needs_attention"]),
            ("fulfilled after all", flagged, confirmed, ["order.confirmed", "order.attention_cleared"]),
            ("nothing an outsider sees", pending, pending, []),
        ])
    func events(name: String, before: OrderState, after: OrderState, expected: [String]) {
        #expect(OrderOutbound.webhookEvents(from: before, to: after) == expected, "\(name)")
        for type in OrderOutbound.webhookEvents(from: before, to: after) {
            #expect(OrderOutbound.webhookEventTypes.contains(type))
        }
    }

    @Test("a session created for a pending order changes nothing outside: no event")
    func sessionCreatedIsSilent() throws {
        let next = try #require(
            OrderStateMachine.apply(OrderState(amountTotal: 100), .sessionCreated(sessionID: "cs_2")).newState)
        #expect(OrderOutbound.webhookEvents(from: OrderState(amountTotal: 100), to: next).isEmpty)
    }

    @Test("a payment whose fulfillment is held for a mismatch: paid and needs attention, in that order")
    func mismatchedPayment() throws {
        let decision = OrderStateMachine.apply(
            Self.pending,
            .sessionCompleted(
                sessionID: "cs_1", paymentStatus: .paid, paymentIntentID: "pi_1", amountTotal: 4000, currency: "usd"))
        let next = try #require(decision.newState)
        #expect(OrderOutbound.webhookEvents(from: Self.pending, to: next) == ["order.paid", "order.needs_attention"])
    }

    @Test("Checkout-Signature is Stripe's scheme: t, then v1 = hex HMAC-SHA256(secret, \"t.body\")")
    func signatureVector() {
        // Computed independently: python3 -c 'import hmac,hashlib; print(hmac.new(
        //   b"whsec_order_test_0123456789", b"1700000000.{\"id\":\"oevt_1\"}", hashlib.sha256).hexdigest())'
        let header = OrderWebhookJob.signature(
            body: Array(#"{"id":"oevt_1"}"#.utf8), secret: "whsec_order_test_0123456789", timestamp: 1_700_000_000)
        #expect(header == "t=1700000000,v1=dd019cfaa88e8bc0c2305260fbc9d02c4559f2660138badc6706e1351da4928b")
    }
}
