/// A refund object as Stripe reported it (`refund.created`, `refund.updated`, `refund.failed`,
/// `charge.refund.updated`, or the answer to our `POST /v1/refunds`), in domain terms.
public struct RefundObservation: Sendable, Equatable, Hashable {
    public var id: String
    public var paymentIntentID: String?
    public var amount: Int64
    public var currency: String?
    /// nil: a status this code does not know (the refund is not recorded until a known one arrives).
    public var status: RefundStatus?
    public var reason: String?
    public var failureReason: String?
    /// Set when an admin started it here (from the admin's request, never from Stripe's payload).
    public var requestedBy: String?
    public var note: String?
    public var restock: Bool

    public init(
        id: String, paymentIntentID: String?, amount: Int64, currency: String?, status: RefundStatus?,
        reason: String? = nil, failureReason: String? = nil, requestedBy: String? = nil, note: String? = nil,
        restock: Bool = false
    ) {
        self.id = id
        self.paymentIntentID = paymentIntentID
        self.amount = amount
        self.currency = currency
        self.status = status
        self.reason = reason
        self.failureReason = failureReason
        self.requestedBy = requestedBy
        self.note = note
        self.restock = restock
    }
}

/// An admin asked to refund `amount` of the Stripe payment `paymentIntentID` (before Stripe is called):
/// validated against what that payment can still refund, recorded in the history.
public struct RefundRequest: Sendable, Equatable, Hashable {
    public var paymentIntentID: String
    public var amount: Int64
    public var reason: String
    public var note: String?
    public var actor: String

    public init(paymentIntentID: String, amount: Int64, reason: String, note: String?, actor: String) {
        self.paymentIntentID = paymentIntentID
        self.amount = amount
        self.reason = reason
        self.note = note
        self.actor = actor
    }
}

/// A dispute object as a `charge.dispute.*` event carried it.
public struct DisputeObservation: Sendable, Equatable, Hashable {
    public var id: String
    public var paymentIntentID: String?
    public var chargeID: String?
    public var amount: Int64
    public var currency: String?
    public var reason: String?
    /// The object's `status`: the only thing that says how it ended.
    public var status: String
    public var evidenceDueBy: Int64?

    public init(
        id: String, paymentIntentID: String?, chargeID: String?, amount: Int64, currency: String?, reason: String?,
        status: String, evidenceDueBy: Int64?
    ) {
        self.id = id
        self.paymentIntentID = paymentIntentID
        self.chargeID = chargeID
        self.amount = amount
        self.currency = currency
        self.reason = reason
        self.status = status
        self.evidenceDueBy = evidenceDueBy
    }
}

/// A Radar early fraud warning as `radar.early_fraud_warning.created` / `.updated` carried it.
public struct FraudWarningObservation: Sendable, Equatable, Hashable {
    public var id: String
    public var paymentIntentID: String?
    public var chargeID: String?
    public var fraudType: String?
    public var actionable: Bool

    public init(id: String, paymentIntentID: String?, chargeID: String?, fraudType: String?, actionable: Bool) {
        self.id = id
        self.paymentIntentID = paymentIntentID
        self.chargeID = chargeID
        self.fraudType = fraudType
        self.actionable = actionable
    }
}
