/// After the payment: refunds, disputes and early fraud warnings (docs/invariants.md R1–R6, D1–D3).
///
/// Each Stripe object is a row of the order's ledgers, recorded by its id; its status only moves forward,
/// so the same object reported twice, late or out of order changes nothing the second time. A payment's
/// `amountRefunded` is not added up from events: ``settleMoneyReturned(_:_:)`` derives it from the rows
/// after every transition (``RefundLedger/moneyReturned(paymentIntentID:amount:refunds:disputes:)``), and
/// the order's status follows: `refunded` once all it received went back, back to `paid` / `confirmed`
/// when a refund that had succeeded fails.
extension OrderStateMachine {
    // MARK: - Refunds

    /// `charge.refunded`: the charge's cumulative `amount_refunded`. It names no refund, so it is kept
    /// as the payment's charge-total row, which counts only for the part no refund object of the payment
    /// explains (a refund whose own event is late or unmatched). A charge Stripe
    /// refunded was paid, so a refund whose payment's own event has not arrived yet records that
    /// payment from the charge first. Never applies to a manual payment.
    static func chargeRefunded(
        _ state: OrderState, paymentIntentID: String?, amountRefunded: Int64, amount: Int64, currency: String?
    ) -> OrderDecision {
        guard let paymentIntentID else {
            return .noOp(reason: "refund without a payment intent matches no payment")
        }
        let id = RefundEntry.chargeTotalID(paymentIntentID)
        let known = state.payments.first { $0.kind == .stripe && $0.paymentIntentID == paymentIntentID }
        guard let paymentCurrency = known?.currency ?? currency?.lowercased(), amountRefunded > 0 else {
            return .noOp(reason: "refund of payment intent \(paymentIntentID), which the order's ledger does not know")
        }
        if let row = state.refunds.first(where: { $0.id == id }), row.amount >= amountRefunded {
            return .noOp(
                reason:
                    "refunded total \(amountRefunded) of \(paymentIntentID) is not above the recorded \(row.amount)")
        }
        var next = state
        let row = RefundEntry(
            id: id, paymentIntentID: paymentIntentID, kind: .chargeTotal, amount: amountRefunded,
            currency: paymentCurrency, status: .succeeded)
        if let index = next.refunds.firstIndex(where: { $0.id == id }) {
            next.refunds[index] = row
        } else {
            next.refunds.append(row)
        }
        guard known != nil else {
            guard amount > 0 else {
                return .noOp(
                    reason: "refund of payment intent \(paymentIntentID), which the order's ledger does not know")
            }
            let payment = Payment(
                kind: .stripe, paymentIntentID: paymentIntentID, sessionID: nil, amount: amount,
                currency: paymentCurrency,
                amountRefunded: RefundLedger.moneyReturned(
                    paymentIntentID: paymentIntentID, amount: amount, refunds: next.refunds, disputes: next.disputes))
            return acceptPayment(
                next, payment,
                reason: "payment \(paymentIntentID) recorded from its refunded charge (\(amountRefunded))")
        }
        let objects = state.refunds.contains { $0.paymentIntentID == paymentIntentID && $0.kind == .refund }
        return .transition(
            next, effects: [],
            reason: "charge of \(paymentIntentID) reports \(amountRefunded) refunded"
                + (objects ? " (its refund objects explain their share)" : ""))
    }

    /// One refund object (any of refund.created / .updated / .failed, charge.refund.updated, or our own
    /// POST /v1/refunds answer), recorded by its id. A status that does not move forward, or a second
    /// report of the same status, is a no-op. A refund that fails or is canceled gives the money back to
    /// the order (if it had succeeded) and a failure flags the order with a notification.
    static func refundObserved(_ state: OrderState, _ refund: RefundObservation) -> OrderDecision {
        guard let paymentIntentID = refund.paymentIntentID else {
            return .noOp(reason: "refund \(refund.id) names no payment intent")
        }
        guard let status = refund.status else {
            return .noOp(reason: "refund \(refund.id) has a status this server does not know")
        }
        if state.payments.contains(where: { $0.kind == .manual && $0.paymentIntentID == paymentIntentID }) {
            return .noOp(reason: "refund \(refund.id) cannot apply to a manual payment")
        }
        let known = state.payments.first { $0.paymentIntentID == paymentIntentID }
        guard let currency = known?.currency ?? refund.currency?.lowercased(), refund.amount > 0 else {
            return .noOp(reason: "refund \(refund.id) has no amount or currency")
        }
        var next = state
        let old = state.refunds.first { $0.id == refund.id }
        var row =
            old
            ?? RefundEntry(
                id: refund.id, paymentIntentID: paymentIntentID, amount: refund.amount, currency: currency,
                status: status)
        var changes: [String] = []
        if let old {
            guard old.paymentIntentID == paymentIntentID, old.amount == refund.amount else {
                return .noOp(reason: "refund \(refund.id) does not match the recorded one; ignored")
            }
            if status.rank > old.status.rank
                || (status.rank == old.status.rank && status != old.status && old.status.rank == 0)
            {
                row.status = status
                changes.append("\(old.status.rawValue) → \(status.rawValue)")
            }
        } else {
            changes.append("recorded \(status.rawValue)")
        }
        if row.reason == nil, let reason = refund.reason { row.reason = reason }
        if row.failureReason == nil, let failure = refund.failureReason, row.status.rank == 2 {
            row.failureReason = failure
        }
        if row.requestedBy == nil, let by = refund.requestedBy {
            row.requestedBy = by
            row.note = refund.note
            if old != nil { changes.append("started by \(by)") }
        }
        if !row.restock, refund.restock {
            row.restock = true
        }
        guard row != old else {
            return .noOp(
                reason: "refund \(refund.id) is already recorded as \(old?.status.rawValue ?? status.rawValue)")
        }
        if let index = next.refunds.firstIndex(where: { $0.id == refund.id }) {
            next.refunds[index] = row
        } else {
            next.refunds.append(row)
        }
        var effects: [OrderEffect] = []
        var reason = "refund \(refund.id) of \(refund.amount) (\(paymentIntentID)): " + changes.joined(separator: ", ")
        if row.status == .failed, old?.status != .failed {
            let part = refundFailedPart(row, wasCounted: old?.status == .succeeded)
            next.needsAttention = true
            next.attentionReason = appendingAttention(next, part)
            effects.append(.enqueueNotification(.needsAttention))
            reason += "; " + part
        }
        if known == nil {
            reason += "; counted once its payment is recorded"
        }
        if row.restock, row.status == .succeeded, next.stockReserved,
            [.paid, .confirmed, .refunded].contains(next.status)
        {
            // The admin asked for the units back with this refund, and the money went back.
            effects.append(.returnStock)
            next.stockReserved = false
            reason += "; units returned to stock"
        }
        return .transition(next, effects: effects, reason: reason)
    }

    static func refundFailedPart(_ row: RefundEntry, wasCounted: Bool) -> String {
        "refund \(row.id) of \(row.amount) failed"
            + (row.failureReason.map { " (\($0))" } ?? "")
            + (wasCounted ? ": the money is back on the order" : ": nothing was refunded")
    }

    /// Admin refund, step 1: what the admin asked for must fit what the payment can still refund (its
    /// amount minus succeeded and open refunds and lost disputes). Nothing changes but the history.
    static func refundRequested(_ state: OrderState, _ request: RefundRequest) -> OrderDecision {
        guard let payment = state.payments.first(where: { $0.paymentIntentID == request.paymentIntentID }),
            payment.kind == .stripe
        else {
            return .noOp(reason: "no Stripe payment \(request.paymentIntentID) on this order")
        }
        let refundable = RefundLedger.refundable(payment, refunds: state.refunds, disputes: state.disputes)
        guard request.amount > 0, request.amount <= refundable else {
            return .noOp(reason: "refund of \(request.amount) exceeds the \(refundable) refundable of \(payment.label)")
        }
        return .transition(
            state, effects: [],
            reason: "refund of \(request.amount) of \(payment.label) requested by \(request.actor) (\(request.reason))"
                + (request.note.map { ": \($0)" } ?? ""))
    }

    // MARK: - Settling

    /// A state whose Stripe payment carries refunds without any row explaining them (a value written as
    /// a shorthand, or read before the ledger existed) gets the charge-total row they stand for, so
    /// deriving never loses them (migration 010 backfills the same rows).
    static func withImplicitChargeTotals(_ state: OrderState) -> OrderState {
        var state = state
        for payment in state.payments where payment.kind == .stripe && payment.amountRefunded > 0 {
            guard let intent = payment.paymentIntentID,
                !state.refunds.contains(where: { $0.paymentIntentID == intent })
            else { continue }
            let lost = state.disputes.filter { $0.paymentIntentID == intent && $0.status == "lost" }
                .reduce(0) { $0 + $1.amount }
            guard payment.amountRefunded > lost else { continue }
            state.refunds.append(
                RefundEntry(
                    id: RefundEntry.chargeTotalID(intent), paymentIntentID: intent, kind: .chargeTotal,
                    amount: payment.amountRefunded - lost, currency: payment.currency, status: .succeeded))
        }
        return state
    }

    /// Derives each Stripe payment's refunds from the ledgers after a transition and moves the order's
    /// status with them: `refunded` once all it received went back (the goods not sent stay unsent), back
    /// to `paid` (or `confirmed` when it was fulfilled) once it is no longer all. A duplicate payment that
    /// is now refunded in full no longer needs attention. Pure.
    static func settleMoneyReturned(_ before: OrderState, _ decision: OrderDecision) -> OrderDecision {
        guard case .transition(var next, var effects, var reason) = decision else { return decision }
        for index in next.payments.indices where next.payments[index].kind == .stripe {
            guard let intent = next.payments[index].paymentIntentID,
                RefundLedger.hasRows(paymentIntentID: intent, refunds: next.refunds, disputes: next.disputes)
            else { continue }
            let wasDone = before.payments.first { $0.paymentIntentID == intent }?.isFullyRefunded ?? false
            next.payments[index].amountRefunded = RefundLedger.moneyReturned(
                paymentIntentID: intent, amount: next.payments[index].amount, refunds: next.refunds,
                disputes: next.disputes)
            if next.payments[index].isFullyRefunded, !wasDone, next.needsAttention, let text = next.attentionReason,
                let start = text.firstRange(of: "second payment \(intent) "),
                let end = text[start.lowerBound...].firstRange(of: ": refund one")
            {
                // The duplicate payment an operator was asked to refund is refunded.
                removeAttention(&next, part: String(text[start.lowerBound..<end.upperBound]))
            }
        }
        guard next.amountRefunded != before.amountRefunded || next.amountReceived != before.amountReceived else {
            return .transition(next, effects: effects, reason: reason)
        }
        let received = next.amountReceived
        let returned = next.amountRefunded
        if received > 0, returned >= received, [.paid, .confirmed].contains(next.status) {
            if !before.status.hasReceivedPayment {
                // The money went back before its payment's own event arrived: nothing to send.
                next.fulfillmentStatus = before.fulfillmentStatus
                effects.removeAll { $0 == .enqueueFulfillment }
            }
            next.status = .refunded
            next.paymentStatus = .refunded
            if !reason.contains("fully refunded") { reason += "; fully refunded (\(returned))" }
        } else if next.status == .refunded, received > 0, returned < received, returned < before.amountRefunded {
            // A refund failed after the order was refunded: the money is back, so is the order.
            next.status = next.fulfillmentStatus == .success ? .confirmed : .paid
            next.paymentStatus = .paid
            if next.fulfillmentStatus == .notAttempted {
                // Refunded before it was ever sent: an operator decides (retry-fulfillment ships it).
                next.fulfillmentStatus = .failed
                next.fulfillmentError = heldPrefix + "a refund failed after the order was refunded"
            }
            reason += "; no longer fully refunded (\(returned) of \(received) returned)"
        }
        return .transition(next, effects: effects, reason: reason)
    }
}
