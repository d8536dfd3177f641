import Foundation
import Postgres

/// One refund in the admin detail view (`refunds[]`).
public struct RefundEntryView: Sendable, Equatable, Encodable {
    public var id: String
    public var paymentIntentId: String
    public var amount: Int64
    public var currency: String
    /// `pending`, `requires_action`, `succeeded`, `failed`, `canceled`.
    public var status: String
    public var reason: String?
    public var failureReason: String?
    /// The admin who started it here; null for refunds made elsewhere (dashboard).
    public var requestedBy: String?
    public var note: String?
    public var restock: Bool
    public var createdAt: String
    public var updatedAt: String
}

/// One dispute in the admin detail view (`disputes[]`).
public struct DisputeEntryView: Sendable, Equatable, Encodable {
    public var id: String
    public var paymentIntentId: String
    public var chargeId: String?
    public var amount: Int64
    public var currency: String
    public var reason: String?
    public var status: String
    public var evidenceDueBy: String?
    public var createdAt: String
    public var updatedAt: String
}

/// One early fraud warning in the admin detail view (`fraudWarnings[]`).
public struct FraudWarningEntryView: Sendable, Equatable, Encodable {
    public var id: String
    public var paymentIntentId: String?
    public var chargeId: String?
    public var fraudType: String?
    /// Refunding now can still prevent a dispute ("refund now" on the admin page).
    public var actionable: Bool
    public var createdAt: String
}

extension AdminOrder {
    /// Fills `refunds`, `disputes`, `fraudWarnings`, `refundStatus` and `disputeStatus` (detail view).
    mutating func addLedgersAfterPayment(_ db: Connection, record: OrderRecord) throws {
        let store = RefundStore()
        let refundRows = try store.refunds(db, orderID: record.id)
        let disputeRows = try store.disputes(db, orderID: record.id)
        refunds = refundRows.map {
            RefundEntryView(
                id: $0.id, paymentIntentId: $0.paymentIntentID, amount: $0.amount, currency: $0.currency,
                status: $0.status, reason: $0.reason, failureReason: $0.failureReason, requestedBy: $0.requestedBy,
                note: $0.note, restock: $0.restock, createdAt: ISO8601.string($0.createdAt),
                updatedAt: ISO8601.string($0.updatedAt))
        }
        disputes = disputeRows.map {
            DisputeEntryView(
                id: $0.id, paymentIntentId: $0.paymentIntentID, chargeId: $0.chargeID, amount: $0.amount,
                currency: $0.currency, reason: $0.reason, status: $0.status,
                evidenceDueBy: $0.evidenceDueBy.map(ISO8601.string), createdAt: ISO8601.string($0.createdAt),
                updatedAt: ISO8601.string($0.updatedAt))
        }
        fraudWarnings = try store.fraudWarnings(db, orderID: record.id).map {
            FraudWarningEntryView(
                id: $0.id, paymentIntentId: $0.paymentIntentID, chargeId: $0.chargeID, fraudType: $0.fraudType,
                actionable: $0.actionable, createdAt: ISO8601.string($0.createdAt))
        }
        refundStatus = Self.refundStatus(refundRows.map(\.status), record.state)
        disputeStatus = OrderStateMachine.disputeStatus(
            disputeRows.map {
                DisputeEntry(
                    id: $0.id, paymentIntentID: $0.paymentIntentID, amount: $0.amount, currency: $0.currency,
                    status: $0.status)
            })
    }

    /// `none`, `pending` (a refund is open), `failed` (the last refund failed), `partial`, `full`.
    static func refundStatus(_ statuses: [String], _ state: OrderState) -> String {
        if statuses.contains(where: { $0 == "pending" || $0 == "requires_action" }) { return "pending" }
        if state.amountReceived > 0, state.amountRefunded >= state.amountReceived { return "full" }
        if state.amountRefunded > 0 { return "partial" }
        if statuses.last == "failed" { return "failed" }
        return "none"
    }
}
