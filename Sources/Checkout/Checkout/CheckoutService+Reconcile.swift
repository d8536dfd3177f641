import Foundation
import Postgres

/// What one reconciler pass did to one order.
public struct ReconcileResult: Sendable, Equatable {
    public var orderID: UUID
    /// `applied` (the order changed), `unchanged`, `error` (Stripe or the database failed: tried again
    /// later) or `skipped` (not looked at: the pass stopped asking Stripe after repeated unavailability).
    public var result: String
    public var detail: String
    /// True when Stripe was unavailable for this order (counts towards the pass's circuit breaker).
    var unavailable = false

    public init(orderID: UUID, result: String, detail: String) {
        self.orderID = orderID
        self.result = result
        self.detail = detail
    }
}

extension CheckoutService {
    /// One reconciler pass (docs/API.md §6): repairs missed webhooks and stale reservations.
    ///
    /// Claims up to `limit` `pending_payment` orders not checked at Stripe for `staleSeconds`
    /// (atomically, `SKIP LOCKED`, so several instances share the work), then for each: asks Stripe
    /// for its current session and applies what it says (completed → paid, expired → expired and
    /// stock released, …); an order that never got a session and is older than the session TTL ends
    /// `expired` and gives its stock back; so does one whose session Stripe no longer knows (404) once
    /// that session would have expired. Stripe failures are reported and retried on a later pass; after
    /// three unavailable answers in a row the rest of the batch is `skipped`; a database error on one
    /// order is reported for that order and the pass goes on. `shouldStop` is asked before each order
    /// (shutdown): once true, the rest is `skipped`.
    public func reconcilePendingOrders(
        staleSeconds: Int = 300, limit: Int = 100, shouldStop: @Sendable () -> Bool = { false }
    ) throws(CheckoutError) -> [ReconcileResult] {
        let claimed = try run {
            try pool.withConnection { db in
                try orders.claimStalePendingOrders(db, staleSeconds: staleSeconds, limit: max(1, min(limit, 1000)))
            }
        }
        var results: [ReconcileResult] = []
        var consecutiveUnavailable = 0
        for (index, orderID) in claimed.enumerated() {
            if shouldStop() {
                // Shutting down: the rest waits for the next pass (of this or another instance).
                results += claimed[index...].map {
                    .init(orderID: $0, result: "skipped", detail: "stopped: shutting down")
                }
                break
            }
            guard consecutiveUnavailable < Self.reconcileUnavailableLimit else {
                // Circuit breaker: Stripe is down or hanging (each call up to the client's full retry
                // budget); the rest wait for a later pass instead of holding the pass (and the
                // reconciler's advisory lock, and shutdown) for hours.
                results += claimed[index...].map {
                    .init(orderID: $0, result: "skipped", detail: "Stripe unavailable; checked on a later pass")
                }
                break
            }
            do {
                let result = try reconcilePendingOrder(orderID)
                results.append(result)
                consecutiveUnavailable = result.unavailable ? consecutiveUnavailable + 1 : 0
            } catch {
                // One order's database error must not drop the rest of the claimed batch.
                results.append(.init(orderID: orderID, result: "error", detail: "\(error.code): \(error)"))
            }
        }
        return results
    }

    /// After this many Stripe-unavailable answers in a row, a pass stops asking Stripe.
    static let reconcileUnavailableLimit = 3

    private func reconcilePendingOrder(_ orderID: UUID) throws(CheckoutError) -> ReconcileResult {
        let order = try loadOrder(orderID)
        guard let sessionID = order.state.currentSessionID else {
            let age = now().timeIntervalSince(order.updatedAt)
            guard age > TimeInterval(configuration.sessionTTL) else {
                return .init(orderID: orderID, result: "unchanged", detail: "waiting for a session")
            }
            return try reconcileTransition(
                orderID, .reservationExpired, olderThan: TimeInterval(configuration.sessionTTL))
        }
        let session: PaymentSession
        do {
            session = try gateway.retrieveSession(sessionID)
        } catch {
            let age = now().timeIntervalSince(order.updatedAt)
            if error.isMissing, age > TimeInterval(configuration.sessionExpiresAt(now: 0)) {
                // Stripe no longer knows the session (deleted test data, another account, …) and it
                // would have expired by now anyway: end the order as expired so its stock comes back
                // instead of being pinned, and re-checked at Stripe, forever.
                logger.warning("reconcile: session unknown to Stripe", metadata: ["order_id": "\(orderID)"])
                return try reconcileTransition(
                    orderID, .sessionExpired(sessionID: sessionID),
                    olderThan: TimeInterval(configuration.sessionExpiresAt(now: 0)))
            }
            logger.warning("reconcile: Stripe unavailable", metadata: ["order_id": "\(orderID)"])
            var result = ReconcileResult(orderID: orderID, result: "error", detail: "Stripe: \(error)")
            if case .unavailable = error { result.unavailable = true }
            return result
        }
        let decision = try apply(session: session, orderID: orderID, actor: "system:reconciler")
        return .init(
            orderID: orderID, result: decision?.newState == nil ? "unchanged" : "applied",
            detail: decision?.reason ?? "session \(sessionID) is \(session.status.rawValue)")
    }

    /// Applies `event` under the order's row lock, only if the order was last changed more than
    /// `olderThan` seconds ago *as seen under the lock*: the age checked before locking may be stale
    /// (a retry-session in between must not have its fresh reservation expired).
    private func reconcileTransition(_ orderID: UUID, _ event: OrderEvent, olderThan: TimeInterval)
        throws(CheckoutError) -> ReconcileResult
    {
        let decision = try run {
            try pool.transaction { db -> OrderDecision in
                guard let locked = try orders.order(db, id: orderID, forUpdate: true) else {
                    throw CheckoutError.orderNotFound
                }
                guard now().timeIntervalSince(locked.updatedAt) > olderThan else {
                    return .noOp(reason: "order changed meanwhile")
                }
                return try transitions.apply(db, order: locked, event: event, actor: "system:reconciler")
            }
        }
        return .init(
            orderID: orderID, result: decision.newState == nil ? "unchanged" : "applied", detail: decision.reason)
    }
}
