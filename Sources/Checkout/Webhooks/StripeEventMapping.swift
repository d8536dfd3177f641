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
    /// nil for event types we do not handle (stored as ignored).
    public var event: OrderEvent?

    /// The event types that change orders.
    public static let handledTypes: Set<String> = [
        "checkout.session.completed", "checkout.session.async_payment_succeeded",
        "checkout.session.async_payment_failed", "checkout.session.expired", "payment_intent.payment_failed",
        "charge.failed", "charge.refunded", "refund.created", "refund.updated", "refund.failed",
        "charge.refund.updated", "charge.dispute.created", "charge.dispute.updated", "charge.dispute.closed",
        "charge.dispute.funds_withdrawn", "charge.dispute.funds_reinstated", "radar.early_fraud_warning.created",
        "radar.early_fraud_warning.updated",
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
            switch type {
            case "checkout.session.completed":
                self.event = .sessionCompleted(
                    sessionID: session.id, paymentStatus: snapshot.paymentStatus ?? .unpaid,
                    paymentIntentID: session.paymentIntent, amountTotal: session.amountTotal,
                    currency: session.currency)
            case "checkout.session.async_payment_succeeded":
                self.event = .asyncPaymentSucceeded(
                    sessionID: session.id, paymentIntentID: session.paymentIntent, amountTotal: session.amountTotal,
                    currency: session.currency)
            case "checkout.session.async_payment_failed":
                self.event = .asyncPaymentFailed(
                    sessionID: session.id, paymentIntentID: session.paymentIntent, reason: "delayed payment failed")
            case "checkout.session.expired":
                self.event = .sessionExpired(sessionID: session.id)
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
        case (let type, .refund(let refund)) where type.hasPrefix("refund.") || type == "charge.refund.updated":
            orderIDHint = refund.metadata["order_id"].flatMap(UUID.init(uuidString:))
            paymentIntentID = refund.paymentIntent
            currency = refund.currency
            self.event = .refundObserved(Self.observation(refund))
        case (let type, .dispute(let dispute)) where type.hasPrefix("charge.dispute."):
            paymentIntentID = dispute.paymentIntent
            currency = dispute.currency
            self.event = .disputeObserved(
                DisputeObservation(
                    id: dispute.id, paymentIntentID: dispute.paymentIntent, chargeID: dispute.charge,
                    amount: dispute.amount, currency: dispute.currency, reason: dispute.reason, status: dispute.status,
                    evidenceDueBy: dispute.evidenceDueBy))
        case (let type, .earlyFraudWarning(let warning)) where type.hasPrefix("radar.early_fraud_warning."):
            paymentIntentID = warning.paymentIntent
            self.event = .fraudWarningObserved(
                FraudWarningObservation(
                    id: warning.id, paymentIntentID: warning.paymentIntent, chargeID: warning.charge,
                    fraudType: warning.fraudType, actionable: warning.actionable))
        default:
            self.event = nil
        }
    }

    /// A refund object in domain terms. `requested_by` and `restock` come from the metadata our admin
    /// refunds set (``RefundMetadata``), so whichever of the API answer and the events arrives first
    /// records them.
    public static func observation(_ refund: Refund, note: String? = nil) -> RefundObservation {
        RefundObservation(
            id: refund.id, paymentIntentID: refund.paymentIntent, amount: refund.amount, currency: refund.currency,
            status: RefundStatus(rawValue: refund.status.rawValue), reason: refund.reason,
            failureReason: refund.failureReason, requestedBy: refund.metadata[RefundMetadata.requestedBy],
            note: note, restock: refund.metadata[RefundMetadata.restock] == "true")
    }
}

/// The metadata keys of the refunds this server creates.
public enum RefundMetadata {
    public static let orderID = "order_id"
    public static let requestedBy = "requested_by"
    public static let restock = "restock"
}
