import Foundation
import Postgres

/// The one mutation path of an order. Applies one ``OrderEvent`` (from any actor: a Stripe event, the
/// customer's create/retry, an admin command, the reconciler, the outbox worker's result) to an order
/// locked in the caller's transaction: asks the pure ``OrderStateMachine`` what it means *now*,
/// performs the effects (stock ledger, outbox), writes the payments ledger, the order's state and the
/// history row, all in that one transaction. Stripe is never called here: what Stripe answered comes
/// in as an event and is re-checked against the locked state.
struct OrderTransitions: Sendable {
    let orders = OrderStore()
    let products = ProductStore()
    let payments = PaymentStore()
    let outbox = OutboxStore()
    /// Which outbound jobs (customer e-mail, order webhooks) a transition writes (Messages/).
    var outbound = OutboundSettings()
    let ledgers = RefundStore()

    /// Decides and persists. `order` must have been read `FOR UPDATE` in this transaction.
    /// Throws ``CheckoutError/outOfStock(productID:)`` when a ``OrderEffect/reserveStock`` effect
    /// cannot be met (the caller's transaction then rolls back).
    func apply(
        _ db: Connection, order: OrderRecord, event: OrderEvent, actor: String, stripeEventID: String? = nil
    ) throws -> OrderDecision {
        var order = order
        try ledgers.load(db, orderID: order.id, into: &order.state)
        var decision = OrderStateMachine.apply(order.state, event)
        guard decision.newState != nil else { return decision }
        let needsItems = decision.effects.contains { [.reserveStock, .reacquireStockOrFlag].contains($0) }
        let items = needsItems ? try orders.items(db, orderID: order.id) : []
        if decision.effects.contains(.reacquireStockOrFlag),
            let missing = try products.reserve(db, orderID: order.id, items: items, committed: true)
        {
            // Someone else took the units meanwhile: the machine re-decides (money kept, fulfillment held).
            decision = OrderStateMachine.outOfStock(decision, productID: missing)
        }
        guard case .transition(let next, let effects, let reason) = decision else { return decision }
        for effect in effects {
            switch effect {
            case .releaseStock:
                try products.releaseReservations(db, orderID: order.id)
            case .reserveStock:
                if let missing = try products.reserve(db, orderID: order.id, items: items) {
                    throw CheckoutError.outOfStock(productID: missing)
                }
            case .commitStock:
                try products.commitReservations(db, orderID: order.id)
            case .returnStock:
                try products.returnCommittedReservations(db, orderID: order.id)
            case .reacquireStockOrFlag:
                break  // taken above, before the decision was final
            case .requestStripeCheck:
                try orders.requestSessionCheck(db, orderID: order.id)
            case .enqueueFulfillment:
                try outbox.enqueue(
                    db, kind: "fulfill", orderID: order.id, payload: ["orderId": order.id.lowercased],
                    dedupeKey: "fulfill:\(order.id.lowercased)")
            case .enqueueNotification(let kind):
                // A payment's alert is keyed by its intent, so a second payment is never deduplicated
                // into an earlier alert of the same order.
                try notify(
                    db, order: order, kind: kind, reason: next.attentionReason ?? reason,
                    dedupeSuffix: Self.paymentIntentID(of: event))
            }
        }
        try ledgers.save(db, orderID: order.id, before: order.state, after: next)
        try payments.save(db, orderID: order.id, before: order.state.payments, after: next.payments)
        try orders.saveState(db, orderID: order.id, next)
        // Remember which PaymentIntent belonged to which session, so once the session is superseded
        // its intent's late failures are recognised (OrderState.retiredPaymentIntentIDs). Written when
        // the pair changes, and for the outgoing pair when the current session changes.
        // Only the session the event concerned gets its intent: a late payment of a superseded
        // session must not credit the current one with that session's intent.
        let before = (order.state.currentSessionID, order.state.paymentIntentID)
        if let sessionID = next.currentSessionID, let intentID = next.paymentIntentID,
            before != (sessionID, intentID), Self.sessionID(of: event).map({ $0 == sessionID }) ?? true
        {
            try orders.updateSession(db, id: sessionID, status: nil, paymentStatus: nil, paymentIntentID: intentID)
        }
        if let sessionID = before.0, let intentID = before.1, next.currentSessionID != sessionID {
            try orders.updateSession(db, id: sessionID, status: nil, paymentStatus: nil, paymentIntentID: intentID)
        }
        try orders.insertHistory(
            db, orderID: order.id, state: next, reason: reason, actor: actor, stripeEventID: stripeEventID)
        try OutboundRecorder(settings: outbound).record(
            db, orderID: order.id, before: order.state, after: next, effects: effects)
        return decision
    }

    private static func sessionID(of event: OrderEvent) -> String? {
        switch event {
        case .sessionCompleted(let sessionID, _, _, _, _), .asyncPaymentSucceeded(let sessionID, _, _, _),
            .asyncPaymentFailed(let sessionID, _, _), .sessionExpired(let sessionID):
            return sessionID
        default:
            return nil
        }
    }

    private static func paymentIntentID(of event: OrderEvent) -> String? {
        switch event {
        case .sessionCompleted(_, _, let paymentIntentID, _, _), .asyncPaymentSucceeded(_, let paymentIntentID, _, _),
            .chargeRefunded(let paymentIntentID, _, _, _):
            return paymentIntentID
        case .refundObserved(let refund):
            return refund.id
        case .disputeObserved(let dispute):
            return "\(dispute.id):\(dispute.status)"
        case .fraudWarningObserved(let warning):
            return warning.id
        default:
            return nil
        }
    }

    private func notify(
        _ db: Connection, order: OrderRecord, kind: NotificationKind, reason: String, dedupeSuffix: String? = nil
    ) throws {
        try outbox.enqueue(
            db, kind: "notify", orderID: order.id,
            payload: [
                "orderId": order.id.lowercased, "orderNumber": order.orderNumber, "kind": kind.rawValue,
                "reason": reason,
            ],
            dedupeKey: "notify:\(kind.rawValue):\(order.id.lowercased)" + (dedupeSuffix.map { ":\($0)" } ?? ""))
    }
}

extension UUID {
    /// The canonical lower-case text form used in JSON, URLs, metadata and keys.
    var lowercased: String { uuidString.lowercased() }
}
