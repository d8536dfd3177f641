/// What the state machine decided for one event.
public enum OrderDecision: Sendable, Equatable {
    /// Save `state`, perform `effects` and write a history row with `reason`, all in one transaction.
    case transition(OrderState, effects: [OrderEffect], reason: String)
    /// Nothing changes; `reason` says why (recorded on the Stripe event row as its detail).
    case noOp(reason: String)

    /// The new state, when this is a transition.
    public var newState: OrderState? {
        if case .transition(let state, _, _) = self { return state }
        return nil
    }

    /// The effects, empty for a no-op.
    public var effects: [OrderEffect] {
        if case .transition(_, let effects, _) = self { return effects }
        return []
    }

    /// The human reason, for history rows and event details.
    public var reason: String {
        switch self {
        case .transition(_, _, let reason), .noOp(let reason): return reason
        }
    }
}

/// The rules of docs/API.md §4 as one pure function: (current state, event) → transition or no-op.
///
/// Events arrive late, twice and out of order, so every decision is made against the current
/// state, never against the event alone:
/// - nothing moves an order that received money (paid / confirmed / refunded) back to pending,
///   failed, expired or cancelled;
/// - a later success beats an earlier failure: failed, expired (and cancelled) orders accept a
///   payment for one of their sessions; if their stock was released it is re-taken, or the order
///   is flagged as needing attention;
/// - failures and expiries of a session (or PaymentIntent) that is no longer the order's current
///   one change nothing (``OrderState/retiredPaymentIntentIDs`` names the superseded intents, and
///   while retry-session is creating the next session no attempt is open to fail);
/// - a completed session with `payment_status=unpaid` keeps the order pending (delayed methods);
/// - every payment is a row of ``OrderState/payments`` (recorded once; a second one is its own row
///   and flags the order); refunds and disputes are rows of their own ledgers
///   (`OrderStateMachine+Refunds`, `+Disputes`), each payment's refunds are derived from them, and the
///   order is `refunded` once every payment is refunded in full;
/// - applying the same event or command twice is a no-op the second time.
///
/// Stock: reserved at create, released exactly once when the order ends failed/expired/cancelled
/// (``OrderEffect/releaseStock`` is emitted only while ``OrderState/stockReserved`` is true),
/// committed when paid, re-reserved by retry-session; a payment after the release takes it again or,
/// when none is left, holds fulfillment (``outOfStock(_:productID:)``). docs/invariants.md lists
/// every rule and what enforces it.
public enum OrderStateMachine {
    /// Decides what `event` does to an order in `state`. Pure and total: never throws, never does I/O.
    /// A payment in another amount or currency than the order's is recorded, but nothing is fulfilled.
    public static func apply(_ state: OrderState, _ event: OrderEvent) -> OrderDecision {
        let state = withImplicitChargeTotals(state)
        return settleMoneyReturned(state, rules(state, event))
    }

    private static func rules(_ state: OrderState, _ event: OrderEvent) -> OrderDecision {
        switch event {
        case .sessionCompleted(let sessionID, let outcome, let paymentIntentID, let amountTotal, let currency):
            guard owns(state, sessionID) else {
                return .noOp(reason: "session \(sessionID) does not belong to this order")
            }
            if outcome.isSettled {
                guard let amountTotal, let currency else { return unconfirmedPayment(state, sessionID: sessionID) }
                return acceptPayment(
                    state,
                    Payment(
                        kind: .stripe, paymentIntentID: paymentIntentID, sessionID: sessionID, amount: amountTotal,
                        currency: currency.lowercased()),
                    reason: "checkout session \(sessionID) completed (\(outcome.rawValue))")
            }
            return completedUnpaid(state, sessionID: sessionID, paymentIntentID: paymentIntentID)

        case .asyncPaymentSucceeded(let sessionID, let paymentIntentID, let amountTotal, let currency):
            guard owns(state, sessionID) else {
                return .noOp(reason: "session \(sessionID) does not belong to this order")
            }
            guard let amountTotal, let currency else { return unconfirmedPayment(state, sessionID: sessionID) }
            return acceptPayment(
                state,
                Payment(
                    kind: .stripe, paymentIntentID: paymentIntentID, sessionID: sessionID, amount: amountTotal,
                    currency: currency.lowercased()),
                reason: "delayed payment of session \(sessionID) succeeded")

        case .asyncPaymentFailed(let sessionID, let paymentIntentID, let reason):
            if state.status.hasReceivedPayment { return neverDowngrade(state) }
            guard sessionID == state.currentSessionID else {
                return .noOp(reason: "failure of session \(sessionID), which is not the order's current session")
            }
            return fail(
                state, paymentIntentID: paymentIntentID, reason: reason ?? "delayed payment failed",
                history: "delayed payment of session \(sessionID) failed")

        case .sessionExpired(let sessionID):
            if state.status.hasReceivedPayment { return neverDowngrade(state) }
            guard sessionID == state.currentSessionID else {
                return .noOp(reason: "expiry of session \(sessionID), which is not the order's current session")
            }
            return expire(state, sessionID: sessionID)

        case .paymentFailed(let paymentIntentID, let reason):
            if state.status.hasReceivedPayment { return neverDowngrade(state) }
            if state.status == .pendingPayment, state.currentSessionID == nil {
                // No attempt is open (a retry is creating the next session): the failure is an old one.
                return .noOp(reason: "failure of payment intent \(paymentIntentID) while no attempt is open")
            }
            if state.retiredPaymentIntentIDs.contains(paymentIntentID) {
                return .noOp(reason: "failure of payment intent \(paymentIntentID) of a superseded attempt")
            }
            if let known = state.paymentIntentID, known != paymentIntentID {
                return .noOp(reason: "failure of payment intent \(paymentIntentID), not the order's current one")
            }
            return fail(
                state, paymentIntentID: paymentIntentID, reason: reason ?? "payment failed",
                history: "payment attempt \(paymentIntentID) failed")

        case .chargeRefunded(let paymentIntentID, let amountRefunded, let amount, let currency):
            return chargeRefunded(
                state, paymentIntentID: paymentIntentID, amountRefunded: amountRefunded, amount: amount,
                currency: currency)

        case .refundObserved(let refund):
            return refundObserved(state, refund)

        case .refundRequested(let request):
            return refundRequested(state, request)

        case .disputeObserved(let dispute):
            return disputeObserved(state, dispute)

        case .fraudWarningObserved(let warning):
            return fraudWarningObserved(state, warning)
        case .invoicePaid(let invoiceID, let amount, let currency):
            return renewalPaid(state, invoiceID: invoiceID, amount: amount, currency: currency)

        case .markPaid(let note, let actor, let expiredSessionID):
            if state.status.hasReceivedPayment {
                return .noOp(reason: "order is already \(state.status.rawValue)")
            }
            guard state.currentSessionID == expiredSessionID else {
                // Another actor (retry-session) made a new attempt after the admin's request expired its
                // session: that new session may be open and payable.
                return .noOp(reason: staleSessionReason)
            }
            return acceptPayment(
                state,
                Payment(
                    kind: .manual, paymentIntentID: nil, sessionID: nil, amount: state.amountTotal,
                    currency: state.currency),
                reason: "marked paid by \(actor): \(note)")

        case .beginRetry:
            guard state.status.isRetryable else {
                return .noOp(reason: "order is \(state.status.rawValue) and cannot get a new payment attempt")
            }
            if state.status == .pendingPayment, state.currentSessionID == nil, state.stockReserved {
                return .noOp(reason: "order is already waiting for a new session")
            }
            var next = state
            next.status = .pendingPayment
            next.paymentStatus = .pending
            next.fulfillmentStatus = .notAttempted
            next.currentSessionID = nil
            next.paymentIntentID = nil
            if let retired = state.paymentIntentID { next.retiredPaymentIntentIDs.insert(retired) }
            next.failureReason = nil
            var effects: [OrderEffect] = []
            if !state.stockReserved {
                effects.append(.reserveStock)
                next.stockReserved = true
            }
            return .transition(next, effects: effects, reason: "new payment attempt started")

        case .sessionCreated(let sessionID):
            if state.currentSessionID == sessionID {
                return .noOp(reason: "session \(sessionID) is already the current session")
            }
            guard state.status == .pendingPayment, state.currentSessionID == nil else {
                return .noOp(reason: "order is not waiting for a new session")
            }
            var next = state
            next.currentSessionID = sessionID
            next.sessionIDs.insert(sessionID)
            return .transition(
                next, effects: [], reason: "checkout session \(sessionID) created (attempt \(state.sessionAttempt))")

        case .fulfillmentSucceeded(let reference):
            return fulfillmentSucceeded(state, reference: reference)

        case .fulfillmentFailed(let error):
            return fulfillmentFailed(state, error: error)

        case .retryFulfillment:
            guard state.status == .paid, state.fulfillmentStatus == .failed else {
                return .noOp(reason: "fulfillment is \(state.fulfillmentStatus.rawValue), not failed")
            }
            var next = state
            next.fulfillmentStatus = .pending
            next.fulfillmentError = nil
            clearFulfillmentAttention(&next, error: state.fulfillmentError)
            var effects: [OrderEffect] = []
            var reason = "fulfillment retried"
            if !state.stockReserved {
                // Paid without a unit: fulfillment needs one (out_of_stock aborts the retry otherwise).
                effects += [.reserveStock, .commitStock]
                next.stockReserved = true
                reason += " with its stock taken again"
            }
            return .transition(next, effects: effects + [.enqueueFulfillment], reason: reason)

        case .reservationExpired:
            guard state.status == .pendingPayment, state.currentSessionID == nil else {
                return .noOp(reason: "order has a session or is not pending")
            }
            var next = state
            next.status = .expired
            next.paymentStatus = .expired
            next.failureReason = "no payment session was created in time"
            var effects: [OrderEffect] = []
            if state.stockReserved {
                effects.append(.releaseStock)
                next.stockReserved = false
            }
            return .transition(next, effects: effects, reason: "reservation expired without a checkout session")

        case .cancel(let reason):
            guard state.status.isRetryable else {
                return .noOp(reason: "order is \(state.status.rawValue) and cannot be cancelled")
            }
            var next = state
            next.status = .cancelled
            next.paymentStatus = .cancelled
            next.fulfillmentStatus = .notAttempted
            next.failureReason = reason
            var effects: [OrderEffect] = []
            if state.stockReserved {
                effects.append(.releaseStock)
                next.stockReserved = false
            }
            return .transition(next, effects: effects, reason: "cancelled: \(reason)")

        case .releaseEndedReservation:
            guard [.failed, .expired, .cancelled].contains(state.status), state.stockReserved else {
                return .noOp(reason: "order is \(state.status.rawValue) and holds no reservation to release")
            }
            var next = state
            next.stockReserved = false
            return .transition(
                next, effects: [.releaseStock],
                reason: "released stock still reserved by a \(state.status.rawValue) order")

        case .requeueFulfillment:
            guard [.paid, .refunded].contains(state.status), state.fulfillmentStatus == .pending else {
                return .noOp(reason: "fulfillment is not pending: order is \(state.triple)")
            }
            guard state.stockReserved else {
                return .noOp(reason: "no fulfillment without a unit: the order holds no stock")
            }
            return .transition(
                state, effects: [.enqueueFulfillment], reason: "fulfillment pending without a live job: enqueued again")
        }
    }

    /// The no-op reason of a mark-paid whose expired session is no longer the order's current one.
    static let staleSessionReason = "the order's session changed after mark-paid expired it"

    /// Re-decides a transition whose ``OrderEffect/reacquireStockOrFlag`` could not take the stock of
    /// `productID` again (someone else bought the last units): the money is kept, fulfillment is
    /// held (fulfillment `failed`, nothing enqueued) and the order needs attention ("paid, out of
    /// stock"), added to any reason already there. Only an admin's retry-fulfillment (which must take
    /// the stock) or a refund moves it on. Pure.
    public static func outOfStock(_ decision: OrderDecision, productID: String) -> OrderDecision {
        guard case .transition(var next, var effects, var reason) = decision else { return decision }
        effects.removeAll { $0 == .reacquireStockOrFlag || $0 == .enqueueFulfillment || $0 == .commitStock }
        next.stockReserved = false
        let part = outOfStockPrefix + productID
        reason += "; stock of \(productID) could not be taken again"
        if next.status == .paid {
            next.fulfillmentStatus = .failed
            next.fulfillmentError = notFulfilledPrefix + part
        }
        next.attentionReason = appendingAttention(next, part)
        next.needsAttention = true
        if !effects.contains(.enqueueNotification(.needsAttention)) {
            effects.append(.enqueueNotification(.needsAttention))
        }
        return .transition(next, effects: effects, reason: reason)
    }

    static let outOfStockPrefix = "paid, out of stock: "

    // MARK: - Rules

    private static func owns(_ state: OrderState, _ sessionID: String) -> Bool {
        state.currentSessionID == sessionID || state.sessionIDs.contains(sessionID)
    }

    private static func neverDowngrade(_ state: OrderState) -> OrderDecision {
        .noOp(reason: "order is \(state.status.rawValue); a paid order is never downgraded")
    }

    /// Money arrived: `payment` becomes a row of the ledger. Wins over failed/expired/cancelled; a
    /// payment already recorded (same PaymentIntent or session, or a second manual one) changes
    /// nothing; any other payment of an order that already received money is its own row and flags the
    /// order for an operator (someone must refund one of them), never merged into the first.
    static func acceptPayment(_ state: OrderState, _ payment: Payment, reason: String) -> OrderDecision {
        if state.payments.contains(where: { $0.isSame(as: payment) }) {
            return .noOp(reason: "payment \(payment.label) is already recorded")
        }
        if state.status.hasReceivedPayment {
            guard payment.amount > 0 else { return .noOp(reason: "order is already \(state.status.rawValue)") }
            var next = state
            next.payments.append(payment)
            removeUnconfirmed(&next, sessionID: payment.sessionID)
            let first =
                state.payments.first.map {
                    $0.kind == .manual ? "without a payment intent (marked paid)" : "by \($0.label)"
                } ?? "before"
            let flag = "second payment \(payment.label) for an order already paid \(first): refund one"
            if payment.isFullyRefunded {
                return .transition(next, effects: [], reason: flag + " (already refunded)")
            }
            next.needsAttention = true
            next.attentionReason = appendingAttention(state, flag)
            return .transition(next, effects: [.enqueueNotification(.needsAttention)], reason: flag)
        }
        var next = state
        var effects: [OrderEffect] = []
        var why = reason
        if state.status != .pendingPayment {
            why += " after the order was \(state.status.rawValue)"
        }
        next.status = .paid
        next.paymentStatus = .paid
        next.fulfillmentStatus = .pending
        next.paymentIntentID = payment.paymentIntentID ?? state.paymentIntentID
        next.payments.append(payment)
        removeUnconfirmed(&next, sessionID: payment.sessionID)
        next.failureReason = nil
        if state.stockReserved {
            effects.append(.commitStock)
        } else {
            effects.append(.reacquireStockOrFlag)
            next.stockReserved = true
        }
        if state.status == .cancelled {
            next.attentionReason = appendingAttention(next, "paid after it was cancelled")
            next.needsAttention = true
            effects.append(.enqueueNotification(.needsAttention))
        }
        if payment.isFullyRefunded {
            // The refund arrived before the payment's own event: the money already went back.
            next.status = .refunded
            next.paymentStatus = .refunded
            next.fulfillmentStatus = state.fulfillmentStatus
            return .transition(next, effects: effects, reason: why + "; already fully refunded")
        }
        let mismatch = [
            payment.amount != state.amountTotal ? "received \(payment.amount), order total \(state.amountTotal)" : nil,
            payment.currency != state.currency.lowercased()
                ? "currency \(payment.currency), order currency \(state.currency)" : nil,
        ].compactMap { $0 }
        if !mismatch.isEmpty {
            // Not what the order costs: keep the money on record, fulfil nothing, let an operator decide
            // (retry-fulfillment ships it, or refund).
            let problem = mismatchPrefix + mismatch.joined(separator: "; ")
            next.fulfillmentStatus = .failed
            next.fulfillmentError = notFulfilledPrefix + mismatch.joined(separator: "; ")
            next.attentionReason = appendingAttention(next, problem)
            if !effects.contains(.enqueueNotification(.needsAttention)) {
                effects.append(.enqueueNotification(.needsAttention))
            }
            next.needsAttention = true
            return .transition(next, effects: effects, reason: why + "; " + problem)
        }
        effects.append(.enqueueFulfillment)
        return .transition(next, effects: effects, reason: why)
    }

    /// Stripe said a session was paid but not how much or in which currency: nothing is confirmed by
    /// assuming. The order is flagged once and, while pending, checked at Stripe at once (the
    /// retrieved session carries both); a later payment with its amount removes the flag.
    private static func unconfirmedPayment(_ state: OrderState, sessionID: String) -> OrderDecision {
        if state.payments.contains(where: { $0.sessionID == sessionID }) {
            return .noOp(reason: "payment of session \(sessionID) is already recorded")
        }
        let part = unconfirmedPart(sessionID)
        if state.needsAttention, (state.attentionReason ?? "").contains(part) {
            return .noOp(reason: part + "; already flagged")
        }
        var next = state
        next.needsAttention = true
        next.attentionReason = appendingAttention(state, part)
        let effects: [OrderEffect] =
            state.status == .pendingPayment ? [.requestStripeCheck] : [.enqueueNotification(.needsAttention)]
        return .transition(next, effects: effects, reason: part + "; confirmed only from the session at Stripe")
    }

    static func unconfirmedPart(_ sessionID: String) -> String {
        "payment of session \(sessionID) reported without amount or currency"
    }

    private static func removeUnconfirmed(_ next: inout OrderState, sessionID: String?) {
        guard let sessionID else { return }
        removeAttention(&next, part: unconfirmedPart(sessionID))
    }

    /// Removes `part` (one of the "; "-joined reasons) from the attention reason; the order keeps
    /// needing attention while any other reason remains.
    static func removeAttention(_ next: inout OrderState, part: String) {
        guard next.needsAttention, var remaining = next.attentionReason, remaining.contains(part) else { return }
        if let range = remaining.firstRange(of: "; " + part) {
            remaining.removeSubrange(range)
        } else if let range = remaining.firstRange(of: part) {
            remaining.removeSubrange(range)
            if remaining.hasPrefix("; ") { remaining.removeFirst(2) }
        }
        next.needsAttention = !remaining.isEmpty
        next.attentionReason = remaining.isEmpty ? nil : remaining
    }

    private static func completedUnpaid(
        _ state: OrderState, sessionID: String, paymentIntentID: String?
    ) -> OrderDecision {
        if state.status.hasReceivedPayment { return neverDowngrade(state) }
        guard state.status == .pendingPayment, sessionID == state.currentSessionID,
            let paymentIntentID, paymentIntentID != state.paymentIntentID
        else {
            return .noOp(
                reason: "session \(sessionID) completed unpaid; order stays \(state.status.rawValue)")
        }
        var next = state
        next.paymentIntentID = paymentIntentID
        return .transition(
            next, effects: [],
            reason: "session \(sessionID) completed, payment \(paymentIntentID) still processing")
    }

    private static func fail(
        _ state: OrderState, paymentIntentID: String?, reason: String, history: String
    ) -> OrderDecision {
        switch state.status {
        case .pendingPayment:
            var next = state
            next.status = .failed
            next.paymentStatus = .failed
            next.fulfillmentStatus = .notAttempted
            next.failureReason = reason
            next.paymentIntentID = paymentIntentID ?? state.paymentIntentID
            var effects: [OrderEffect] = []
            if state.stockReserved {
                effects.append(.releaseStock)
                next.stockReserved = false
            }
            return .transition(next, effects: effects, reason: "\(history): \(reason)")
        case .failed:
            return .noOp(reason: "order already failed")
        default:
            return .noOp(reason: "order already \(state.status.rawValue)")
        }
    }

    private static func expire(_ state: OrderState, sessionID: String) -> OrderDecision {
        switch state.status {
        case .pendingPayment, .failed:
            var next = state
            next.status = .expired
            next.paymentStatus = .expired
            next.fulfillmentStatus = .notAttempted
            next.failureReason = state.failureReason ?? "checkout session expired"
            var effects: [OrderEffect] = []
            if state.stockReserved {
                effects.append(.releaseStock)
                next.stockReserved = false
            }
            return .transition(next, effects: effects, reason: "checkout session \(sessionID) expired")
        default:
            return .noOp(reason: "order already \(state.status.rawValue)")
        }
    }

    private static func fulfillmentSucceeded(_ state: OrderState, reference: String?) -> OrderDecision {
        switch (state.status, state.fulfillmentStatus) {
        case (.paid, .pending), (.paid, .failed):
            var next = state
            next.status = .confirmed
            next.fulfillmentStatus = .success
            next.fulfillmentReference = reference
            next.fulfillmentError = nil
            if state.fulfillmentStatus == .failed {
                clearFulfillmentAttention(&next, error: state.fulfillmentError)
            }
            return .transition(
                next, effects: [.enqueueNotification(.orderConfirmed)], reason: "fulfillment succeeded")
        case (.refunded, .pending), (.refunded, .failed):
            // The goods went out although the money went back (a full refund committed while the
            // supplier call was in flight): an operator must stop the shipment or recover the goods.
            var next = state
            next.fulfillmentStatus = .success
            next.fulfillmentReference = reference
            next.fulfillmentError = nil
            let problem = "fulfilled after a full refund"
            next.attentionReason = appendingAttention(state, problem)
            next.needsAttention = true
            return .transition(
                next, effects: [.enqueueNotification(.needsAttention)], reason: "fulfillment succeeded after refund")
        default:
            return .noOp(
                reason: "fulfillment result ignored: order is \(state.triple)")
        }
    }

    private static func fulfillmentFailed(_ state: OrderState, error: String) -> OrderDecision {
        switch (state.status, state.fulfillmentStatus) {
        case (.paid, .pending):
            var next = state
            next.fulfillmentStatus = .failed
            next.fulfillmentError = error
            next.needsAttention = true
            next.attentionReason = appendingAttention(state, fulfillmentAttentionPart(error: error))
            return .transition(
                next, effects: [.enqueueNotification(.needsAttention)], reason: "fulfillment failed: \(error)")
        case (.refunded, .pending):
            var next = state
            next.fulfillmentStatus = .failed
            next.fulfillmentError = error
            return .transition(next, effects: [], reason: "fulfillment failed after refund: \(error)")
        default:
            return .noOp(reason: "fulfillment result ignored: order is \(state.triple)")
        }
    }

    /// The attention reason with `part` appended to the reasons already there (never overwriting
    /// another reason, e.g. a second payment that must be refunded).
    static func appendingAttention(_ state: OrderState, _ part: String) -> String {
        [state.needsAttention ? state.attentionReason : nil, part].compactMap { $0 }.joined(separator: "; ")
    }

    /// The part of an attention reason a fulfillment failure with `error` added: "fulfillment failed: …",
    /// or for a payment of another amount/currency (`error` "not fulfilled: …") the mismatch it was
    /// withheld for, which an operator accepts by retrying fulfillment.
    static func fulfillmentAttentionPart(error: String) -> String {
        if error.hasPrefix(notFulfilledPrefix) {
            let rest = error.dropFirst(notFulfilledPrefix.count)
            return rest.hasPrefix(outOfStockPrefix) ? String(rest) : mismatchPrefix + rest
        }
        return "fulfillment failed: \(error)"
    }

    static let notFulfilledPrefix = "not fulfilled: "
    static let mismatchPrefix = "paid an amount or currency other than the order's: "

    /// Fulfillment recovered (or is retried): removes only the fulfillment's part of the attention
    /// reason; the order keeps needing attention while any other reason remains.
    static func clearFulfillmentAttention(_ next: inout OrderState, error: String?) {
        guard next.needsAttention, let reason = next.attentionReason else {
            next.needsAttention = false
            next.attentionReason = nil
            return
        }
        var remaining = reason
        if let error {
            let part = fulfillmentAttentionPart(error: error)
            if let range = remaining.firstRange(of: "; " + part) {
                remaining.removeSubrange(range)
            } else if let range = remaining.firstRange(of: part) {
                remaining.removeSubrange(range)
                if remaining.hasPrefix("; ") { remaining.removeFirst(2) }
            }
        } else {
            remaining = ""
        }
        next.needsAttention = !remaining.isEmpty
        next.attentionReason = remaining.isEmpty ? nil : remaining
    }
}
