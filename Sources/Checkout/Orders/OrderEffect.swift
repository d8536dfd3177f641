/// Side effects a transition asks for. The store performs them in the same transaction that saves
/// the new state, so an effect happens exactly when its transition is committed.
///
/// Money and reasons (payments, failure reason, …) are not effects: they are fields of the new
/// ``OrderState`` (its ``OrderState/payments`` are the ledger rows) and are saved with it.
public enum OrderEffect: Sendable, Equatable, Hashable {
    /// Release the order's `reserved` stock reservations, giving their units back to the count they
    /// were taken from (emitted only when it holds reserved stock).
    case releaseStock
    /// Reserve the order's stock (new `reserved` rows); failure aborts the command with `out_of_stock`
    /// (retry-session, retry-fulfillment of an order paid without stock).
    case reserveStock
    /// The order is paid: its `reserved` reservations become `committed` (sold).
    case commitStock
    /// A payment arrived after the stock was released: take it again, committed. When it cannot be
    /// taken, ``OrderStateMachine/outOfStock(_:productID:)`` decides (keep the money, hold fulfillment,
    /// needs attention).
    case reacquireStockOrFlag
    /// Stripe reported a payment without its amount or currency: have the session retrieved from
    /// Stripe at once (the reconciler and the success page pick the order up on their next look).
    case requestStripeCheck
    /// A refund with restock succeeded: the order's `committed` reservations become `returned` and their
    /// units go back to the count they came from.
    case returnStock
    /// Enqueue the `fulfill` outbox job.
    case enqueueFulfillment
    /// Enqueue a `notify` outbox job.
    case enqueueNotification(NotificationKind)
}

/// What a `notify` outbox job tells the operators.
public enum NotificationKind: String, Sendable, Hashable, Codable, CaseIterable {
    case needsAttention = "needs_attention"
    case orderConfirmed = "order_confirmed"
}
