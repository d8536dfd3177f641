import Foundation

/// What one reconciler pass did, for `checkoutd reconcile`'s output, the log and metrics.
public struct ReconcileReport: Sendable, Equatable, Encodable {
    /// One repaired order.
    public struct Change: Sendable, Equatable, Encodable {
        /// `session_synced`, `reservation_expired`, `stock_released`, `fulfillment_failure_recorded`,
        /// `fulfillment_requeued`.
        public var action: String
        public var orderID: String
        public var orderNumber: String
        /// `status/paymentStatus/fulfillmentStatus` before and after.
        public var from: String
        public var to: String
        /// Why (the history row's reason).
        public var detail: String
    }

    /// True when another instance held the reconciler lock, so this pass did nothing.
    public var skipped = false
    /// Pending orders looked at (their session asked at Stripe, or found waiting for one).
    public var ordersChecked = 0
    /// Orders changed, in the order they were changed.
    public var changes: [Change] = []
    /// Problems met (Stripe or database unavailable for one order, …); the pass carries on.
    public var errors: [String] = []

    public init() {}

    /// Human-readable lines (what `checkoutd reconcile` prints).
    public var lines: [String] {
        if skipped { return ["reconcile: skipped (another instance is reconciling)"] }
        var out = [
            "reconcile: checked \(ordersChecked) pending order(s), \(changes.count) change(s), \(errors.count) error(s)"
        ]
        for c in changes {
            out.append("  \(c.orderNumber) \(c.orderID) \(c.action): \(c.from) → \(c.to) (\(c.detail))")
        }
        for e in errors { out.append("  error: \(e)") }
        return out
    }
}
