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
/// - refunds are cumulative and never decrease; a full refund makes the order `refunded`;
/// - applying the same event or command twice is a no-op the second time.
///
/// Stock: reserved at create, released exactly once when the order ends failed/expired/cancelled
/// (``OrderEffect/releaseStock`` is emitted only while ``OrderState/stockReserved`` is true),
/// consumed when paid, re-reserved by retry-session.
public enum OrderStateMachine {
    /// Decides what `event` does to an order in `state`. Pure and total: never throws, never does I/O.
    /// `currencyMismatch` describes a payment made in another currency than the order's (the
    /// caller compares; events do not carry the currency): the money is recorded, nothing is fulfilled.
    public static func apply(_ state: OrderState, _ event: OrderEvent, currencyMismatch: String? = nil)
        -> OrderDecision
    {
        switch event {
        case .sessionCompleted(let sessionID, let outcome, let paymentIntentID, let amountTotal):
            guard owns(state, sessionID) else {
                return .noOp(reason: "session \(sessionID) does not belong to this order")
            }
            if outcome.isSettled {
                return acceptPayment(
                    state, paymentIntentID: paymentIntentID, amount: amountTotal, currencyMismatch: currencyMismatch,
                    reason: "checkout session \(sessionID) completed (\(outcome.rawValue))")
            }
            return completedUnpaid(state, sessionID: sessionID, paymentIntentID: paymentIntentID)

        case .asyncPaymentSucceeded(let sessionID, let paymentIntentID, let amountTotal):
            guard owns(state, sessionID) else {
                return .noOp(reason: "session \(sessionID) does not belong to this order")
            }
            return acceptPayment(
                state, paymentIntentID: paymentIntentID, amount: amountTotal, currencyMismatch: currencyMismatch,
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

        case .chargeRefunded(let paymentIntentID, let amountRefunded, let amount):
            return refund(state, paymentIntentID: paymentIntentID, amountRefunded: amountRefunded, amount: amount)

        case .markPaid(let note, let actor):
            if state.status.hasReceivedPayment {
                return .noOp(reason: "order is already \(state.status.rawValue)")
            }
            return acceptPayment(
                state, paymentIntentID: nil, amount: state.amountTotal,
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
            return .transition(next, effects: [.enqueueFulfillment], reason: "fulfillment retried")

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
        }
    }

    // MARK: - Rules

    private static func owns(_ state: OrderState, _ sessionID: String) -> Bool {
        state.currentSessionID == sessionID || state.sessionIDs.contains(sessionID)
    }

    private static func neverDowngrade(_ state: OrderState) -> OrderDecision {
        .noOp(reason: "order is \(state.status.rawValue); a paid order is never downgraded")
    }

    /// Money arrived. Wins over failed/expired/cancelled; a second, different payment of an already
    /// paid order is flagged for an operator (someone must refund one of them).
    private static func acceptPayment(
        _ state: OrderState, paymentIntentID: String?, amount: Int64?, currencyMismatch: String? = nil,
        reason: String
    ) -> OrderDecision {
        if state.status.hasReceivedPayment {
            // Any other PaymentIntent is a second payment: also when the order was marked paid by an
            // admin (no intent known) or already needs attention for something else. Flagged once
            // per intent (its id is kept in the attention reason).
            if let paymentIntentID, paymentIntentID != state.paymentIntentID,
                !(state.attentionReason ?? "").contains(paymentIntentID)
            {
                var next = state
                let first = state.paymentIntentID.map { "by \($0)" } ?? "without a payment intent (marked paid)"
                let flag = "second payment \(paymentIntentID) for an order already paid \(first): refund one"
                next.needsAttention = true
                next.attentionReason = [state.needsAttention ? state.attentionReason : nil, flag]
                    .compactMap { $0 }.joined(separator: "; ")
                return .transition(next, effects: [.enqueueNotification(.needsAttention)], reason: flag)
            }
            return .noOp(reason: "order is already \(state.status.rawValue)")
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
        next.paymentIntentID = paymentIntentID ?? state.paymentIntentID
        next.amountReceived = amount ?? state.amountTotal
        next.failureReason = nil
        if !state.stockReserved {
            effects.append(.reacquireStockOrFlag)
            next.stockReserved = true
        }
        if state.status == .cancelled, !state.needsAttention {
            next.needsAttention = true
            next.attentionReason = "paid after it was cancelled"
            effects.append(.enqueueNotification(.needsAttention))
        }
        if state.amountRefunded > 0, state.amountRefunded >= state.amountTotal {
            // The refund arrived before the payment: the money already went back.
            next.status = .refunded
            next.paymentStatus = .refunded
            next.fulfillmentStatus = state.fulfillmentStatus
            return .transition(next, effects: effects, reason: why + "; already fully refunded")
        }
        let mismatch = [
            next.amountReceived != state.amountTotal
                ? "received \(next.amountReceived), order total \(state.amountTotal)" : nil,
            currencyMismatch,
        ].compactMap { $0 }
        if !mismatch.isEmpty {
            // Not what the order costs: keep the money on record, fulfil nothing, let an operator decide
            // (retry-fulfillment ships it, or refund).
            let problem = mismatchPrefix + mismatch.joined(separator: "; ")
            next.fulfillmentStatus = .failed
            next.fulfillmentError = notFulfilledPrefix + mismatch.joined(separator: "; ")
            next.attentionReason = [next.needsAttention ? next.attentionReason : nil, problem]
                .compactMap { $0 }.joined(separator: "; ")
            if !effects.contains(.enqueueNotification(.needsAttention)) {
                effects.append(.enqueueNotification(.needsAttention))
            }
            next.needsAttention = true
            return .transition(next, effects: effects, reason: why + "; " + problem)
        }
        effects.append(.enqueueFulfillment)
        return .transition(next, effects: effects, reason: why)
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

    private static func refund(
        _ state: OrderState, paymentIntentID: String?, amountRefunded: Int64, amount: Int64
    ) -> OrderDecision {
        if let paymentIntentID, let known = state.paymentIntentID, paymentIntentID != known {
            return .noOp(reason: "refund of payment intent \(paymentIntentID), not the order's")
        }
        guard amountRefunded > state.amountRefunded else {
            return .noOp(
                reason: "refunded total \(amountRefunded) is not above the recorded \(state.amountRefunded)")
        }
        var next = state
        next.amountRefunded = amountRefunded
        let full = amountRefunded >= state.amountTotal || (amount > 0 && amountRefunded >= amount)
        guard state.status.hasReceivedPayment else {
            return .transition(
                next, effects: [], reason: "refund of \(amountRefunded) recorded before the payment")
        }
        if full, state.status != .refunded {
            next.status = .refunded
            next.paymentStatus = .refunded
            return .transition(next, effects: [], reason: "fully refunded (\(amountRefunded))")
        }
        return .transition(
            next, effects: [], reason: "\(full ? "refunded" : "partially refunded"): total \(amountRefunded)")
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
            return mismatchPrefix + error.dropFirst(notFulfilledPrefix.count)
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
