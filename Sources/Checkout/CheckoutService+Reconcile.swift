import Foundation
import Postgres

/// What one reconciler pass did to one order.
public struct ReconcileResult: Sendable, Equatable {
    public var orderID: UUID
    /// `applied` (the order changed), `unchanged`, or `error` (Stripe unreachable: tried again later).
    public var result: String
    public var detail: String
}

extension CheckoutService {
    /// One reconciler pass (API.md §6): repairs missed webhooks and stale reservations.
    ///
    /// Claims up to `limit` `pending_payment` orders not checked at Stripe for `staleSeconds`
    /// (atomically, `SKIP LOCKED`, so several instances share the work), then for each: asks Stripe
    /// for its current session and applies what it says (completed → paid, expired → expired and
    /// stock released, …); an order that never got a session and is older than the session TTL ends
    /// `expired` and gives its stock back. Stripe failures are reported and retried on a later pass.
    public func reconcilePendingOrders(staleSeconds: Int = 300, limit: Int = 100) throws(CheckoutError)
        -> [ReconcileResult]
    {
        let claimed = try run {
            try pool.withConnection { db in
                try orders.claimStalePendingOrders(db, staleSeconds: staleSeconds, limit: max(1, min(limit, 1000)))
            }
        }
        var results: [ReconcileResult] = []
        for orderID in claimed {
            let order = try loadOrder(orderID)
            guard let sessionID = order.state.currentSessionID else {
                let age = now().timeIntervalSince(order.updatedAt)
                guard age > TimeInterval(configuration.sessionTTL) else {
                    results.append(.init(orderID: orderID, result: "unchanged", detail: "waiting for a session"))
                    continue
                }
                results.append(try reconcileTransition(orderID, .reservationExpired))
                continue
            }
            let session: PaymentSession
            do {
                session = try gateway.retrieveSession(sessionID)
            } catch {
                logger.warning("reconcile: Stripe unavailable", metadata: ["order_id": "\(orderID)"])
                results.append(.init(orderID: orderID, result: "error", detail: "\(error)"))
                continue
            }
            let decision = try apply(session: session, orderID: orderID, actor: "system:reconciler")
            results.append(
                .init(
                    orderID: orderID, result: decision?.newState == nil ? "unchanged" : "applied",
                    detail: decision?.reason ?? "session \(sessionID) is \(session.status.rawValue)"))
        }
        return results
    }

    private func reconcileTransition(_ orderID: UUID, _ event: OrderEvent) throws(CheckoutError) -> ReconcileResult {
        let decision = try run {
            try pool.transaction { db in
                guard let locked = try orders.order(db, id: orderID, forUpdate: true) else {
                    throw CheckoutError.orderNotFound
                }
                return try transitions.apply(db, order: locked, event: event, actor: "system:reconciler")
            }
        }
        return .init(
            orderID: orderID, result: decision.newState == nil ? "unchanged" : "applied", detail: decision.reason)
    }
}
