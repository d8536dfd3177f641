import Foundation
import Postgres

/// Applies one ``OrderEvent`` to a locked order inside the caller's transaction: asks the pure
/// ``OrderStateMachine``, performs the effects (stock, outbox), saves the new state and writes the
/// history row. Used by the webhook processor, the success-page refresh, sync, retry-session and
/// the admin commands, so every path follows the same rules.
struct OrderTransitions: Sendable {
    let orders = OrderStore()
    let products = ProductStore()
    let outbox = OutboxStore()

    /// Decides and persists. `order` must have been read `FOR UPDATE` in this transaction.
    /// Throws ``CheckoutError/outOfStock(productID:)`` when a ``OrderEffect/reserveStock`` effect
    /// cannot be met (the caller's transaction then rolls back).
    /// `paidCurrency` is the currency Stripe reports for a payment event (when known): compared with
    /// the order's, a difference is recorded and nothing is fulfilled.
    func apply(
        _ db: Connection, order: OrderRecord, event: OrderEvent, actor: String, stripeEventID: String? = nil,
        paidCurrency: String? = nil
    ) throws -> OrderDecision {
        let mismatch = paidCurrency.flatMap { paid in
            paid.lowercased() == order.currency.lowercased()
                ? nil : "currency \(paid), order currency \(order.currency)"
        }
        let decision = OrderStateMachine.apply(order.state, event, currencyMismatch: mismatch)
        guard case .transition(var next, let effects, var reason) = decision else { return decision }
        let needsItems = effects.contains { [.releaseStock, .reserveStock, .reacquireStockOrFlag].contains($0) }
        // Sorted by product so concurrent transactions take product row locks in one order.
        let items = needsItems ? try orders.items(db, orderID: order.id).sorted { $0.productID < $1.productID } : []
        for effect in effects {
            switch effect {
            case .releaseStock:
                for item in items { try products.release(db, productID: item.productID, quantity: item.quantity) }
            case .reserveStock:
                for item in items
                where !(try products.reserve(db, productID: item.productID, quantity: item.quantity)) {
                    throw CheckoutError.outOfStock(productID: item.productID)
                }
            case .reacquireStockOrFlag:
                if let missing = try reacquire(db, items: items) {
                    next.stockReserved = false
                    reason += "; stock of \(missing) could not be taken again"
                    if !next.needsAttention {
                        next.needsAttention = true
                        next.attentionReason = "paid after its stock was released; \(missing) is no longer in stock"
                        try notify(db, order: order, kind: .needsAttention, reason: next.attentionReason!)
                    }
                }
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
        return .transition(next, effects: effects, reason: reason)
    }

    /// Takes every item's stock again, all or nothing; returns the first product that is short.
    private func reacquire(_ db: Connection, items: [OrderItemRecord]) throws -> String? {
        var taken: [OrderItemRecord] = []
        for item in items {
            guard try products.reserve(db, productID: item.productID, quantity: item.quantity) else {
                for done in taken { try products.release(db, productID: done.productID, quantity: done.quantity) }
                return item.productID
            }
            taken.append(item)
        }
        return nil
    }

    private static func sessionID(of event: OrderEvent) -> String? {
        switch event {
        case .sessionCompleted(let sessionID, _, _, _), .asyncPaymentSucceeded(let sessionID, _, _),
            .asyncPaymentFailed(let sessionID, _, _), .sessionExpired(let sessionID):
            return sessionID
        default:
            return nil
        }
    }

    private static func paymentIntentID(of event: OrderEvent) -> String? {
        switch event {
        case .sessionCompleted(_, _, let paymentIntentID, _), .asyncPaymentSucceeded(_, let paymentIntentID, _):
            return paymentIntentID
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
