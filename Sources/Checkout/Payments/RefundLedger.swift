import Foundation

/// A refund's status at Stripe. It only moves forward (``rank``): pending / requires_action → succeeded →
/// failed / canceled; a refund can fail after it succeeded (the money goes back to the merchant).
public enum RefundStatus: String, Sendable, Hashable, Codable, CaseIterable {
    case pending
    case requiresAction = "requires_action"
    case succeeded
    case failed
    case canceled

    /// 0 open, 1 succeeded, 2 ended without the money going back (the `refunds_guard` trigger ranks the same).
    public var rank: Int {
        switch self {
        case .pending, .requiresAction: return 0
        case .succeeded: return 1
        case .failed, .canceled: return 2
        }
    }
}

/// One row of the refunds ledger (`refunds`): a Stripe refund of one payment, or (``Kind/chargeTotal``)
/// the cumulative total a `charge.refunded` event reported for a payment none of whose refund objects
/// is known.
public struct RefundEntry: Sendable, Equatable, Hashable, Codable {
    public enum Kind: String, Sendable, Hashable, Codable {
        case refund
        case chargeTotal = "charge_total"
    }

    public var id: String
    public var paymentIntentID: String
    public var kind: Kind
    /// Minor units of ``currency``.
    public var amount: Int64
    public var currency: String
    public var status: RefundStatus
    /// Stripe's `reason` (`requested_by_customer`, `duplicate`, `fraudulent`, …).
    public var reason: String?
    /// Stripe's `failure_reason` once it failed.
    public var failureReason: String?
    /// The admin who started it here, and their note; nil for refunds made elsewhere.
    public var requestedBy: String?
    public var note: String?
    /// Return the order's units to stock once the refund succeeded.
    public var restock: Bool

    public init(
        id: String, paymentIntentID: String, kind: Kind = .refund, amount: Int64, currency: String,
        status: RefundStatus, reason: String? = nil, failureReason: String? = nil, requestedBy: String? = nil,
        note: String? = nil, restock: Bool = false
    ) {
        self.id = id
        self.paymentIntentID = paymentIntentID
        self.kind = kind
        self.amount = amount
        self.currency = currency
        self.status = status
        self.reason = reason
        self.failureReason = failureReason
        self.requestedBy = requestedBy
        self.note = note
        self.restock = restock
    }

    /// The id of a payment's charge-total row.
    public static func chargeTotalID(_ paymentIntentID: String) -> String { "charge_total:" + paymentIntentID }
}

/// One row of the disputes ledger (`disputes`). ``status`` is the dispute object's, never the event type's.
public struct DisputeEntry: Sendable, Equatable, Hashable, Codable {
    public var id: String
    public var paymentIntentID: String
    public var chargeID: String?
    public var amount: Int64
    public var currency: String
    public var reason: String?
    public var status: String
    /// `evidence_details.due_by`, Unix seconds.
    public var evidenceDueBy: Int64?

    public init(
        id: String, paymentIntentID: String, chargeID: String? = nil, amount: Int64, currency: String,
        reason: String? = nil, status: String, evidenceDueBy: Int64? = nil
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

    /// The statuses Stripe documents (https://docs.stripe.com/api/disputes/object#dispute_object-status).
    public static let statuses: Set<String> = [
        "warning_needs_response", "warning_under_review", "warning_closed", "needs_response", "under_review", "won",
        "lost", "prevented",
    ]

    /// Forward-only order of statuses (the `disputes_guard` trigger ranks the same): an inquiry can become
    /// a chargeback, a closed dispute stays closed.
    public static func rank(_ status: String) -> Int {
        switch status {
        case "warning_needs_response": return 0
        case "warning_under_review": return 1
        case "needs_response": return 2
        case "under_review": return 3
        default: return 4
        }
    }

    /// True once the dispute is over (won, lost, prevented, warning_closed).
    public var isClosed: Bool { Self.rank(status) == 4 }
}

/// One row of `early_fraud_warnings`.
public struct FraudWarningEntry: Sendable, Equatable, Hashable, Codable {
    public var id: String
    public var paymentIntentID: String?
    public var chargeID: String?
    public var fraudType: String?
    /// Refunding now can still prevent a dispute.
    public var actionable: Bool

    public init(id: String, paymentIntentID: String?, chargeID: String? = nil, fraudType: String?, actionable: Bool) {
        self.id = id
        self.paymentIntentID = paymentIntentID
        self.chargeID = chargeID
        self.fraudType = fraudType
        self.actionable = actionable
    }
}

/// The one rule that says how much of a payment went back (the `payment_money_returned` SQL function
/// computes the same, checked at commit).
public enum RefundLedger {
    /// Money returned of the Stripe payment `paymentIntentID` that received `amount`: its succeeded
    /// refunds, plus the part of what its charge.refunded reported that no refund object explains (a
    /// refund whose own event is late or never matched; a pending or failed object explains its share),
    /// plus its lost disputes, never above `amount`.
    public static func moneyReturned(
        paymentIntentID: String, amount: Int64, refunds: [RefundEntry], disputes: [DisputeEntry]
    ) -> Int64 {
        let own = refunds.filter { $0.paymentIntentID == paymentIntentID }
        let objects = own.filter { $0.kind == .refund }
        let chargeTotal = own.filter { $0.kind == .chargeTotal }.map(\.amount).max() ?? 0
        let unexplained = max(0, chargeTotal - objects.reduce(0) { $0 + $1.amount })
        let refunded = objects.filter { $0.status == .succeeded }.reduce(0) { $0 + $1.amount } + unexplained
        let lost = disputes.filter { $0.paymentIntentID == paymentIntentID && $0.status == "lost" }
            .reduce(0) { $0 + $1.amount }
        return min(amount, refunded + lost)
    }

    /// True when the ledger has any row (refund, charge total or dispute) of `paymentIntentID`.
    public static func hasRows(paymentIntentID: String, refunds: [RefundEntry], disputes: [DisputeEntry]) -> Bool {
        refunds.contains { $0.paymentIntentID == paymentIntentID }
            || disputes.contains { $0.paymentIntentID == paymentIntentID }
    }

    /// What can still be refunded of a payment: what it received minus its succeeded and still open
    /// refunds and its lost disputes (a pending refund will most likely succeed; Stripe counts it too).
    public static func refundable(_ payment: Payment, refunds: [RefundEntry], disputes: [DisputeEntry]) -> Int64 {
        guard payment.kind == .stripe, let intent = payment.paymentIntentID else { return 0 }
        let open = refunds.filter { $0.paymentIntentID == intent && $0.kind == .refund && $0.status.rank == 0 }
            .reduce(0) { $0 + $1.amount }
        return max(0, payment.amount - payment.amountRefunded - open)
    }
}
