/// Side effects a transition asks for. The store performs them in the same transaction that saves
/// the new state, so an effect happens exactly when its transition is committed.
///
/// Money and reasons (amount received, failure reason, …) are not effects: they are fields of the
/// new ``OrderState`` and are saved with it.
public enum OrderEffect: Sendable, Equatable, Hashable {
    /// Give the order's reserved stock back to `products.stock` (emitted only when it holds stock).
    case releaseStock
    /// Take the order's stock again; failure aborts the command with `out_of_stock` (retry-session).
    case reserveStock
    /// A payment arrived after the stock was released: try to take it again; when it cannot be
    /// taken, keep the money, mark the order as needing attention and notify.
    case reacquireStockOrFlag
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
