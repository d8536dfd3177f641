/// Something that happened to an order, in domain terms: decoupled from Stripe's JSON so the state
/// machine can be tested without payloads, and so webhook events, the success-page refresh, `sync`
/// and admin commands all go through the same rules.
public enum OrderEvent: Sendable, Equatable, Hashable {
    // MARK: From Stripe (webhooks, or a session retrieved from the API)

    /// `checkout.session.completed`. `paymentStatus` decides: paid / no_payment_required → paid,
    /// unpaid (delayed methods) → stays pending with the PaymentIntent recorded. `amountTotal` and
    /// `currency` are what Stripe says was paid; a settled completion without them confirms nothing
    /// (the session is checked at Stripe instead).
    case sessionCompleted(
        sessionID: String, paymentStatus: SessionPaymentOutcome, paymentIntentID: String?, amountTotal: Int64?,
        currency: String?)
    /// `checkout.session.async_payment_succeeded`.
    case asyncPaymentSucceeded(sessionID: String, paymentIntentID: String?, amountTotal: Int64?, currency: String?)
    /// `checkout.session.async_payment_failed`.
    case asyncPaymentFailed(sessionID: String, paymentIntentID: String?, reason: String?)
    /// `checkout.session.expired`.
    case sessionExpired(sessionID: String)
    /// `payment_intent.payment_failed` or `charge.failed`: a declined attempt (a later success still wins).
    case paymentFailed(paymentIntentID: String, reason: String?)
    /// `charge.refunded`: `amountRefunded` is cumulative; `amount` and `currency` are the charge's. It
    /// applies to the order's payment with that PaymentIntent; a charge Stripe refunded was paid, so a
    /// refund that arrives before its payment's event records that payment from the charge.
    case chargeRefunded(paymentIntentID: String?, amountRefunded: Int64, amount: Int64, currency: String?)
    /// `refund.created` / `.updated` / `.failed`, `charge.refund.updated`, or Stripe's answer to an admin
    /// refund: one refund object, recorded by its id (status only moves forward).
    case refundObserved(RefundObservation)
    /// `charge.dispute.*`: one dispute object (its `status` decides, never the event type).
    case disputeObserved(DisputeObservation)
    /// `radar.early_fraud_warning.created` / `.updated`.
    case fraudWarningObserved(FraudWarningObservation)
    /// `invoice.paid` of a subscription renewal (`billing_reason=subscription_cycle`), applied to the
    /// renewal order made for that invoice: `amount` (`amount_paid`) and `currency` are what Stripe
    /// collected. See `OrderStateMachine+Renewals.swift`.
    case invoicePaid(invoiceID: String, amount: Int64, currency: String)

    // MARK: Commands (admin, retry-session, the outbox worker)

    /// Admin manual reconcile of an unpaid order; `note` is required and lands in history.
    /// `expiredSessionID` is the session the admin's request expired at Stripe before (nil: the order
    /// had none). It means something only while it is still the order's current session: otherwise a
    /// new session may be open and payable, and the command is refused so the caller expires that one.
    case markPaid(note: String, actor: String, expiredSessionID: String?)
    /// retry-session, step 1: prepare a new payment attempt (order back to pending, stock re-reserved,
    /// current session cleared so the old session's late events change nothing). A no-op for a
    /// pending order that already has no session. The attempt counter itself is bumped by the
    /// service right before each Stripe call.
    case beginRetry
    /// A Checkout Session was created for the current attempt (create and retry-session, step 2).
    case sessionCreated(sessionID: String)
    /// The outbox worker delivered the order to fulfillment.
    case fulfillmentSucceeded(reference: String?)
    /// The outbox worker gave up on fulfillment (retries exhausted).
    case fulfillmentFailed(error: String)
    /// Admin refund, step 1 (before Stripe is called): validated against the payment, written to history.
    case refundRequested(RefundRequest)
    /// Admin retry of a failed fulfillment.
    case retryFulfillment
    /// Admin cancel of an unpaid order (docs/API.md §3; gives the stock back).
    case cancel(reason: String)
    /// Reconciler: a pending order that never got a Checkout Session (Stripe failed and nobody
    /// retried) held its stock longer than a session would have lived: it ends `expired`.
    case reservationExpired
    /// Reconciler: an order that ended without payment (failed / expired / cancelled) still holds
    /// reserved stock (a repair of manual edits or bugs): the reservation is released.
    case releaseEndedReservation
    /// Reconciler: a paid order's fulfillment is pending but its `fulfill` job is finished or missing
    /// (a crash between the two): the job is enqueued again.
    case requeueFulfillment

    /// A short stable name (for history reasons, logs and test names).
    public var name: String {
        switch self {
        case .sessionCompleted(_, let status, _, _, _): return "session_completed(\(status.rawValue))"
        case .asyncPaymentSucceeded: return "async_payment_succeeded"
        case .asyncPaymentFailed: return "async_payment_failed"
        case .sessionExpired: return "session_expired"
        case .paymentFailed: return "payment_failed"
        case .chargeRefunded: return "charge_refunded"
        case .refundObserved: return "refund_observed"
        case .disputeObserved: return "dispute_observed"
        case .fraudWarningObserved: return "fraud_warning_observed"
        case .refundRequested: return "refund_requested"
        case .invoicePaid: return "invoice_paid"
        case .markPaid: return "mark_paid"
        case .beginRetry: return "begin_retry"
        case .sessionCreated: return "session_created"
        case .fulfillmentSucceeded: return "fulfillment_succeeded"
        case .fulfillmentFailed: return "fulfillment_failed"
        case .retryFulfillment: return "retry_fulfillment"
        case .cancel: return "cancel"
        case .reservationExpired: return "reservation_expired"
        case .releaseEndedReservation: return "release_ended_reservation"
        case .requeueFulfillment: return "requeue_fulfillment"
        }
    }
}

/// A Checkout Session's `payment_status` as the domain sees it.
public enum SessionPaymentOutcome: String, Sendable, Hashable, CaseIterable {
    case paid
    case unpaid
    case noPaymentRequired = "no_payment_required"

    /// True when the customer's money (or no money needed) is final.
    public var isSettled: Bool { self != .unpaid }
}
