import Foundation
import Stripe

/// What a Stripe event means for the domain: how to find its order and which ``OrderEvent`` it is.
/// Pure; the webhook processor does the I/O.
public struct StripeEventMapping: Sendable, Equatable {
    /// `metadata.order_id` of the object (sessions and PaymentIntents carry it; we set both).
    public var orderIDHint: UUID?
    /// The Checkout Session the event is about, when it is about one.
    public var sessionID: String?
    /// The PaymentIntent the event is about, when known.
    public var paymentIntentID: String?
    /// The session's new status and payment status, to record on `checkout_sessions`.
    public var sessionStatus: PaymentSession.Status?
    public var sessionPaymentStatus: String?
    /// The session's `client_reference_id` (we set the order number) and `currency`, to cross-check
    /// a session we never stored and the money that arrived.
    public var clientReferenceID: String?
    public var currency: String?
    /// `recovered_from` of a session Stripe made from an expired one's recovery link.
    public var recoveredFrom: String?
    /// nil for event types we do not handle (stored as ignored).
    public var event: OrderEvent?

    /// The event types that change orders.
    public static let handledTypes: Set<String> = [
        "checkout.session.completed", "checkout.session.async_payment_succeeded",
        "checkout.session.async_payment_failed", "checkout.session.expired", "payment_intent.payment_failed",
        "charge.failed", "charge.refunded",
    ]

    /// Maps `event` (a type we handle with the object we expect, or nothing).
    public init(_ stripeEvent: StripeEvent) {
        switch (stripeEvent.type, stripeEvent.object) {
        case (let type, .checkoutSession(let session)) where type.hasPrefix("checkout.session."):
            let snapshot = PaymentSession(session)
            orderIDHint = session.metadata["order_id"].flatMap(UUID.init(uuidString:))
            sessionID = session.id
            paymentIntentID = session.paymentIntent
            sessionStatus = snapshot.status
            sessionPaymentStatus = session.paymentStatus.rawValue
            clientReferenceID = session.clientReferenceID
            currency = session.currency
            recoveredFrom = snapshot.recoveredFrom
            switch type {
            case "checkout.session.completed":
                self.event = .sessionCompleted(
                    sessionID: session.id, paymentStatus: snapshot.paymentStatus ?? .unpaid,
                    paymentIntentID: session.paymentIntent, amountTotal: session.amountTotal,
                    currency: session.currency, totals: snapshot.totals)
            case "checkout.session.async_payment_succeeded":
                self.event = .asyncPaymentSucceeded(
                    sessionID: session.id, paymentIntentID: session.paymentIntent, amountTotal: session.amountTotal,
                    currency: session.currency, totals: snapshot.totals)
            case "checkout.session.async_payment_failed":
                self.event = .asyncPaymentFailed(
                    sessionID: session.id, paymentIntentID: session.paymentIntent, reason: "delayed payment failed")
            case "checkout.session.expired":
                self.event = .sessionExpired(sessionID: session.id, recovery: snapshot.recovery)
            default:
                self.event = nil
            }
        case ("payment_intent.payment_failed", .paymentIntent(let intent)):
            orderIDHint = intent.metadata["order_id"].flatMap(UUID.init(uuidString:))
            paymentIntentID = intent.id
            self.event = .paymentFailed(paymentIntentID: intent.id, reason: intent.lastPaymentError?.message)
        case ("charge.failed", .charge(let charge)):
            orderIDHint = charge.metadata["order_id"].flatMap(UUID.init(uuidString:))
            paymentIntentID = charge.paymentIntent
            self.event = charge.paymentIntent.map { .paymentFailed(paymentIntentID: $0, reason: charge.failureMessage) }
        case ("charge.refunded", .charge(let charge)):
            orderIDHint = charge.metadata["order_id"].flatMap(UUID.init(uuidString:))
            paymentIntentID = charge.paymentIntent
            currency = charge.currency
            self.event = .chargeRefunded(
                paymentIntentID: charge.paymentIntent, amountRefunded: charge.amountRefunded, amount: charge.amount,
                currency: charge.currency)
        default:
            self.event = nil
        }
    }
}
