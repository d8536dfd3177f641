import Foundation

/// Disputes and early fraud warnings (docs/invariants.md D1–D3). A dispute's outcome is its object's
/// `status`, never the event type that carried it; statuses only move forward, so a late
/// `charge.dispute.created` after `.closed` changes nothing.
extension OrderStateMachine {
    static func disputeObserved(_ state: OrderState, _ dispute: DisputeObservation) -> OrderDecision {
        guard let paymentIntentID = dispute.paymentIntentID else {
            return .noOp(reason: "dispute \(dispute.id) names no payment intent")
        }
        guard DisputeEntry.statuses.contains(dispute.status) else {
            return .noOp(reason: "dispute \(dispute.id) has a status this server does not know")
        }
        let known = state.payments.first { $0.paymentIntentID == paymentIntentID }
        guard let currency = known?.currency ?? dispute.currency?.lowercased(), dispute.amount > 0 else {
            return .noOp(reason: "dispute \(dispute.id) has no amount or currency")
        }
        let old = state.disputes.first { $0.id == dispute.id }
        if let old {
            guard old.paymentIntentID == paymentIntentID else {
                return .noOp(reason: "dispute \(dispute.id) does not match the recorded one; ignored")
            }
            guard
                DisputeEntry.rank(dispute.status) > DisputeEntry.rank(old.status)
                    || (dispute.status == old.status && !old.isClosed
                        && (dispute.amount != old.amount || dispute.evidenceDueBy != old.evidenceDueBy))
            else {
                return .noOp(reason: "dispute \(dispute.id) is already \(old.status)")
            }
        }
        var row = DisputeEntry(
            id: dispute.id, paymentIntentID: paymentIntentID, chargeID: dispute.chargeID ?? old?.chargeID,
            amount: dispute.amount, currency: currency, reason: dispute.reason ?? old?.reason, status: dispute.status,
            evidenceDueBy: dispute.evidenceDueBy ?? old?.evidenceDueBy)
        if let old, old.isClosed { row.status = old.status }
        var next = state
        if let index = next.disputes.firstIndex(where: { $0.id == dispute.id }) {
            next.disputes[index] = row
        } else {
            next.disputes.append(row)
        }
        var effects: [OrderEffect] = []
        var reason =
            "dispute \(dispute.id) of \(dispute.amount) (\(paymentIntentID)): \(old?.status ?? "new") → \(row.status)"
        let prefix = "dispute \(dispute.id) "
        removeAttention(&next, prefixed: prefix)
        switch row.status {
        case "lost":
            let part = prefix + "lost: \(row.amount) went back to the customer"
            flag(&next, &effects, part)
            reason += "; counted as money returned"
        case "won", "warning_closed", "prevented":
            reason += "; the money stays"
        default:
            let due =
                row.evidenceDueBy.map {
                    ", evidence due " + ISO8601.string(Date(timeIntervalSince1970: TimeInterval($0)))
                } ?? ""
            let part = prefix + "\(row.status) (\(row.reason ?? "no reason"))\(due)"
            if old == nil || next.attentionReason?.contains(part) != true {
                flag(&next, &effects, part)
            }
            if old == nil, holdUnstartedFulfillment(&next, because: "dispute \(dispute.id) opened") {
                reason += "; fulfillment held"
            }
        }
        return .transition(next, effects: effects, reason: reason)
    }

    static func fraudWarningObserved(_ state: OrderState, _ warning: FraudWarningObservation) -> OrderDecision {
        if let old = state.fraudWarnings.first(where: { $0.id == warning.id }), old.actionable == warning.actionable {
            return .noOp(reason: "early fraud warning \(warning.id) is already recorded")
        }
        let isNew = !state.fraudWarnings.contains { $0.id == warning.id }
        var next = state
        let row = FraudWarningEntry(
            id: warning.id, paymentIntentID: warning.paymentIntentID, chargeID: warning.chargeID,
            fraudType: warning.fraudType, actionable: warning.actionable)
        if let index = next.fraudWarnings.firstIndex(where: { $0.id == warning.id }) {
            next.fraudWarnings[index] = row
        } else {
            next.fraudWarnings.append(row)
        }
        var effects: [OrderEffect] = []
        let prefix = "early fraud warning \(warning.id) "
        removeAttention(&next, prefixed: prefix)
        let part =
            prefix + "(\(warning.fraudType ?? "fraud")) on \(warning.paymentIntentID ?? "a charge")"
            + (warning.actionable ? ": refund now to prevent a dispute" : "")
        flag(&next, &effects, part)
        var reason = part
        if isNew, holdUnstartedFulfillment(&next, because: "early fraud warning \(warning.id)") {
            reason += "; fulfillment held"
        }
        return .transition(next, effects: effects, reason: reason)
    }

    /// The order's dispute status for views and filters: an open dispute's status, else the latest
    /// closed one's, else `none`.
    public static func disputeStatus(_ disputes: [DisputeEntry]) -> String {
        disputes.last { !$0.isClosed }?.status ?? disputes.last?.status ?? "none"
    }

    /// Fulfillment that has not started (paid, pending) is held: `failed` with why, so the outbox job
    /// sends nothing; an admin's retry-fulfillment releases it. True when it held something.
    static func holdUnstartedFulfillment(_ next: inout OrderState, because why: String) -> Bool {
        guard next.status == .paid, next.fulfillmentStatus == .pending else { return false }
        next.fulfillmentStatus = .failed
        next.fulfillmentError = heldPrefix + why
        return true
    }

    static let heldPrefix = "held: "

    private static func flag(_ next: inout OrderState, _ effects: inout [OrderEffect], _ part: String) {
        next.attentionReason = appendingAttention(next, part)
        next.needsAttention = true
        if !effects.contains(.enqueueNotification(.needsAttention)) {
            effects.append(.enqueueNotification(.needsAttention))
        }
    }

    /// Removes every "; "-joined attention part that starts with `prefix`.
    static func removeAttention(_ next: inout OrderState, prefixed prefix: String) {
        guard next.needsAttention, let text = next.attentionReason else { return }
        let parts = text.components(separatedBy: "; ")
        let kept = parts.filter { !$0.hasPrefix(prefix) }
        guard kept.count != parts.count else { return }
        next.attentionReason = kept.isEmpty ? nil : kept.joined(separator: "; ")
        next.needsAttention = !kept.isEmpty
    }
}
